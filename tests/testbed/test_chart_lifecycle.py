"""The test chart's whole Helm lifecycle against the management cluster.

Real helm 3 and helm 4 (which applies server-side) install, upgrade, roll
back and uninstall the chart on the API server stand-in while the Cluster
API simulator moves the objects through their real status fields. Objects
are read back through the HTTP API with pykube-ng, as the driver reads them.
"""

import json
import os
import re
import subprocess

import pykube
import pytest

from tests.fixtures import waiting
from tests.kubeapi import ManagementCluster
from tests.testbed import test_chart_render as chart

# Simulated CAPI runs this many times faster than real: provisioning takes
# about a second of wall time, and each teardown step tens of milliseconds.
SPEED = 200.0
NAMESPACE = 'lifecycle'
RELEASE = 'demo'
TIMEOUT = 60.0

CLUSTERS = ('cluster.x-k8s.io/v1beta1', 'clusters')
MACHINE_DEPLOYMENTS = ('cluster.x-k8s.io/v1beta1', 'machinedeployments')
MACHINES = ('cluster.x-k8s.io/v1beta1', 'machines')
CONTROL_PLANES = ('controlplane.cluster.x-k8s.io/v1beta1',
                  'kubeadmcontrolplanes')
OPENSTACK_CLUSTERS = ('infrastructure.cluster.x-k8s.io/v1beta1',
                      'openstackclusters')
MACHINE_TEMPLATES = ('infrastructure.cluster.x-k8s.io/v1beta1',
                     'openstackmachinetemplates')
CONFIG_TEMPLATES = ('bootstrap.cluster.x-k8s.io/v1beta1',
                    'kubeadmconfigtemplates')
HELM_RELEASES = ('addons.stackhpc.com/v1alpha1', 'helmreleases')
MANIFESTS = ('addons.stackhpc.com/v1alpha1', 'manifests')
SECRETS = ('v1', 'secrets')
SERVICE_ACCOUNTS = ('v1', 'serviceaccounts')
DEPLOYMENTS = ('apps/v1', 'deployments')
ROLES = ('rbac.authorization.k8s.io/v1', 'roles')
ROLE_BINDINGS = ('rbac.authorization.k8s.io/v1', 'rolebindings')
CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'


def group(name, count):
    return {'name': name, 'machineFlavor': 'm1.small', 'machineCount': count}


INSTALL = chart.merged(chart.BASE_VALUES, {
    'nodeGroups': [group('default-worker', 2), group('big', 1)]})
ADD_GROUP = chart.merged(INSTALL, {
    'nodeGroups': INSTALL['nodeGroups'] + [group('extra', 1)]})
REMOVE_GROUP = chart.merged(INSTALL, {
    'nodeGroups': [group('default-worker', 2), group('extra', 1)]})
SCALE_UP = chart.merged(INSTALL, {
    'nodeGroups': [group('default-worker', 3), group('extra', 1)]})


@pytest.fixture
def mc():
    with ManagementCluster(capi=True, speed=SPEED) as cluster:
        yield cluster


@pytest.fixture
def api(mc):
    return pykube.HTTPClient(pykube.KubeConfig.from_file(mc.kubeconfig))


