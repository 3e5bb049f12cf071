"""The CAPI simulator against the API server stand-in: objects are created
as helm would, and the tests watch them move through their status."""

import base64
import time

import pytest

from tests.fixtures import waiting
from tests.kubeapi import ManagementCluster
from tests.kubeapi.capi import client as client_mod
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import samples

# Simulated seconds per real second: a whole cluster comes up in ~0.3 s.
SPEED = 20000
NS = 'default'
TEST_AGENT = 'capi-sim-test/1.0'


class Api:
    """The test's own client (not counted as the simulator's requests)."""

    def __init__(self, url):
        self.client = client_mod.Client(url, user_agent=TEST_AGENT)

    def get(self, kind, name, namespace=NS):
        try:
            return self.client.get(kind, namespace, name)
        except client_mod.ApiError as exc:
            if exc.code == 404:
                return None
            raise

    def list(self, kind, namespace=NS, cluster=None):
        items = [o for o in self.client.list(kind)
                 if o['metadata'].get('namespace') == namespace]
        if cluster is not None:
            items = [o for o in items if o['metadata'].get('labels', {}).get(
                kinds.CLUSTER_NAME_LABEL) == cluster]
        return items

    def create_all(self, items):
        for kind, body in items:
            self.client.create(kind, body['metadata']['namespace'], body)

    def patch(self, kind, name, body, namespace=NS):
        self.client.patch(kind, namespace, name, body)

    def delete(self, kind, name, namespace=NS):
        self.client.delete(kind, namespace, name)

    def namespace(self, name):
        self.client.request('POST', '/api/v1/namespaces', {
            'apiVersion': 'v1', 'kind': 'Namespace',
            'metadata': {'name': name}})


def wait_for(check, timeout=15.0, what='condition'):
    return waiting.until(check, what, timeout, interval=0.01)


@pytest.fixture
def mc():
    with ManagementCluster(capi=True, speed=SPEED) as cluster:
        yield cluster


@pytest.fixture
def api(mc):
    return Api(mc.url)


def settled(api, cluster='c1', namespace=NS):
    """The cluster is Provisioned and every replica count is reached with
    up-to-date, ready machines."""
    c = api.get(kinds.CLUSTER, cluster, namespace)
    if not c or c.get('status', {}).get('phase') != 'Provisioned':
        return False
    available = [x for x in c['status']['v1beta2']['conditions']
                 if x['type'] == 'Available']
    if available[0]['status'] != 'True':
        return False
    owners = api.list(kinds.MACHINE_DEPLOYMENT, namespace, None) + [
        api.get(kinds.CONTROL_PLANE, '%s-control-plane' % cluster, namespace)]
    for obj in owners:
        status, spec = obj.get('status', {}), obj['spec']
        wanted = spec.get('replicas')
        if wanted is None or not all(
                status.get(k) == wanted for k in
                ('replicas', 'updatedReplicas', 'readyReplicas')):
            return False
        if status.get('observedGeneration') != obj['metadata']['generation']:
            return False
    return c


def machines(api, owner=None, cluster='c1', namespace=NS):
    items = api.list(kinds.MACHINE, namespace, cluster)
    if owner is not None:
        items = [m for m in items
                 if m['metadata']['ownerReferences'][0]['name'] == owner]
    return items


def create_cluster(api, namespace=NS, name='c1', **kwargs):
    api.create_all(samples.whole_cluster(namespace, name, **kwargs))
    return wait_for(lambda: settled(api, name, namespace),
                    what='cluster %s/%s to settle' % (namespace, name))


