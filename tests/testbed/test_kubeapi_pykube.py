"""The API server stand-in as pykube-ng (the driver's client) sees it."""

import threading
import time

import pykube
import pytest
import requests


class CapiCluster(pykube.objects.NamespacedAPIObject):
    version = 'cluster.x-k8s.io/v1beta1'
    endpoint = 'clusters'
    kind = 'Cluster'


class MachineDeployment(pykube.objects.NamespacedAPIObject):
    version = 'cluster.x-k8s.io/v1beta1'
    endpoint = 'machinedeployments'
    kind = 'MachineDeployment'


@pytest.fixture
def api(management_cluster):
    client = pykube.HTTPClient(
        pykube.KubeConfig.from_file(management_cluster.kubeconfig))
    yield client
    client.session.close()


def _cluster(api, name, labels=None, **spec):
    obj = CapiCluster(api, {
        'apiVersion': CapiCluster.version, 'kind': 'Cluster',
        'metadata': {'name': name, 'namespace': 'default',
                     'labels': labels or {}},
        'spec': spec})
    obj.create()
    return obj


def test_get_list_with_selectors(api):
    _cluster(api, 'one', {'tier': 'gold', 'env': 'prod'})
    _cluster(api, 'two', {'tier': 'silver', 'env': 'prod'})
    _cluster(api, 'three', {'env': 'dev'})
    query = CapiCluster.objects(api, namespace='default')

    def names(**kwargs):
        return sorted(o.name for o in query.filter(**kwargs))

    assert names(selector={'env': 'prod'}) == ['one', 'two']
    assert names(selector={'tier__in': ['gold', 'bronze']}) == ['one']
    assert names(selector={'tier__notin': ['gold']}) == ['three', 'two']
    assert names(selector='tier') == ['one', 'two']
    assert names(selector='!tier') == ['three']
    assert names(selector='env==prod,tier!=gold') == ['two']
    assert names(selector={'env__neq': 'prod'}) == ['three']
    assert names(field_selector={'metadata.name': 'two'}) == ['two']
    assert query.get(name='three').labels == {'env': 'dev'}
    with pytest.raises(pykube.ObjectDoesNotExist):
        query.get(name='four')


def test_pagination(api, management_cluster):
    for index in range(5):
        _cluster(api, 'c%d' % index)
    seen, token = [], ''
    while True:
        response = api.get(
            url='namespaces/default/clusters?limit=2&continue=%s' % token,
            version=CapiCluster.version)
        response.raise_for_status()
        body = response.json()
        seen += [o['metadata']['name'] for o in body['items']]
        token = body['metadata']['continue']
        if not token:
            break
    assert seen == ['c0', 'c1', 'c2', 'c3', 'c4']


def test_patch_status_and_generation(api):
    obj = _cluster(api, 'gen', paused=True)
    assert obj.obj['metadata']['generation'] == 1
    obj.obj['spec']['paused'] = False
    obj.obj['status'] = {'phase': 'ignored on the main resource'}
    obj.update()
    assert obj.obj['metadata']['generation'] == 2
    assert 'status' not in obj.obj
    obj.patch({'status': {'phase': 'Provisioned'}}, subresource='status')
    obj.reload()
    assert obj.obj['status'] == {'phase': 'Provisioned'}
    assert obj.obj['metadata']['generation'] == 2
    stale = CapiCluster(api, dict(obj.obj))
    obj.patch({'metadata': {'labels': {'a': 'b'}}})
    stale.obj['spec']['paused'] = True
    with pytest.raises(pykube.exceptions.HTTPError) as raised:
        stale.update()
    assert raised.value.code == 409
    assert 'the object has been modified' in str(raised.value)


def test_watch_sees_live_changes(api):
    obj = _cluster(api, 'watched')
    query = CapiCluster.objects(api, namespace='default').filter(
        field_selector={'metadata.name': 'watched'})
    seen = []

    def change():
        time.sleep(0.2)
        obj.patch({'spec': {'paused': True}})
        obj.delete()

    threading.Thread(target=change, daemon=True).start()
    for event in query.watch():
        seen.append((event.type, event.object.name))
        if event.type == 'DELETED':
            break
    assert seen == [('ADDED', 'watched'), ('MODIFIED', 'watched'),
                    ('DELETED', 'watched')]


