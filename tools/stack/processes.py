"""Starting and stopping the stack's processes, by pid, through pidfiles.

Every process runs in a session of its own (so its children, such as the
conductor's workers and the helm commands they run, share its process
group) and carries ``MAGNUM_CAPI_STACK=<run dir>`` in its environment.
Stopping signals only process groups recorded in the run dir's pidfiles,
and a process is signalled only if its environment still names this run
dir, so a recycled pid is never hit. The same marker finds stragglers.
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
        f.write('%d\n' % pid)


def recorded(run_dir):
    """{name: pid} from the run dir's pidfiles."""
    found = {}
    for entry in sorted(os.listdir(run_dir)):
        if entry.endswith('.pid'):
            with open(os.path.join(run_dir, entry)) as f:
                found[entry[:-4]] = int(f.read().strip())
    return found


def belongs(pid, run_dir):
    """Whether pid is alive and was started for this run dir."""
    try:
        with open('/proc/%d/environ' % pid, 'rb') as f:
            env = f.read().split(b'\0')
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return ('%s=%s' % (MARKER, run_dir)).encode() in env


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != 'Z'


def stragglers(run_dir):
    """Live pids of any process carrying this run dir's marker."""
    pids = []
    for entry in os.listdir('/proc'):
        if entry.isdigit() and int(entry) != os.getpid():
            pid = int(entry)
            if belongs(pid, run_dir) and alive(pid):
                pids.append(pid)
    return pids


def stop(run_dir, name, pid, timeout=15.0):
    """SIGTERM the process group of pid, then SIGKILL after timeout."""
    if not belongs(pid, run_dir):
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
        stop(run_dir, name, pids[name])
        os.unlink(os.path.join(run_dir, name + '.pid'))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = stragglers(run_dir)
        if not left:
            return []
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    return stragglers(run_dir)


def _signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, signum)