def test_cluster_comes_up(mc, api):
    started = time.monotonic()
    api.client.create(kinds.HELM_RELEASE, NS, {
        'apiVersion': kinds.HELM_RELEASE.api_version, 'kind': 'HelmRelease',
        'metadata': {'name': 'c1-cni-calico', 'namespace': NS},
        'spec': {'clusterName': 'c1', 'chart': {'name': 'tigera-operator'}}})
    cluster = create_cluster(api)
    assert time.monotonic() - started < 3
    osc = api.get(kinds.OPENSTACK_CLUSTER, 'c1')
    lb_ip = osc['status']['apiServerLoadBalancer']['ip']
    assert cluster['spec']['controlPlaneEndpoint'] == {'host': lb_ip,
                                                       'port': 6443}
    assert cluster['metadata']['finalizers'] == [kinds.CLUSTER_FINALIZER]
    status = cluster['status']
    assert status['infrastructureReady'] and status['controlPlaneReady']
    assert status['observedGeneration'] == cluster['metadata']['generation']
    conditions = {c['type']: c['status'] for c in status['conditions']}
    assert conditions == {'Ready': 'True', 'InfrastructureReady': 'True',
                          'ControlPlaneReady': 'True',
                          'ControlPlaneInitialized': 'True'}
    v1beta2 = {c['type']: c['status']
               for c in status['v1beta2']['conditions']}
    assert v1beta2['Available'] == v1beta2['WorkersAvailable'] == 'True'

    # Owner references CAPI sets, so garbage collection can clean up what
    # helm keeps.
    uid = cluster['metadata']['uid']
    for kind in (kinds.OPENSTACK_CLUSTER, kinds.CONTROL_PLANE,
                 kinds.MACHINE_DEPLOYMENT, kinds.MACHINE_TEMPLATE,
                 kinds.CONFIG_TEMPLATE):
        for obj in api.list(kind):
            refs = obj['metadata'].get('ownerReferences') or []
            assert uid in [r['uid'] for r in refs], obj['metadata']['name']

    every = machines(api)
    assert len(every) == 4
    for m in every:
        assert m['status']['phase'] == 'Running'
        assert m['status']['nodeRef']['name'] == m['metadata']['name']
        assert m['status']['addresses'][0]['address'].startswith('10.0.')
        assert m['spec']['version'] == 'v1.31.4'
    workers = machines(api, 'c1-small')
    assert len(workers) == 2
    for m in workers:
        labels = m['metadata']['labels']
        assert labels[kinds.DEPLOYMENT_NAME_LABEL] == 'c1-small'
        assert labels['capi.stackhpc.com/node-group'] == 'small'
    cp = machines(api, 'c1-control-plane')
    assert kinds.CONTROL_PLANE_LABEL in cp[0]['metadata']['labels']

    secret = api.get(kinds.SECRET, 'c1-kubeconfig')
    config = base64.b64decode(secret['data']['value']).decode()
    assert 'server: https://%s:6443' % lb_ip in config

    wait_for(lambda: api.get(kinds.HELM_RELEASE, 'c1-cni-calico').get(
        'status', {}).get('phase') == 'Deployed', what='add-on')

    sim = mc.requests.count(client='capi-simulator/')
    assert sim > 0
    assert sim + mc.requests.count(client=TEST_AGENT) == len(mc.requests)


def test_control_plane_grows_one_machine_at_a_time(mc, api):
    create_cluster(api, groups=())
    api.patch(kinds.CONTROL_PLANE, 'c1-control-plane',
              {'spec': {'replicas': 3}})
    most_in_progress = 0

    def done():
        nonlocal most_in_progress
        pending = [m for m in machines(api)
                   if m.get('status', {}).get('phase') != 'Running']
        most_in_progress = max(most_in_progress, len(pending))
        return settled(api)

    wait_for(done, what='three control plane machines')
    assert len(machines(api)) == 3
    assert most_in_progress == 1


def test_scale_to_zero_and_back(api):
    create_cluster(api)
    api.patch(kinds.MACHINE_DEPLOYMENT, 'c1-small', {'spec': {'replicas': 0}})
    wait_for(lambda: settled(api) and not machines(api, 'c1-small'),
             what='scale to zero')
    md = api.get(kinds.MACHINE_DEPLOYMENT, 'c1-small')
    assert [md['status'][k] for k in (
        'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas',
        'unavailableReplicas')] == [0] * 5
    assert md['status']['phase'] == 'Running'
    api.patch(kinds.MACHINE_DEPLOYMENT, 'c1-small', {'spec': {'replicas': 3}})
    wait_for(lambda: settled(api), what='scale back up')
    assert len(machines(api, 'c1-small')) == 3


