"""Starting and stopping the stack's processes, by pid, through pidfiles.

Every process runs in a session of its own (so its children, such as the
conductor's workers and the helm commands they run, share its session and
process group). A pidfile holds the pid and the process's start time, so a
recycled pid is never signalled. Stopping signals the recorded process
groups; stragglers are found by their session (a recorded pid) or by the
``MAGNUM_CAPI_STACK=<run dir>`` marker in their environment (not reliable
alone: magnum-conductor rewrites its process title over it).
"""

import os
import signal
import subprocess
import time

MARKER = 'MAGNUM_CAPI_STACK'


def environment(run_dir, **extra):
    env = dict(os.environ, **extra)
    env[MARKER] = run_dir
    return env


def spawn(run_dir, name, argv, env, cwd=None):
    """Start argv in its own session, logging to <name>.log; record pid."""
    log = open(os.path.join(run_dir, name + '.log'), 'ab')
    try:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()
    record(run_dir, name, process.pid)
    return process


def record(run_dir, name, pid):
    with open(os.path.join(run_dir, name + '.pid'), 'w') as f:
        f.write('%d %s\n' % (pid, _stat(pid)['start']))


def recorded(run_dir):
    """{name: (pid, start time)} from the run dir's pidfiles."""
    found = {}
    for entry in sorted(os.listdir(run_dir)):
        if entry.endswith('.pid'):
            with open(os.path.join(run_dir, entry)) as f:
                pid, start = f.read().split()
                found[entry[:-4]] = (int(pid), start)
    return found


def _stat(pid):
    """State, session and start time of pid from /proc (None if gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # Fields after the command: state(3) ppid pgrp session ... start(22).
    return {'state': fields[0], 'session': int(fields[3]),
            'start': fields[19]}


def _marked(pid, run_dir):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            env = f.read().split(b'\0')
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return ('%s=%s' % (MARKER, run_dir)).encode() in env


def same(pid, start):
    """Whether pid is still the process recorded with that start time."""
    stat = _stat(pid)
    return bool(stat) and stat['start'] == start and stat['state'] != 'Z'


def alive(pid):
    stat = _stat(pid)
    return bool(stat) and stat['state'] != 'Z'


def stragglers(run_dir, sessions):
    """Live pids in one of the sessions or carrying the run dir's marker."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        stat = _stat(pid)
        if not stat or stat['state'] == 'Z':
            continue
        if stat['session'] in sessions or _marked(pid, run_dir):
            pids.append(pid)
    return pids


def stop(pid, start, timeout=15.0):
    """SIGTERM the process group of pid, then SIGKILL after timeout."""
    if not same(pid, start):
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            break
        time.sleep(0.1)
    else:
        _signal_group(pid, signal.SIGKILL)
    return True


def stop_all(run_dir, order):
    """Stop recorded processes (names in order first), then stragglers."""
    pids = recorded(run_dir)
    for name in sorted(pids, key=lambda n: (order.index(n) if n in order
                                            else len(order), n)):
        stop(*pids[name])
    sessions = {pid for pid, _ in pids.values()}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = stragglers(run_dir, sessions)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    left = stragglers(run_dir, sessions)
    if not left:
        for name in pids:
            os.unlink(os.path.join(run_dir, name + '.pid'))
    return left


def _signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, signum)
