"""The cluster lock across separate processes, on the stand-in's Leases.

Each process is a separate Python interpreter with its own HTTP client, as
conductor workers are; they meet only on the management cluster.
"""

import multiprocessing
import os
import signal
import socket
import time

from magnum_capi_driver import conf
from magnum_capi_driver import kube
from magnum_capi_driver import locks

UUID = '6f1f3a52-8f5b-4d1e-9b55-3d0c2b1f0a11'
NAMESPACE = 'magnum-lock-test'
SPAWN = multiprocessing.get_context('spawn')


def _configure(kubeconfig, duration=2, renew=0.5):
    opts = dict(kubeconfig_file=str(kubeconfig), lock_lease_duration=duration,
                lock_renew_interval=renew, lock_wait_timeout=120)
    for name, value in opts.items():
        conf.CONF.set_override(name, value, group='capi_driver')
    return kube.client(str(kubeconfig))


def _log(path, line):
    with open(path, 'a') as out:
        out.write(line + '\n')


def _contend(kubeconfig, journal, rounds):
    client = _configure(kubeconfig)
    for _ in range(rounds):
        with locks.cluster_lock(client, NAMESPACE, UUID):
            _log(journal, 'enter %d' % os.getpid())
            time.sleep(0.05)
            _log(journal, 'exit %d' % os.getpid())


def _hold(kubeconfig, journal, seconds):
    client = _configure(kubeconfig)
    with locks.cluster_lock(client, NAMESPACE, UUID):
        _log(journal, 'enter %d' % os.getpid())
        time.sleep(seconds)
        _log(journal, 'exit %d' % os.getpid())


def _lease(mc):
    store = mc.store
    items, _ = store.list(store.registry.get('coordination.k8s.io',
                                             'leases'), NAMESPACE, '')
    return items[0] if items else None


def _wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError('not reached in %ss' % timeout)


def _entries(journal):
    with open(journal) as lines:
        return [line.split() for line in lines.read().splitlines()]


def _assert_exclusive(entries):
    for enter, leave in zip(entries[::2], entries[1::2]):
        assert enter[0] == 'enter' and leave == ['exit', enter[1]], entries


def test_processes_never_hold_the_lock_together(management_cluster,
                                                tmp_path):
    journal = tmp_path / 'journal'
    workers = [SPAWN.Process(target=_contend, args=(
        management_cluster.kubeconfig, journal, 4)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
        assert worker.exitcode == 0
    entries = _entries(journal)
    assert len(entries) == 3 * 4 * 2
    _assert_exclusive(entries)
    assert len({pid for _, pid in entries}) == 3
    lease = _lease(management_cluster)
    assert locks.holder_of(lease) is None
    assert lease['metadata']['labels'] == {locks.CLUSTER_UUID_LABEL: UUID}


def test_holder_is_visible_renews_and_a_killed_holder_is_taken_over(
        management_cluster, tmp_path):
    journal = tmp_path / 'journal'
    holder = SPAWN.Process(target=_hold, args=(
        management_cluster.kubeconfig, journal, 3600))
    holder.start()
    try:
        _wait_for(lambda: journal.exists() and _entries(journal))
        annotations = _lease(management_cluster)['metadata']['annotations']
        assert annotations[locks.HOLDER_PID] == str(holder.pid)
        assert annotations[locks.HOLDER_HOST] == socket.gethostname()

        # Renewed while held: a waiter does not take it over.
        waiter = SPAWN.Process(target=_hold, args=(
            management_cluster.kubeconfig, journal, 0))
        first_renewal = _lease(management_cluster)['spec']['renewTime']
        waiter.start()
        _wait_for(lambda: _lease(management_cluster)['spec']['renewTime']
                  != first_renewal)
        time.sleep(3 * 2)
        assert _entries(journal) == [['enter', str(holder.pid)]]

        # Killed: the waiter takes over once the Lease stops changing.
        os.kill(holder.pid, signal.SIGKILL)
        waiter.join(120)
        assert waiter.exitcode == 0
    finally:
        if holder.is_alive():
            holder.kill()
        holder.join()
    assert _entries(journal) == [['enter', str(holder.pid)],
                                 ['enter', str(waiter.pid)],
                                 ['exit', str(waiter.pid)]]
    assert _lease(management_cluster)['spec']['leaseTransitions'] == 2
