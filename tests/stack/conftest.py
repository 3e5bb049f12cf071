"""The local stack (tools.stack) for tests that drive the product as users do.

One stack per test session, started and stopped by its own command line, so
the interface people script against is what the tests use. Stopping it is
checked: no process of the stack, no run dir, no MariaDB database and no
RabbitMQ vhost may be left.
"""

import os
import pathlib
import signal
import subprocess
import sys
import threading

import pytest

import tools.stack as stack
from tools.stack import backends
from tools.stack import processes

REPO = pathlib.Path(__file__).resolve().parents[2]


def _stack_command(run_dir, *args, timeout=900):
    return subprocess.run(
        [sys.executable, '-m', 'tools.stack', '--run-dir', str(run_dir)] +
        list(args), cwd=str(REPO), capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL)


def _leftovers(state, sessions):
    """What the stack left behind after down."""
    left = []
    running = processes.stragglers(state.run_dir, sessions)
    if running:
        left.append('processes %s' % running)
    if os.path.exists(state.run_dir):
        left.append('run dir %s' % state.run_dir)
    if state.database and backends.database_exists(state.database):
        left.append('database %s' % state.database)
    if state.vhost and backends.vhost_exists(state.vhost):
        left.append('vhost %s' % state.vhost)
    if state.clouds_yaml and os.path.exists(state.clouds_yaml):
        left.append(state.clouds_yaml)
    return left


@pytest.fixture(scope='session')
def local_stack(tmp_path_factory):
    """A running stack: its State (URLs, clouds.yaml path, backends).

    The stack serves the dashboard too (tests/stack/test_dashboard.py).
    With MAGNUM_CAPI_TEST_STACK=<run dir> the tests use that running stack
    (started with ``python -m tools.stack up --detach --dashboard``) and
    leave it up.
    """
    running = os.environ.get('MAGNUM_CAPI_TEST_STACK')
    if running:
        yield stack.State.load(running)
        return
    base = tmp_path_factory.mktemp('stack')
    run_dir = base / 'run'
    started = _stack_command(run_dir, 'up', '--detach', '--dashboard',
                             '--clouds-yaml', str(base / 'clouds.yaml'))
    if started.returncode:
        pytest.fail('tools.stack up failed:\n%s%s'
                    % (started.stdout, started.stderr[-5000:]))
    state = stack.State.load(str(run_dir))
    sessions = {pid for pid, _ in processes.recorded(str(run_dir)).values()}
    yield state
    stopped = _stack_command(run_dir, 'down', timeout=300)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert _leftovers(state, sessions) == []


@pytest.fixture(scope='module')
def embedded_stack(tmp_path_factory):
    """The laptop's stack: no MariaDB or RabbitMQ, in the foreground.

    Started as a user starts it without ``--detach`` and stopped as they
    stop it, with Ctrl-C (SIGINT); that must leave nothing behind.
    """
    base = tmp_path_factory.mktemp('embedded')
    run_dir = base / 'run'
    process = subprocess.Popen(
        [sys.executable, '-m', 'tools.stack', '--run-dir', str(run_dir),
         'up', '--backends', 'embedded', '--clouds-yaml',
         str(base / 'clouds.yaml')], cwd=str(REPO), text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    output, running = [], threading.Event()

    def read():
        for line in process.stdout:
            output.append(line)
            if 'running until Ctrl-C' in line:
                running.set()
        running.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    running.wait(600)
    if process.poll() is not None or not running.is_set():
        process.kill()
        pytest.fail('tools.stack up (embedded) did not come up:\n%s'
                    % ''.join(output)[-5000:])
    state = stack.State.load(str(run_dir))
    sessions = {pid for pid, _ in processes.recorded(str(run_dir)).values()}
    state.output = output
    yield state
    process.send_signal(signal.SIGINT)
    assert process.wait(300) == 0, ''.join(output)[-5000:]
    reader.join(30)
    assert _leftovers(state, sessions) == []
