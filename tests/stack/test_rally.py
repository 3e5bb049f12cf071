"""Rally's Magnum scenario against the local stack, with its SLA.

The task file in rally-jobs/ is the one an operator points at a real cloud
(doc/source/rally.rst); here real Rally (rally-openstack from PyPI, in its
own virtualenv .venv-rally made by tools/setup-dev.sh) runs it against the
stack, with the member user as Rally's existing user.
"""

import json
import os
import pathlib
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
RALLY = REPO / '.venv-rally' / 'bin' / 'rally'
TASK = REPO / 'rally-jobs' / 'magnum-capi-driver.yaml'


def deployment_spec(clouds_yaml):
    """Rally's openstack deployment: the admin and the member user."""
    with open(clouds_yaml) as f:
        clouds = yaml.safe_load(f)['clouds']

    def credential(cloud):
        auth = cloud['auth']
        return {key: auth[key] for key in (
            'username', 'password', 'project_name', 'user_domain_name',
            'project_domain_name')}
    member = clouds['magnum-capi']
    return {'openstack': {
        'auth_url': member['auth']['auth_url'],
        'region_name': member['region_name'],
        'endpoint_type': 'public',
        'admin': credential(clouds['magnum-capi-admin']),
        'users': [credential(member)],
    }}


@pytest.fixture(scope='module')
def rally(local_stack, tmp_path_factory):
    """Runs rally with a home (config, sqlite DB) of its own."""
    if not RALLY.exists():
        pytest.fail('%s is missing: run tools/setup-dev.sh' % RALLY)
    home = tmp_path_factory.mktemp('rally-home')
    env = dict(os.environ, HOME=str(home), PYTHONWARNINGS='ignore')
    for name in [n for n in env if n.startswith('OS_')]:
        del env[name]
    (home / '.rally').mkdir()
    (home / '.rally' / 'rally.conf').write_text(
        '[database]\nconnection = sqlite:///%s/rally.sqlite\n' % home)

    def run(*args, check=True):
        result = subprocess.run([str(RALLY)] + list(args), env=env,
                                cwd=str(home), capture_output=True,
                                text=True, timeout=900,
                                stdin=subprocess.DEVNULL)
        if check:
            assert result.returncode == 0, (args, result.stdout[-5000:],
                                            result.stderr[-5000:])
        return result

    run('db', 'create')
    spec = home / 'deployment.json'
    spec.write_text(json.dumps(deployment_spec(local_stack.clouds_yaml)))
    run('deployment', 'create', '--name', 'stack', '--filename', str(spec))
    return run


def test_create_and_list_clusters_meets_its_sla(rally, tmp_path):
    started = rally('task', 'start', str(TASK), check=False)
    assert 'Task' in started.stdout, started.stdout[-5000:] + \
        started.stderr[-5000:]
    sla = rally('task', 'sla-check', '--json', check=False)
    assert sla.returncode == 0, sla.stdout
    assert [r['status'] for r in json.loads(sla.stdout)] == ['PASS']
    rally('task', 'report', '--json', '--out', str(tmp_path / 'r.json'))
    task = json.loads((tmp_path / 'r.json').read_text())['tasks'][0]
    workload = task['subtasks'][0]['workloads'][0]
    assert task['status'] == 'finished'
    assert (workload['total_iteration_count'],
            workload['failed_iteration_count']) == (1, 0)
    assert [iteration['error'] for iteration in workload['data']] == [[]]
    contexts = {c['plugin_name'].split('@')[0]: c
                for c in workload['contexts_results']}
    assert 'cluster_templates' in contexts, sorted(contexts)
    for name, context in contexts.items():
        assert context['setup']['error'] is None, (name, context)
        assert context['cleanup']['error'] is None, (name, context)
