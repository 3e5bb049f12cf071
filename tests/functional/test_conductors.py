"""Two conductor processes, one database, one management cluster.

Magnum runs one conductor worker per CPU, and OpenTofu creates a cluster's
nodegroups in parallel, so operations on one cluster arrive at several
processes at once. Each conductor here is a separate process running
Magnum's real handlers and periodic jobs with its own driver, on one shared
database (MariaDB when it answers) and the Kubernetes stand-in, with the real
helm. Magnum's records and the Helm release must agree at every poll.
"""

import json
import os
import pathlib
import re
import shutil
import tempfile
import threading
import time

import pytest

from magnum_capi_driver import conf as driver_conf
from magnum_capi_driver import names
from tests.fixtures import agreement
from tests.fixtures import conductors as conductor_fixtures
from tests.kubeapi import ManagementCluster

# The CAPI simulator's speed: machines come up at once, helm is the cost.
SPEED = 20000
WAIT = 420
HELM_CONFLICTS = ('another operation', 'already exists')
REPORT_DIR = pathlib.Path(tempfile.gettempdir()) / 'magnum-capi-test-reports'
# The driver's debug line once an operation holds the cluster's lock.
LOCKED_AFTER = re.compile(r'locked by \S+ after ([0-9.]+)s')


@pytest.fixture
def helm4(tools_bin):
    return str(tools_bin / 'helm4')


@pytest.fixture
def helm3(tools_bin):
    """The kill test runs helm 3, the other helm 4: each binary is used,
    without running every scenario twice."""
    return str(tools_bin / 'helm3')


@pytest.fixture
def logs(request):
    """Where the conductors' logs stay after the run, one dir per test."""
    path = REPORT_DIR / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture
def management():
    with ManagementCluster(capi=True, speed=SPEED) as mc:
        yield mc


def _conductors(conductor_database, keystone, management, helm, logs,
                **driver_options):
    url, _ = conductor_database
    return conductor_fixtures.conductors(url, keystone, management, helm,
                                         logs, driver_options)


class Release(object):
    """The cluster's Helm release as helm and the stand-in show it."""

    def __init__(self, mc, helm, namespace, name, home):
        self.mc, self.helm = mc, helm
        self.namespace, self.name = namespace, name
        home.mkdir(exist_ok=True)
        self.env = dict(os.environ, HOME=str(home),
                        HELM_CACHE_HOME=str(home / 'cache'),
                        HELM_CONFIG_HOME=str(home / 'config'),
                        HELM_DATA_HOME=str(home / 'data'))

    def groups(self):
        return agreement.release_groups(self.helm, self.mc.kubeconfig,
                                        self.namespace, self.name, self.env)

    def revisions(self):
        """{revision: status} from helm's release Secrets."""
        store = self.mc.store
        secrets, _ = store.list(store.registry.get('', 'secrets'),
                                self.namespace,
                                'owner=helm,name=%s' % self.name)
        return {int(s['metadata']['labels']['version']):
                s['metadata']['labels']['status'] for s in secrets}

    def latest_revision(self):
        return max(self.revisions() or [0])


class LeaseWatch(object):
    """Samples the cluster's Lease in the stand-in's store.

    Records each holder with when it was first and last seen, and when the
    coalescing counters first reached each ticket, so lock holds and how
    long each ticket waited for an upgrade to apply it can be reported.
    """

    def __init__(self, mc, namespace, cluster_uuid, interval=0.02):
        self.mc, self.namespace = mc, namespace
        self.lease_name = 'magnum-capi-%s' % cluster_uuid
        self.interval = interval
        self.holds = []            # [identity, pid, first seen, last seen]
        self.requested_at = {}     # ticket -> first time requested >= it
        self.applied_at = {}       # ticket -> first time applied >= it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='lease-watch')

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def lease(self):
        store = self.mc.store
        try:
            rtype = store.registry.get('coordination.k8s.io', 'leases')
            return store.get(rtype, self.namespace, self.lease_name)
        except Exception:
            # No Lease (yet), or a stand-in without the resource.
            return None

    def holder_pid(self):
        lease = self.lease()
        if not lease or not (lease.get('spec') or {}).get('holderIdentity'):
            return None
        pid = (lease['metadata'].get('annotations') or {}).get(
            'magnum.openstack.org/holder-pid')
        return int(pid) if pid else None

    def _run(self):
        while not self._stop.is_set():
            self.sample(time.monotonic())
            self._stop.wait(self.interval)

    def sample(self, now):
        lease = self.lease()
        if lease is None:
            return
        annotations = lease['metadata'].get('annotations') or {}
        holder = (lease.get('spec') or {}).get('holderIdentity')
        if holder:
            if self.holds and self.holds[-1][0] == holder:
                self.holds[-1][3] = now
            else:
                self.holds.append([holder, annotations.get(
                    'magnum.openstack.org/holder-pid'), now, now])
        for key, seen in (('requested', self.requested_at),
                          ('applied', self.applied_at)):
            count = int(annotations.get('magnum.openstack.org/' + key)
                        or 0)
            for ticket in range(1, count + 1):
                seen.setdefault(ticket, now)

    def summary(self, prefix, since):
        """Lease holds that began after since (a monotonic time), and the
        waits of the tickets first requested after it."""
        waits = [self.applied_at[t] - at
                 for t, at in self.requested_at.items()
                 if at > since and t in self.applied_at]
        holds = [h[3] - h[2] for h in self.holds if h[2] > since]
        return {
            prefix + '_lease_acquisitions': len(holds),
            prefix + '_longest_lease_hold_s': round(max(holds or [0]), 2),
            prefix + '_tickets': len(waits),
            prefix + '_longest_ticket_wait_s': round(max(waits or [0]), 2),
        }