def test_finalizers_hold_deletion(api):
    obj = _cluster(api, 'held')
    obj.patch({'metadata': {'finalizers': ['cluster.x-k8s.io']}})
    obj.delete()
    obj.reload()
    assert obj.obj['metadata']['deletionTimestamp']
    obj.patch({'metadata': {'finalizers': None}})
    assert not obj.exists()


def test_owner_garbage_collection(api):
    owner = _cluster(api, 'owner')
    ref = {'apiVersion': CapiCluster.version, 'kind': 'Cluster',
           'name': 'owner', 'uid': owner.obj['metadata']['uid']}
    for name in ('md-a', 'md-b'):
        MachineDeployment(api, {
            'apiVersion': MachineDeployment.version,
            'kind': 'MachineDeployment',
            'metadata': {'name': name, 'namespace': 'default',
                         'ownerReferences': [ref]},
            'spec': {'replicas': 1}}).create()
    kept = _cluster(api, 'orphan-owner')
    orphan = MachineDeployment(api, {
        'apiVersion': MachineDeployment.version, 'kind': 'MachineDeployment',
        'metadata': {'name': 'md-kept', 'namespace': 'default',
                     'ownerReferences': [dict(
                         ref, name='orphan-owner',
                         uid=kept.obj['metadata']['uid'])]}})
    orphan.create()
    owner.delete(propagation_policy='Foreground')
    kept.delete(propagation_policy='Orphan')
    names = sorted(o.name for o in MachineDeployment.objects(
        api, namespace='default'))
    assert names == ['md-kept']
    orphan.reload()
    assert 'ownerReferences' not in orphan.obj['metadata']
    assert not owner.exists()


def test_namespace_deletion_removes_contents(api):
    pykube.Namespace(api, {'metadata': {'name': 'doomed'}}).create()
    pykube.Secret(api, {'metadata': {'name': 's', 'namespace': 'doomed'},
                        'stringData': {'k': 'v'}}).create()
    held = CapiCluster(api, {
        'apiVersion': CapiCluster.version, 'kind': 'Cluster',
        'metadata': {'name': 'held', 'namespace': 'doomed',
                     'finalizers': ['test']}})
    held.create()
    namespace = pykube.Namespace.objects(api).get(name='doomed')
    namespace.delete()
    namespace.reload()
    assert namespace.obj['status']['phase'] == 'Terminating'
    assert list(pykube.Secret.objects(api, namespace='doomed')) == []
    with pytest.raises(pykube.exceptions.HTTPError) as raised:
        pykube.ConfigMap(api, {'metadata': {'name': 'late',
                                            'namespace': 'doomed'}}).create()
    assert raised.value.code == 403
    held.patch({'metadata': {'finalizers': []}})
    assert not namespace.exists()


def test_server_errors_raise(api, management_cluster):
    obj = _cluster(api, 'flaky')
    management_cluster.fail('patch', 'clusters', status=500, times=1)
    with pytest.raises(pykube.exceptions.HTTPError) as raised:
        obj.patch({'spec': {'paused': True}})
    assert raised.value.code == 500
    assert 'injected fault' in str(raised.value)
    obj.patch({'spec': {'paused': True}})
    assert obj.obj['spec']['paused'] is True
    assert management_cluster.requests.count(
        verb='patch', resource='clusters', client='pykube-ng',
        status=500) == 1


def test_outage_then_recovery(api, management_cluster):
    # A window wide enough that a slow, loaded machine still lands the
    # first request inside it.
    management_cluster.outage(seconds=2)
    with pytest.raises(pykube.exceptions.HTTPError) as raised:
        pykube.Namespace.objects(api).get(name='default')
    assert raised.value.code == 503
    time.sleep(2.05)
    assert pykube.Namespace.objects(api).get(name='default').name == \
        'default'


def test_refused_connections(api, management_cluster):
    assert pykube.Namespace.objects(api).get(name='default')
    management_cluster.refuse_connections(times=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            pykube.Namespace.objects(api).get(name='default')
    assert pykube.Namespace.objects(api).get(name='default')


def test_latency(api, management_cluster):
    management_cluster.latency(0.2, verb='get', resource='namespaces')
    started = time.monotonic()
    pykube.Namespace.objects(api).get(name='default')
    assert time.monotonic() - started >= 0.2