@pytest.fixture
def helm(helm_binary, mc, tmp_path):
    """Runs one helm command against the stand-in; fails the test on error.

    The values are written to a file, never passed with --set.
    """
    home = tmp_path / 'home'
    env = dict(os.environ, HOME=str(home), KUBECONFIG=mc.kubeconfig,
               HELM_CACHE_HOME=str(home / 'cache'),
               HELM_CONFIG_HOME=str(home / 'config'),
               HELM_DATA_HOME=str(home / 'data'))

    def run(*args, values=None):
        command = [helm_binary, *args, '--namespace', NAMESPACE]
        if values is not None:
            command += ['--values', chart.values_file(values, tmp_path)]
        result = subprocess.run(command, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
        return result.stdout

    def run_json(*args):
        return json.loads(run(*args, '--output', 'json'))

    run.json = run_json
    return run


def items(api, resource, namespace=NAMESPACE):
    version, plural = resource
    response = api.get(version=version, namespace=namespace, url=plural)
    response.raise_for_status()
    return response.json()['items']


def by_name(api, resource):
    return {obj['metadata']['name']: obj for obj in items(api, resource)}


def wait_for(what, check, timeout=TIMEOUT):
    return waiting.until(check, what, timeout, interval=0.02)


def settled(api, replicas):
    """The Cluster is Provisioned and each group has its ready machines."""
    cluster = by_name(api, CLUSTERS).get(RELEASE)
    if not cluster or cluster.get('status', {}).get('phase') != \
            'Provisioned':
        return False
    deployments = by_name(api, MACHINE_DEPLOYMENTS)
    if set(deployments) != {'%s-%s' % (RELEASE, name) for name in replicas}:
        return False
    for name, count in replicas.items():
        md = deployments['%s-%s' % (RELEASE, name)]
        status = md.get('status', {})
        if md['spec'].get('replicas') != count or \
                status.get('readyReplicas', 0) != count or \
                status.get('replicas', 0) != count or \
                status.get('observedGeneration') != \
                md['metadata'].get('generation'):
            return False
    workers = [m for m in items(api, MACHINES)
               if CONTROL_PLANE_LABEL not in m['metadata'].get('labels', {})]
    return len(workers) == sum(replicas.values())


def install_and_grow(helm, api):
    """Revision 1 installs two groups, 2 adds a third, 3 removes one."""
    helm('upgrade', '--install', RELEASE, str(chart.CHART),
         '--create-namespace', values=INSTALL)
    # The driver's credentials Secret, which the chart only refers to.
    pykube.Secret(api, {
        'metadata': {'name': INSTALL['cloudCredentialsSecretName'],
                     'namespace': NAMESPACE},
        'stringData': {'clouds.yaml': 'clouds: {openstack: {}}'}}).create()
    wait_for('cluster provisioned with 2 + 1 workers',
             lambda: settled(api, {'default-worker': 2, 'big': 1}))
    kcp = by_name(api, CONTROL_PLANES)['%s-control-plane' % RELEASE]
    assert kcp['spec']['replicas'] == 1
    assert kcp['status']['readyReplicas'] == 1

    helm('upgrade', RELEASE, str(chart.CHART), values=ADD_GROUP)
    wait_for('the extra group has its machine', lambda: settled(
        api, {'default-worker': 2, 'big': 1, 'extra': 1}))

    helm('upgrade', RELEASE, str(chart.CHART), values=REMOVE_GROUP)
    wait_for('the big group and its machines are gone', lambda: settled(
        api, {'default-worker': 2, 'extra': 1}))


def revisions(helm):
    return [(h['revision'], h['status'])
            for h in helm.json('history', RELEASE)]


def test_lifecycle(helm, api):
    install_and_grow(helm, api)

    status = helm.json('status', RELEASE)
    assert (status['version'], status['info']['status']) == (3, 'deployed')
    assert helm.json('get', 'values', RELEASE) == REMOVE_GROUP
    [listed] = helm.json('list')
    assert (listed['name'], listed['revision'], listed['status'],
            listed['chart']) == (RELEASE, '3', 'deployed',
                                 'openstack-cluster-0.27.0-test')
    assert revisions(helm) == [(1, 'superseded'), (2, 'superseded'),
                               (3, 'deployed')]

    helm('upgrade', RELEASE, str(chart.CHART), values=SCALE_UP)
    wait_for('default-worker has 3 machines', lambda: settled(
        api, {'default-worker': 3, 'extra': 1}))
    helm('rollback', RELEASE, '3')
    wait_for('default-worker is back to 2 machines', lambda: settled(
        api, {'default-worker': 2, 'extra': 1}))
    assert helm.json('get', 'values', RELEASE) == REMOVE_GROUP
    history = helm.json('history', RELEASE)
    assert (history[-1]['revision'], history[-1]['status'],
            history[-1]['description']) == (5, 'deployed', 'Rollback to 3')

    helm('uninstall', RELEASE)
    assert_capi_order(observe_teardown(api))
    assert helm.json('list') == []
    for resource in (CLUSTERS, OPENSTACK_CLUSTERS, CONTROL_PLANES,
                     MACHINE_DEPLOYMENTS, MACHINES, MACHINE_TEMPLATES,
                     CONFIG_TEMPLATES, HELM_RELEASES, MANIFESTS,
                     SERVICE_ACCOUNTS, DEPLOYMENTS, ROLES, ROLE_BINDINGS):
        assert items(api, resource) == [], resource
    # Only the credentials are left: deleting them is the driver's job,
    # once the Cluster is gone.
    assert [s['metadata']['name'] for s in items(api, SECRETS)] == [
        INSTALL['cloudCredentialsSecretName']]


def test_rollback_cannot_bring_back_a_removed_group(helm, api):
    """Helm keeps a removed group's templates (resource-policy keep) but
    forgets them, so a rollback to a revision that has the group fails on
    them, with helm 3 and helm 4 alike. An upgrade with that revision's
    values adopts them and brings the group back."""
    install_and_grow(helm, api)
    with pytest.raises(AssertionError) as failure:
        helm('rollback', RELEASE, '2')
    assert re.search(r'(KubeadmConfigTemplate|OpenStackMachineTemplate) '
                     r'with the name "%s-big-[0-9a-f]{8}"' % RELEASE,
                     str(failure.value))
    assert revisions(helm)[-1] == (4, 'failed')
    assert set(by_name(api, MACHINE_DEPLOYMENTS)) == {
        '%s-default-worker' % RELEASE, '%s-extra' % RELEASE}

    helm('upgrade', RELEASE, str(chart.CHART), values=ADD_GROUP)
    wait_for('the big group is back', lambda: settled(
        api, {'default-worker': 2, 'big': 1, 'extra': 1}))
    assert revisions(helm)[-1] == (5, 'deployed')


# What each teardown stage consists of.
STAGES = (
    ('workers', lambda api: [m for m in items(api, MACHINES)
                             if CONTROL_PLANE_LABEL not in
                             m['metadata'].get('labels', {})]
     + items(api, MACHINE_DEPLOYMENTS)),
    ('control plane', lambda api: [m for m in items(api, MACHINES)
                                   if CONTROL_PLANE_LABEL in
                                   m['metadata'].get('labels', {})]
     + items(api, CONTROL_PLANES)),
    ('infrastructure', lambda api: items(api, OPENSTACK_CLUSTERS)),
    ('cluster', lambda api: items(api, CLUSTERS)),
)


def observe_teardown(api):
    """Which stages still had objects, sampled until everything is gone."""
    samples = []

    def gone():
        # Later stages are read first: as teardown only moves forward, a
        # sample taken over several requests is then still a true tail.
        present = tuple(reversed([name for name, objects in reversed(STAGES)
                                  if objects(api)]))
        if not samples or samples[-1] != present:
            samples.append(present)
        return not present
    wait_for('the cluster is gone', gone)
    return samples


def assert_capi_order(samples):
    """CAPI removes workers, then the control plane, then the OpenStack
    cluster; the Cluster goes last (in the same instant as the OpenStack
    cluster, or after it)."""
    names = [name for name, _ in STAGES]
    for present in samples:
        # What is left is always a tail of the stage list.
        assert list(present) == names[len(names) - len(present):], samples
    seen = {len(present) for present in samples}
    # Seen: workers gone with the control plane left, then the control
    # plane gone with the infrastructure left, then nothing.
    assert seen >= {3, 2, 0}, samples
    assert samples[-1] == (), samples