class Watch(object):
    """Polls through the conductors and checks the records against the
    release at every poll.

    One poll: the release's groups, then Magnum's periodic jobs and its
    rows (in a conductor process), then the release's groups again. A group
    in the release both before and after the rows were read was in it when
    they were read; one that was in it at neither time was not.
    """

    def __init__(self, release, conductors):
        self.release = release
        self.conductors = conductors
        self.polls = 0
        self.problems = []
        self.records = None

    def poll(self, cluster_uuid):
        conductor = self.conductors[self.polls % len(self.conductors)]
        before = self.release.groups()
        records = conductor.call('poll', cluster=cluster_uuid)
        after = self.release.groups()
        self.polls += 1
        self.records = records
        if records is not None:
            self.problems.extend(
                'poll %d (%s): %s' % (self.polls, conductor.name, p)
                for p in agreement.disagreements(records, before, after))
        return records

    def until(self, cluster_uuid, done, futures=(), timeout=WAIT):
        """Poll until done(records) once every future has an answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.poll(cluster_uuid)
            if all(f.done() for f in futures):
                if done(records):
                    return records
                if any(ng['status'].endswith('_FAILED')
                       for ng in records['nodegroups']):
                    return records
            time.sleep(0.2)
        raise AssertionError('not done after %ss: %s' % (
            timeout, _statuses(self.records)))


def _group(name, status, role='worker'):
    return {'name': name, 'chart_name': name + '-c', 'role': role,
            'status': status, 'status_reason': None}


@pytest.mark.parametrize('rows, before, after, found', [
    # Agreement: in progress may be in or out; settled must be in.
    ([_group('a', 'CREATE_COMPLETE'), _group('b', 'CREATE_IN_PROGRESS'),
      _group('m', 'CREATE_COMPLETE', role='master')],
     {'a-c'}, {'a-c', 'b-c'}, []),
    ([_group('d', 'DELETE_IN_PROGRESS')], {'d-c'}, set(), []),
    # Settled in Magnum, in neither read of the release.
    ([_group('a', 'CREATE_COMPLETE')], set(), set(),
     ['a is CREATE_COMPLETE in Magnum but not in the release']),
    # In the release across the read, failed or unknown in Magnum.
    ([_group('a', 'CREATE_FAILED')], {'a-c'}, {'a-c'},
     ['a is in the release but CREATE_FAILED in Magnum (None)']),
    ([], {'x-c'}, {'x-c'}, ['x-c is in the release, not in Magnum']),
    # Left the release while the rows were read: not judged.
    ([], {'x-c'}, set(), []),
])
def test_disagreements(rows, before, after, found):
    records = {'nodegroups': rows}
    assert agreement.disagreements(records, before, after) == found


def _statuses(records):
    if not records:
        return records
    return {'cluster': (records['status'], records['status_reason']),
            'nodegroups': {ng['name']: ng['status']
                           for ng in records['nodegroups']}}


def _returned(futures, since):
    """Seconds from since until the last of futures was answered."""
    ended = []
    for future in futures:
        future.add_done_callback(lambda f: ended.append(time.monotonic()))
    return lambda: round(max(ended) - since, 2) if len(ended) == len(
        futures) else None


def _answers(futures):
    """(answers, errors): every future's result or ConductorError."""
    answers, errors = {}, {}
    for name, future in futures.items():
        try:
            answers[name] = future.result(conductor_fixtures.CALL_TIMEOUT)
        except conductor_fixtures.ConductorError as exc:
            errors[name] = exc.message
    return answers, errors


