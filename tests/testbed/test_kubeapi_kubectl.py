"""Real kubectl against the API server stand-in."""

import json
import subprocess
import threading
import time

import pytest

MANIFEST = '''
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: %(name)s, labels: {tier: %(tier)s}}
spec: {paused: %(paused)s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %(name)s}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        env: [{name: MODE, value: "%(tier)s"}]
'''


@pytest.fixture
def kubectl(kubectl_binary, kube_env):
    def run(*args, stdin=None, check=True):
        result = subprocess.run([kubectl_binary, *args], env=kube_env,
                                input=stdin, capture_output=True, text=True,
                                timeout=30)
        if check and result.returncode:
            raise AssertionError('kubectl %s: %s' % (' '.join(args),
                                                     result.stderr))
        return result
    return run


def _get(kubectl, *args):
    return json.loads(kubectl('get', '-o', 'json', *args).stdout)


def _manifest(name, tier='gold', paused='true'):
    return MANIFEST % {'name': name, 'tier': tier, 'paused': paused}


@pytest.mark.parametrize('mode', [(), ('--server-side',)])
def test_apply_twice_updates(kubectl, mode):
    kubectl('apply', *mode, '-f', '-', stdin=_manifest('web'))
    kubectl('apply', *mode, '-f', '-',
            stdin=_manifest('web', tier='silver', paused='false'))
    cluster = _get(kubectl, 'clusters.v1beta1.cluster.x-k8s.io', 'web')
    assert cluster['spec'] == {'paused': False}
    assert cluster['metadata']['labels'] == {'tier': 'silver'}
    assert cluster['metadata']['generation'] == 2
    deployment = _get(kubectl, 'deployment', 'web')
    container, = deployment['spec']['template']['spec']['containers']
    assert container['env'] == [{'name': 'MODE', 'value': 'silver'}]


def test_server_side_apply_drops_fields_no_longer_applied(kubectl):
    kubectl('apply', '--server-side', '-f', '-', stdin=_manifest('web'))
    kubectl('apply', '--server-side', '-f', '-',
            stdin=_manifest('web').replace(
                'labels: {tier: gold}', 'labels: {}'))
    cluster = _get(kubectl, 'clusters.cluster.x-k8s.io', 'web')
    assert 'tier' not in cluster['metadata'].get('labels', {})


def test_get_with_label_selector_and_short_names(kubectl):
    kubectl('apply', '-f', '-', stdin=_manifest('a', tier='gold'))
    kubectl('apply', '-f', '-', stdin=_manifest('b', tier='silver'))
    listed = _get(kubectl, 'cluster', '-l', 'tier in (silver,bronze)')
    assert [i['metadata']['name'] for i in listed['items']] == ['b']
    listed = _get(kubectl, 'cl', '-A')
    assert [i['metadata']['name'] for i in listed['items']] == ['a', 'b']
    table = kubectl('get', 'clusters.cluster.x-k8s.io').stdout
    assert table.split()[:2] == ['NAME', 'AGE']


def test_status_patch_and_wait(kubectl):
    kubectl('apply', '-f', '-', stdin=_manifest('c1'))

    def become_ready():
        time.sleep(0.3)
        kubectl('patch', 'cluster', 'c1', '--subresource=status',
                '--type=merge', '-p', json.dumps({'status': {
                    'conditions': [{'type': 'Ready', 'status': 'True'}]}}))

    thread = threading.Thread(target=become_ready, daemon=True)
    thread.start()
    started = time.monotonic()
    kubectl('wait', '--for=condition=Ready', 'cluster/c1', '--timeout=10s')
    assert time.monotonic() - started < 5
    thread.join()
    cluster = _get(kubectl, 'cluster', 'c1')
    assert cluster['status']['conditions'][0]['type'] == 'Ready'
    assert cluster['metadata']['generation'] == 1


def test_wait_for_delete_and_namespace_deletion(kubectl):
    kubectl('create', 'namespace', 'gone')
    kubectl('-n', 'gone', 'create', 'secret', 'generic', 's',
            '--from-literal=k=v')
    kubectl('-n', 'gone', 'create', 'configmap', 'c', '--from-literal=k=v')
    kubectl('delete', 'namespace', 'gone', '--wait', '--timeout=10s')
    result = kubectl('get', 'namespace', 'gone', check=False)
    assert result.returncode != 0 and 'NotFound' in result.stderr
    result = kubectl('-n', 'gone', 'get', 'secret', 's', check=False)
    assert 'NotFound' in result.stderr


def test_delete_by_label(kubectl):
    kubectl('apply', '-f', '-', stdin=_manifest('drop', tier='gold'))
    kubectl('apply', '-f', '-', stdin=_manifest('keep', tier='silver'))
    kubectl('delete', 'clusters.cluster.x-k8s.io', '-l', 'tier=gold')
    names = [i['metadata']['name'] for i in
             _get(kubectl, 'clusters.cluster.x-k8s.io')['items']]
    assert names == ['keep']


def test_strategic_merge_patch_on_builtin_only(kubectl):
    kubectl('apply', '-f', '-', stdin=_manifest('sm'))
    kubectl('patch', 'deployment', 'sm', '-p', json.dumps({'spec': {
        'template': {'spec': {'containers': [
            {'name': 'side', 'image': 'busybox'}]}}}}))
    containers = _get(kubectl, 'deployment', 'sm')['spec']['template'][
        'spec']['containers']
    assert [c['name'] for c in containers] == ['web', 'side']
    result = kubectl('patch', 'cluster', 'sm', '--type=strategic',
                     '-p', '{"spec": {"paused": false}}', check=False)
    assert result.returncode != 0
    assert 'UnsupportedMediaType' in result.stderr or \
        'unknown format' in result.stderr