@pytest.mark.parametrize('kind,name,change', [
    (kinds.MACHINE_DEPLOYMENT, 'c1-small',
     {'spec': {'template': {'spec': {'version': 'v1.32.1'}}}}),
    (kinds.MACHINE_DEPLOYMENT, 'c1-small',
     {'spec': {'template': {'spec': {'infrastructureRef': {
         'name': 'c1-small-2'}}}}}),
    (kinds.CONTROL_PLANE, 'c1-control-plane',
     {'spec': {'version': 'v1.32.1'}}),
])
def test_rolling_update(api, kind, name, change):
    create_cluster(api, control_plane_replicas=3, groups=(('small', 3),))
    before = {m['metadata']['name'] for m in machines(api, name)}
    api.patch(kind, name, change)
    generation = api.get(kind, name)['metadata']['generation']
    seen = []

    def done():
        obj = api.get(kind, name)
        owned = [m for m in machines(api, name)
                 if not m['metadata'].get('deletionTimestamp')]
        seen.append((len(owned), obj['status']))
        return settled(api) and not before & {
            m['metadata']['name'] for m in machines(api, name)}

    wait_for(done, what='rollout')
    after = machines(api, name)
    assert len(after) == 3
    if 'version' in str(change):
        assert {m['spec']['version'] for m in after} == {'v1.32.1'}
    # Never more than one extra machine, never fewer than 3 ready.
    assert max(count for count, _ in seen) <= 4
    assert min(s['readyReplicas'] for _, s in seen) >= 3
    # observedGeneration alone does not mean the rollout is done.
    assert any(s.get('observedGeneration') == generation
               and s['updatedReplicas'] < 3 for _, s in seen)
    final = api.get(kind, name)['status']
    assert final['updatedReplicas'] == final['replicas'] == 3
    assert final['observedGeneration'] == generation


def test_delete_machine_annotation_is_honoured(api):
    create_cluster(api, groups=(('small', 3),))
    victim = machines(api, 'c1-small')[1]['metadata']['name']
    api.patch(kinds.MACHINE, victim, {'metadata': {'annotations': {
        kinds.DELETE_MACHINE_ANNOTATION: 'yes'}}})
    api.patch(kinds.MACHINE_DEPLOYMENT, 'c1-small', {'spec': {'replicas': 2}})
    wait_for(lambda: settled(api) and len(machines(api, 'c1-small')) == 2,
             what='scale down')
    assert victim not in {m['metadata']['name']
                          for m in machines(api, 'c1-small')}


def test_deleted_machine_is_replaced(api):
    create_cluster(api)
    victim = machines(api, 'c1-small')[0]['metadata']['name']
    api.delete(kinds.MACHINE, victim)
    wait_for(lambda: api.get(kinds.MACHINE, victim) is None,
             what='machine deletion')
    wait_for(lambda: settled(api), what='replacement')
    assert len(machines(api, 'c1-small')) == 2


def test_autoscaled_deployment_gets_min_size(api):
    items = samples.whole_cluster(NS, 'c1', groups=())
    items.append((kinds.MACHINE_DEPLOYMENT, samples.machine_deployment(
        NS, 'c1', 'auto', replicas=None, annotations={
            kinds.AUTOSCALER_MIN: '2', kinds.AUTOSCALER_MAX: '5'})))
    api.create_all(items)
    wait_for(lambda: settled(api), what='autoscaled group')
    assert api.get(kinds.MACHINE_DEPLOYMENT, 'c1-auto')['spec'][
        'replicas'] == 2
    assert len(machines(api, 'c1-auto')) == 2


def cluster_objects(api, cluster='c1'):
    """Names of every object of the cluster still stored, by kind."""
    found = {}
    for kind in kinds.WATCHED:
        for obj in api.list(kind):
            name = obj['metadata']['name']
            if name == cluster or name.startswith(cluster + '-'):
                found.setdefault(kind.kind, set()).add(name)
    return found


def test_deletion_follows_capi_order(api):
    create_cluster(api)
    gone_at = {}
    api.delete(kinds.CLUSTER, 'c1')
    present = cluster_objects(api)
    assert 'Cluster' in present, 'the finalizer keeps the Cluster'

    def watch():
        now = cluster_objects(api)
        for kind in present:
            if kind not in now and kind not in gone_at:
                gone_at[kind] = len(gone_at)
        workers = [m for m in machines(api) if kinds.CONTROL_PLANE_LABEL
                   not in m['metadata']['labels']]
        if not workers and 'Workers' not in gone_at:
            gone_at['Workers'] = len(gone_at)
        return not now

    wait_for(watch, what='everything to go')
    assert gone_at['Workers'] <= gone_at['MachineDeployment']
    assert gone_at['MachineDeployment'] < gone_at['KubeadmControlPlane']
    assert gone_at['Machine'] <= gone_at['KubeadmControlPlane']
    assert gone_at['KubeadmControlPlane'] < gone_at['OpenStackCluster']
    assert gone_at['OpenStackCluster'] < gone_at['Cluster']
    assert {'OpenStackMachineTemplate', 'KubeadmConfigTemplate',
            'Secret'} <= set(gone_at)