def _namespace(project_id):
    return names.namespace_name(driver_conf.CONF.capi_driver.namespace_prefix,
                                project_id)


def _create_cluster(conductor, management, helm, helm_home, pollers):
    """A complete cluster, its Release and a Watch polling through pollers."""
    cluster = conductor.call('create_cluster', name='many conductors',
                             master_count=1, node_count=1)
    release = Release(management, helm, _namespace(cluster['project_id']),
                      cluster['stack_id'], helm_home)
    watch = Watch(release, pollers)
    watch.until(cluster['uuid'],
                lambda r: r['status'] == 'CREATE_COMPLETE')
    return cluster, release, watch


def _longest_lock_wait(conductors):
    """The longest wait for the lock the conductors logged, or None."""
    waits = [float(wait) for c in conductors
             for wait in LOCKED_AFTER.findall(c.log_tail(chars=None))]
    return max(waits) if waits else None


def _report(name, numbers):
    REPORT_DIR.mkdir(exist_ok=True)
    path = REPORT_DIR / ('%s.json' % name)
    path.write_text(json.dumps(numbers, indent=2, sort_keys=True))
    print('\n%s (%s):\n%s' % (name, path, path.read_text()))


def test_parallel_nodegroups_through_two_conductors(
        conductor_database, keystone, management, helm4, logs, tmp_path):
    """20 creates at once through two processes, then 10 deletes."""
    helm = helm4
    with _conductors(conductor_database, keystone, management, helm,
                     logs) as group:
        a, b = group.start(2)
        cluster, release, watch = _create_cluster(
            a, management, helm, tmp_path / 'helm-home', [a, b])
        uuid = cluster['uuid']

        def all_created(names):
            def done(records):
                status = {ng['name']: ng['status']
                          for ng in records['nodegroups']}
                return records['status'] in agreement.SETTLED and all(
                    status.get(n) == 'CREATE_COMPLETE' for n in names)
            return done

        wanted = ['ng-%02d' % i for i in range(20)]
        with LeaseWatch(management, release.namespace, uuid) as lease:
            # One create on its own, to compare with twenty at once.
            started = time.monotonic()
            single = {'solo': a.submit('nodegroup_create', cluster=uuid,
                                       name='solo')}
            single_returned = _returned(list(single.values()), started)
            watch.until(uuid, all_created(['solo']), single.values())
            single_done = time.monotonic() - started
            _, single_errors = _answers(single)
            single_lease = lease.summary('single', started)

            first_revision = release.latest_revision()
            started = time.monotonic()
            creates = {name: (a if i % 2 else b).submit(
                'nodegroup_create', cluster=uuid, name=name)
                for i, name in enumerate(wanted)}
            parallel_returned = _returned(list(creates.values()), started)
            records = watch.until(uuid, all_created(wanted),
                                  creates.values())
            parallel_done = time.monotonic() - started
            _, errors = _answers(creates)
            create_revision = release.latest_revision()
            creates_lease = lease.summary('creates', started)
            deletes_started = time.monotonic()
            create_problems = list(watch.problems)
            created = {ng['name']: ng['status']
                       for ng in records['nodegroups']
                       if ng['name'] in wanted}

            doomed = wanted[:10]
            deletes = {name: (a if i % 2 else b).submit(
                'nodegroup_delete', cluster=uuid, name=name)
                for i, name in enumerate(doomed)}
            records = watch.until(
                uuid, lambda r: r['status'] in agreement.SETTLED and not
                {ng['name'] for ng in r['nodegroups']} & set(doomed),
                deletes.values())
            _, delete_errors = _answers(deletes)
            delete_revision = release.latest_revision()
            deletes_lease = lease.summary('deletes', deletes_started)

        _report('conductors-parallel-nodegroups', dict(
            database=conductor_database[1],
            single_create_returned_s=single_returned(),
            single_create_complete_s=round(single_done, 2),
            parallel_20_creates_returned_s=parallel_returned(),
            parallel_20_creates_complete_s=round(parallel_done, 2),
            helm_upgrades_for_20_creates=create_revision - first_revision,
            helm_upgrades_for_10_deletes=delete_revision - create_revision,
            longest_logged_lock_wait_s=_longest_lock_wait([a, b]),
            polls=watch.polls, **single_lease, **creates_lease,
            **deletes_lease))

        left = {ng['name']: ng['status'] for ng in records['nodegroups']
                if ng['name'] in wanted}
        held = {ng['chart_name'] for ng in records['nodegroups']
                if ng['role'] != 'master'}
        conflicts = [m for m in list(errors.values()) +
                     list(delete_errors.values())
                     if any(c in m for c in HELM_CONFLICTS)]
        failures = _failures(
            ('the single create failed', single_errors),
            ('callers saw helm conflicts', conflicts),
            ('creates failed', errors),
            ('records and release disagreed while creating',
             create_problems),
            ('not CREATE_COMPLETE after the creates',
             {n: created.get(n) for n in wanted
              if created.get(n) != 'CREATE_COMPLETE'}),
            ('deletes failed', delete_errors),
            ('records and release disagreed while deleting',
             watch.problems[len(create_problems):]),
            ('left after the deletes, other than the 10 kept',
             left != {n: 'CREATE_COMPLETE' for n in wanted[10:]} and left),
            ('release and records differ at the end',
             release.groups() ^ held))
        assert not failures, failures


