"""Many conductors, one truth, on the real services.

The two-process scenario of tests/functional/test_conductors.py, run the way
a cloud runs it: requests go through magnum-api and RabbitMQ to the stack's
two real ``magnum-conductor`` workers, and the clients are separate
processes, as parallel ``tofu apply`` workers are. Twenty nodegroups are
created at once, then ten of them deleted at once. At every poll, what
Magnum's API shows must agree with the cluster's Helm release (see
tests.fixtures.agreement), and the operations must have been taken by
both conductor services (each logs the operations it took).
"""

import concurrent.futures
import glob
import os
import re
import time

import pytest
import requests

from magnum_capi_driver import conf as driver_conf
from magnum_capi_driver import names
from tests.fixtures import agreement
from tests.stack.magnum_api import Magnum

CREATES = ['many-%02d' % i for i in range(20)]
DELETES = CREATES[:10]
WAIT = 600
FAILED = ('CREATE_FAILED', 'UPDATE_FAILED', 'DELETE_FAILED')


def _send(args):
    """One client process's request; the status code and body."""
    clouds_yaml, method, path, body = args
    reply = Magnum(clouds_yaml).request(method, path, '1.9', json=body)
    return reply.status_code, reply.text


class Poller(object):
    """Magnum's records through the API, checked against the release."""

    def __init__(self, magnum, cluster, kubeconfig, helm, env):
        """cluster: the cluster as the API shows it once created."""
        self.magnum, self.cluster_id = magnum, cluster['uuid']
        self.release = cluster['stack_id']
        self.namespace = names.namespace_name(
            driver_conf.CONF.capi_driver.namespace_prefix,
            cluster['project_id'])
        self.kubeconfig, self.helm, self.env = kubeconfig, helm, env
        self.polls = 0
        self.problems = []

    def revision(self, kube_url):
        """The release's newest revision number, from helm's Secrets."""
        reply = requests.get(
            '%s/api/v1/namespaces/%s/secrets' % (kube_url, self.namespace),
            params={'labelSelector': 'owner=helm,name=%s' % self.release},
            headers={'Authorization': 'Bearer test-token'}, timeout=30)
        return max([int(s['metadata']['labels']['version'])
                    for s in reply.json()['items']] or [0])

    def groups(self):
        return agreement.release_groups(self.helm, self.kubeconfig,
                                        self.namespace, self.release,
                                        self.env)

    def records(self):
        cluster = self.magnum.ok('GET', '/clusters/%s' % self.cluster_id)
        listed = self.magnum.ok(
            'GET', '/clusters/%s/nodegroups' % self.cluster_id, '1.9')
        groups = [dict(ng, chart_name=names.node_group_name(
            ng['name'], ng['uuid'])) for ng in listed['nodegroups']]
        return {'status': cluster['status'],
                'status_reason': cluster['status_reason'],
                'nodegroups': groups}

    def poll(self):
        before = self.groups()
        records = self.records()
        after = self.groups()
        self.polls += 1
        self.problems.extend(
            'poll %d: %s' % (self.polls, problem) for problem in
            agreement.disagreements(records, before, after))
        return records

    def until(self, done):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            records = self.poll()
            failed = [(ng['name'], ng['status'])
                      for ng in records['nodegroups']
                      if ng['status'] in FAILED]
            assert not failed, (failed, records['status_reason'])
            if done(records):
                return records
            time.sleep(0.5)
        raise AssertionError('not done after %ss: %s' % (WAIT, records))


def _taken_by(run_dir, cluster_id):
    """{conductor service: [nodegroup operations it took]}, from the
    driver's log line for each operation it queues."""
    queued = re.compile(r'Cluster %s: (\w+) of nodegroup (\S+) waits'
                        % cluster_id)
    taken = {}
    for log in sorted(glob.glob(os.path.join(run_dir,
                                             'magnum-conductor*.log'))):
        with open(log) as f:
            taken[os.path.basename(log)[:-4]] = sorted(
                '%s %s' % found for found in queued.findall(f.read()))
    return taken


def _statuses(records):
    return {ng['name']: ng['status'] for ng in records['nodegroups']}


