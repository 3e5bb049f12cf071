"""Real helm 3 and helm 4 against the API server stand-in."""

import base64
import json
import pathlib
import subprocess

import pytest

CHART = str(pathlib.Path(__file__).resolve().parents[1] / 'charts' / 'smoke')
NS = 'smoke'


def _run(binary, env, *args, check=True, stdin=None):
    result = subprocess.run([binary, *args], env=env, capture_output=True,
                            text=True, timeout=60, input=stdin)
    if check and result.returncode:
        raise AssertionError('%s %s failed: %s' % (binary, ' '.join(args),
                                                   result.stderr))
    return result


def _kubectl_json(kubectl, env, *args):
    return json.loads(_run(kubectl, env, 'get', '-o', 'json', *args).stdout)


def test_release_lifecycle(helm_binary, kubectl_binary, kube_env):
    helm = lambda *a, **k: _run(helm_binary, kube_env, *a, **k)  # noqa
    helm('upgrade', '--install', 'demo', CHART, '-n', NS,
         '--create-namespace', '--wait', '--timeout', '30s')
    config = _kubectl_json(kubectl_binary, kube_env, '-n', NS,
                           'configmap', 'demo-config')
    assert config['data'] == {'message': 'hello'}
    secret = _kubectl_json(kubectl_binary, kube_env, '-n', NS, 'secret',
                           'demo-secret')
    assert base64.b64decode(secret['data']['password']) == b's3cret'
    cluster = _kubectl_json(kubectl_binary, kube_env, '-n', NS,
                            'clusters.v1beta1.cluster.x-k8s.io', 'demo')
    assert cluster['spec']['topology'] == {'replicas': 1}

    helm('upgrade', '--install', 'demo', CHART, '-n', NS,
         '--set', 'message=bye', '--set', 'replicas=3')
    assert 'STATUS: deployed' in helm('status', 'demo', '-n', NS).stdout
    values = json.loads(helm('get', 'values', 'demo', '-n', NS,
                             '-o', 'json').stdout)
    assert values == {'message': 'bye', 'replicas': 3}
    releases = json.loads(helm('list', '-n', NS, '-o', 'json').stdout)
    assert [(r['name'], r['revision']) for r in releases] == [('demo', '2')]
    history = json.loads(helm('history', 'demo', '-n', NS,
                              '-o', 'json').stdout)
    assert [h['revision'] for h in history] == [1, 2]

    helm('rollback', 'demo', '1', '-n', NS)
    config = _kubectl_json(kubectl_binary, kube_env, '-n', NS,
                           'configmap', 'demo-config')
    assert config['data'] == {'message': 'hello'}
    cluster = _kubectl_json(kubectl_binary, kube_env, '-n', NS,
                            'clusters.v1beta1.cluster.x-k8s.io', 'demo')
    assert cluster['spec']['topology'] == {'replicas': 1}

    helm('uninstall', 'demo', '-n', NS, '--wait')
    left = _kubectl_json(kubectl_binary, kube_env, '-n', NS,
                         'configmaps,secrets,clusters.cluster.x-k8s.io')
    assert left['items'] == []
    assert helm('status', 'demo', '-n', NS, check=False).returncode != 0


def test_helm_reports_server_errors(helm_binary, kube_env,
                                    management_cluster):
    _run(helm_binary, kube_env, 'upgrade', '--install', 'demo', CHART,
         '-n', NS, '--create-namespace')
    management_cluster.fail('*', 'configmaps', status=500, times=None)
    result = _run(helm_binary, kube_env, 'upgrade', 'demo', CHART, '-n', NS,
                  '--set', 'message=changed', check=False)
    assert result.returncode != 0
    assert 'injected fault' in result.stderr
    assert management_cluster.requests.count(resource='configmaps',
                                             status=500) >= 1


def test_helm_fails_on_connection_errors(helm_binary, kube_env,
                                         management_cluster):
    management_cluster.refuse_connections()
    result = _run(helm_binary, kube_env, 'list', '-n', NS, check=False)
    assert result.returncode != 0
    assert 'cluster unreachable' in result.stderr


def test_helm4_upgrade_conflicts_with_other_field_manager(
        tools_bin, kubectl_binary, kube_env):
    helm = str(tools_bin / 'helm4')
    _run(helm, kube_env, 'upgrade', '--install', 'demo', CHART, '-n', NS,
         '--create-namespace')
    patch = json.dumps({'apiVersion': 'v1', 'kind': 'ConfigMap',
                        'metadata': {'name': 'demo-config', 'namespace': NS},
                        'data': {'message': 'taken over'}})
    apply = ('apply', '--server-side', '--field-manager=other', '-f', '-')
    result = _run(kubectl_binary, kube_env, *apply, stdin=patch,
                  check=False)
    assert result.returncode != 0
    assert 'conflict with "helm"' in result.stderr
    _run(kubectl_binary, kube_env, *apply, '--force-conflicts', stdin=patch)
    result = _run(helm, kube_env, 'upgrade', 'demo', CHART, '-n', NS,
                  '--set', 'password=new', check=False)
    assert result.returncode != 0
    assert 'conflict' in result.stderr and '"other"' in result.stderr
    _run(helm, kube_env, 'upgrade', 'demo', CHART, '-n', NS,
         '--force-conflicts')
    config = _kubectl_json(kubectl_binary, kube_env, '-n', NS, 'configmap',
                           'demo-config')
    assert config['data'] == {'message': 'hello'}


@pytest.mark.parametrize('binary', ['helm4'])
def test_helm4_client_side_apply(binary, tools_bin, kubectl_binary,
                                 kube_env):
    helm = str(tools_bin / binary)
    _run(helm, kube_env, 'upgrade', '--install', 'demo', CHART, '-n', NS,
         '--create-namespace', '--server-side=false')
    _run(helm, kube_env, 'upgrade', 'demo', CHART, '-n', NS,
         '--server-side=false', '--set', 'message=csa')
    config = _kubectl_json(kubectl_binary, kube_env, '-n', NS, 'configmap',
                           'demo-config')
    assert config['data'] == {'message': 'csa'}