def _failures(*checks):
    """Every failed check with a sample of what failed, in one message."""
    report = []
    for what, found in checks:
        if found:
            items = list(found.items() if isinstance(found, dict)
                         else found)
            report.append('%s (%d): %s' % (what, len(items), items[:5]))
    return '\n'.join(report)


def test_conductor_killed_while_holding_the_lock(
        conductor_database, keystone, management, helm3, logs, tmp_path):
    """SIGKILL mid-upgrade; the other conductor's next operation works."""
    helm = helm3
    with _conductors(conductor_database, keystone, management, helm,
                     logs, lock_lease_duration=3,
                     lock_renew_interval=1) as group:
        victim, survivor = group.start(2)
        cluster, release, watch = _create_cluster(
            survivor, management, helm, tmp_path / 'helm-home', [survivor])
        uuid = cluster['uuid']
        lease = LeaseWatch(management, release.namespace, uuid)

        # Helm's writes of MachineDeployments take seconds: the upgrade
        # that adds a nodegroup stays pending-upgrade meanwhile.
        for verb in ('create', 'patch', 'update'):
            management.latency(4, verb=verb, resource='machinedeployments')
        killed = victim.submit('nodegroup_create', cluster=uuid,
                               name='interrupted')
        deadline = time.monotonic() + 180
        while not (lease.holder_pid() == victim.pid and
                   'pending-upgrade' in release.revisions().values()):
            assert time.monotonic() < deadline, (
                'never saw %s hold the Lease while the release was '
                'pending-upgrade: Lease %s, revisions %s' % (
                    victim.name, lease.lease(), release.revisions()))
            assert not killed.done(), (
                'the create ended (%s) before %s was seen holding the Lease '
                'mid-upgrade: Lease %s, revisions %s' % (
                    killed.exception() or killed.result(), victim.name,
                    lease.lease(), release.revisions()))
            time.sleep(0.05)
        victim.kill()
        killed_at = time.monotonic()
        management.clear_faults()
        stuck = release.revisions()
        assert 'pending-upgrade' in stuck.values()

        replacement = group.replace(victim)
        created = survivor.submit('nodegroup_create', cluster=uuid,
                                  name='after-the-crash')
        records = watch.until(
            uuid, lambda r: any(ng['name'] == 'after-the-crash' and
                                ng['status'] == 'CREATE_COMPLETE'
                                for ng in r['nodegroups']), [created])
        _, errors = _answers({'after-the-crash': created})
        recovered_after = time.monotonic() - killed_at
        assert not errors, errors
        assert _statuses(records)['nodegroups']['after-the-crash'] == \
            'CREATE_COMPLETE', _statuses(records)

        # The replacement process works on the same cluster too.
        watch.conductors = [replacement, survivor]
        resized = replacement.submit('nodegroup_update', cluster=uuid,
                                     name='after-the-crash', node_count=2)
        records = watch.until(
            uuid, lambda r: any(ng['name'] == 'after-the-crash' and
                                ng['status'] == 'UPDATE_COMPLETE'
                                for ng in r['nodegroups']), [resized])
        _, errors = _answers({'after-the-crash': resized})
        assert not errors, errors
        revisions = release.revisions()
        _report('conductors-killed-holder', dict(
            database=conductor_database[1],
            next_create_complete_after_kill_s=round(recovered_after, 2),
            revisions_at_kill=stuck, revisions_at_end=revisions))
        # Helm 3's rollback leaves the interrupted revision's record as it
        # was; only the newest revision decides whether helm goes on.
        assert revisions[max(revisions)] == 'deployed', revisions
        assert not watch.problems, watch.problems[:10]
        held = {ng['chart_name'] for ng in records['nodegroups']
                if ng['role'] != 'master' and
                ng['status'] in agreement.SETTLED}
        assert held <= release.groups()