@pytest.fixture(scope='module')
def scenario(local_stack, tools_bin, tmp_path_factory):
    """Create a cluster, 20 nodegroups at once, delete 10 at once."""
    clouds_yaml = local_stack.clouds_yaml
    magnum = Magnum(clouds_yaml)
    template = magnum.ok('POST', '/clustertemplates', json={
        'name': 'many conductors', 'coe': 'kubernetes',
        'image_id': 'ubuntu-2204-kube-v1.31', 'external_network_id':
        'public', 'flavor_id': 'Standard Dudingen c002m0004',
        'master_flavor_id': 'Standard Dudingen c002m0004',
        'network_driver': 'calico'})['uuid']
    cluster_id = magnum.ok('POST', '/clusters', json={
        'cluster_template_id': template, 'name': 'many-conductors',
        'keypair': 'default', 'master_count': 1,
        'node_count': 1})['uuid']
    home = tmp_path_factory.mktemp('helm-home')
    env = dict(os.environ, HELM_CACHE_HOME=str(home / 'cache'),
               HELM_CONFIG_HOME=str(home / 'config'),
               HELM_DATA_HOME=str(home / 'data'))
    body = magnum.wait('/clusters/%s' % cluster_id, ['CREATE_COMPLETE'],
                       interval=10.0)
    poller = Poller(magnum, body,
                    os.path.join(local_stack.run_dir, 'kubeconfig'),
                    str(tools_bin / 'helm4'), env)
    path = '/clusters/%s/nodegroups' % cluster_id
    seen = {}
    revision = poller.revision(local_stack.kube_url)
    with concurrent.futures.ProcessPoolExecutor(len(CREATES)) as pool:
        started = time.monotonic()
        seen['create_replies'] = list(pool.map(_send, [
            (clouds_yaml, 'POST', path, {'name': name, 'node_count': 1})
            for name in CREATES]))
        seen['created'] = poller.until(
            lambda r: r['status'] in agreement.SETTLED and all(
                _statuses(r).get(n) == 'CREATE_COMPLETE' for n in CREATES))
        seen['create_seconds'] = round(time.monotonic() - started, 1)
        seen['create_upgrades'] = poller.revision(
            local_stack.kube_url) - revision
        uuids = {ng['name']: ng['uuid']
                 for ng in seen['created']['nodegroups']}
        seen['delete_replies'] = list(pool.map(_send, [
            (clouds_yaml, 'DELETE', '%s/%s' % (path, uuids[name]), None)
            for name in DELETES]))
        seen['deleted'] = poller.until(
            lambda r: r['status'] in agreement.SETTLED and
            not set(DELETES) & set(_statuses(r)))
    seen['release'] = poller.groups()
    seen['problems'] = poller.problems
    seen['polls'] = poller.polls
    seen['taken'] = _taken_by(local_stack.run_dir, cluster_id)
    print('\nmany conductors on the stack: %s' % {
        key: seen[key] for key in ('create_seconds', 'create_upgrades',
                                   'polls', 'taken')})
    magnum.ok('DELETE', '/clusters/%s' % cluster_id)
    magnum.wait('/clusters/%s' % cluster_id, ['DELETE_COMPLETE'],
                interval=10.0)
    magnum.ok('DELETE', '/clustertemplates/%s' % template)
    return seen


def test_every_request_is_accepted(scenario):
    codes = [code for code, _ in scenario['create_replies'] +
             scenario['delete_replies']]
    assert set(codes) <= {202, 204}, scenario['create_replies'] + \
        scenario['delete_replies']


def test_twenty_parallel_creates_all_complete(scenario):
    statuses = _statuses(scenario['created'])
    assert {n: statuses.get(n) for n in CREATES} == {
        n: 'CREATE_COMPLETE' for n in CREATES}


def test_twenty_creates_cost_far_fewer_than_twenty_upgrades(scenario):
    """Waiting operations are served together (coalescing)."""
    assert 1 <= scenario['create_upgrades'] <= 10, scenario[
        'create_upgrades']


def test_ten_parallel_deletes_leave_the_other_ten(scenario):
    statuses = _statuses(scenario['deleted'])
    assert sorted(n for n in statuses if n in CREATES) == CREATES[10:]


def test_release_and_magnum_agree_at_every_poll(scenario):
    assert scenario['polls'] > 2
    assert scenario['problems'] == []


def test_release_ends_with_exactly_magnums_worker_groups(scenario):
    workers = {ng['chart_name'] for ng in scenario['deleted']['nodegroups']
               if ng['role'] != 'master'}
    assert scenario['release'] == workers


def test_both_conductor_services_took_operations(scenario):
    """RabbitMQ spread the casts: each operation was taken exactly once,
    and each service took some."""
    taken = scenario['taken']
    assert len(taken) == 2 and all(taken.values()), taken
    wanted = ['create %s' % n for n in CREATES] + \
        ['delete %s' % n for n in DELETES]
    assert sorted(sum(taken.values(), [])) == sorted(wanted)