def test_provider_error(mc, api):
    mc.capi.provider_error(NS, 'c1', reason='CreateError',
                           message='quota exceeded')
    api.create_all(samples.whole_cluster(NS, 'c1'))

    def failed():
        osc = api.get(kinds.OPENSTACK_CLUSTER, 'c1')
        return osc and osc.get('status', {}).get('failureReason') and osc

    osc = wait_for(failed, what='provider error')
    assert osc['status']['failureMessage'] == 'quota exceeded'
    ready = osc['status']['conditions'][0]
    assert (ready['status'], ready['reason'], ready['severity']) == (
        'False', 'OpenStackError', 'Error')
    time.sleep(0.3)
    cluster = api.get(kinds.CLUSTER, 'c1')
    assert cluster['status']['phase'] == 'Provisioning'
    # Worker machines exist but wait for bootstrap data; no control plane.
    assert not machines(api, 'c1-control-plane')
    assert {m['status']['phase'] for m in machines(api)} == {'Pending'}
    mc.capi.clear_faults()
    wait_for(lambda: settled(api), what='recovery')
    assert 'failureReason' not in api.get(kinds.OPENSTACK_CLUSTER,
                                          'c1')['status']


def test_machines_never_ready(mc, api):
    mc.capi.machines_never_ready(NS, 'c1', 'c1-large')
    api.create_all(samples.whole_cluster(NS, 'c1'))
    wait_for(lambda: api.get(kinds.MACHINE_DEPLOYMENT, 'c1-small').get(
        'status', {}).get('readyReplicas') == 2, what='other group')
    time.sleep(0.2)
    stuck = machines(api, 'c1-large')
    assert [m['status']['phase'] for m in stuck] == ['Provisioning']
    large = api.get(kinds.MACHINE_DEPLOYMENT, 'c1-large')['status']
    assert (large['readyReplicas'], large['unavailableReplicas']) == (0, 1)
    cluster = api.get(kinds.CLUSTER, 'c1')['status']
    v1beta2 = {c['type']: c['status'] for c in cluster['v1beta2'][
        'conditions']}
    assert v1beta2['WorkersAvailable'] == 'False'
    mc.capi.clear_faults()
    wait_for(lambda: settled(api), what='recovery')


def test_control_plane_never_ready(mc, api):
    mc.capi.machines_never_ready(NS, 'c1')
    api.create_all(samples.whole_cluster(NS, 'c1'))
    wait_for(lambda: machines(api, 'c1-control-plane'), what='a machine')
    time.sleep(0.3)
    cluster = api.get(kinds.CLUSTER, 'c1')['status']
    initialized = [c for c in cluster['conditions']
                   if c['type'] == 'ControlPlaneInitialized'][0]
    assert initialized['status'] == 'False'
    assert len(machines(api, 'c1-control-plane')) == 1
    assert {m['status']['phase'] for m in machines(api, 'c1-small')} == {
        'Pending'}
    assert api.get(kinds.SECRET, 'c1-kubeconfig') is None


def test_hung_deletion(mc, api):
    create_cluster(api)
    mc.capi.hang_deletion(NS, 'c1')
    api.delete(kinds.CLUSTER, 'c1')
    time.sleep(0.5)
    cluster = api.get(kinds.CLUSTER, 'c1')
    assert cluster['metadata']['deletionTimestamp']
    assert cluster['status']['phase'] == 'Deleting'
    mc.capi.clear_faults()
    wait_for(lambda: not cluster_objects(api), what='deletion')


def test_survives_api_outages(mc, api):
    api.create_all(samples.whole_cluster(NS, 'c1'))
    mc.outage(seconds=0.2)
    time.sleep(0.25)
    mc.refuse_connections(seconds=0.2)
    time.sleep(0.25)
    mc.fail(verb='patch', resource='machines', status=500, times=5)
    wait_for(lambda: settled(api), what='cluster after outages')
    assert mc.capi.errors > 0


def test_several_clusters_in_several_namespaces(api):
    for namespace in ('team-a', 'team-b'):
        api.namespace(namespace)
    for namespace, name in (('team-a', 'c1'), ('team-a', 'c2'),
                            ('team-b', 'c1')):
        api.create_all(samples.whole_cluster(namespace, name,
                                             groups=(('small', 1),)))
    for namespace, name in (('team-a', 'c1'), ('team-a', 'c2'),
                            ('team-b', 'c1')):
        wait_for(lambda: settled(api, name, namespace), what=name)
        assert len(machines(api, None, name, namespace)) == 2


def test_stop_is_prompt():
    with ManagementCluster(capi=True, speed=1) as mc:
        started = time.monotonic()
        mc.capi.stop()
        assert time.monotonic() - started < 1.5
