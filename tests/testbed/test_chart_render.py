"""Render the test openstack-cluster chart with real helm 3 and helm 4.

The chart stands in for azimuth-cloud's openstack-cluster 0.27.0, so these
tests pin what the driver relies on: the kinds, names, labels and
annotations upstream renders for the values a Magnum driver sets, and the
render failures for bad values. Expected values are facts read from the
upstream chart, written out here rather than computed.
"""

import copy
import json
import pathlib
import re
import subprocess
import tempfile

import pytest
import yaml

CHART = pathlib.Path(__file__).resolve().parents[1] / 'charts' / \
    'openstack-cluster'
RELEASE = 'demo'
NAMESPACE = 'ns1'
HASHED = re.compile(r'^(?P<base>.+)-(?P<hash>[0-9a-f]{8})$')
P = 'capi.stackhpc.com'
MIN_SIZE = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size'
MAX_SIZE = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'

# One control plane machine and two node groups, as a driver sends them.
BASE_VALUES = {
    'kubernetesVersion': '1.31.2',
    'machineImageId': 'image-123',
    'machineSSHKeyName': 'keypair-1',
    'cloudCredentialsSecretName': 'demo-cloud-credentials',
    'controlPlane': {'machineFlavor': 'm1.medium', 'machineCount': 1},
    'nodeGroups': [
        {'name': 'default-worker', 'machineFlavor': 'm1.small',
         'machineCount': 2},
        {'name': 'big', 'machineFlavor': 'm1.large', 'machineCount': 1},
    ],
}


def merged(base, override):
    """Deep merge of plain dicts; lists and scalars are replaced."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def values_file(values, directory):
    """Write values as a file: numbers and booleans survive, unlike --set."""
    path = pathlib.Path(directory) / 'values.json'
    path.write_text(json.dumps(values))
    return str(path)


def helm_template(helm, values, release=RELEASE):
    with tempfile.TemporaryDirectory() as tmp:
        return subprocess.run(
            [helm, 'template', release, str(CHART), '--namespace', NAMESPACE,
             '--values', values_file(values, tmp)],
            capture_output=True, text=True, timeout=60)


def render(helm, override=None, base=BASE_VALUES):
    """Rendered objects keyed by (kind, name)."""
    result = helm_template(helm, merged(base, override or {}))
    assert result.returncode == 0, result.stderr
    objects = {}
    for doc in yaml.safe_load_all(result.stdout):
        if doc:
            key = (doc['kind'], doc['metadata']['name'])
            assert key not in objects, 'rendered twice: %s %s' % key
            objects[key] = doc
    return objects


def one(objects, kind, name=None):
    """The single object of a kind (and name, hash suffix ignored)."""
    found = [doc for (k, n), doc in objects.items() if k == kind and (
        name is None or n == name or unhashed(n) == name)]
    assert len(found) == 1, '%s %s: found %d' % (kind, name, len(found))
    return found[0]


def unhashed(name):
    match = HASHED.match(name)
    return match.group('base') if match else name


def labels(doc):
    return doc['metadata'].get('labels') or {}


def annotations(doc):
    return doc['metadata'].get('annotations') or {}


def cluster_labels(chart='openstack-cluster-0.27.0-test'):
    return {'helm.sh/chart': chart, P + '/managed-by': 'Helm',
            P + '/infrastructure-provider': 'openstack',
            P + '/cluster': RELEASE}


def component_labels(component, group=None):
    out = dict(cluster_labels(), **{P + '/component': component})
    if group:
        out[P + '/node-group'] = group
    return out


def addon_labels(component):
    # The subchart is aliased "addons", and helm names it so in the label.
    return {'helm.sh/chart': 'addons-0.27.0-test',
            P + '/managed-by': 'Helm', P + '/cluster': RELEASE,
            P + '/component': component}


# (kind, name without hash, template is hash-named)
BASE_OBJECTS = {
    ('Cluster', 'demo', False),
    ('OpenStackCluster', 'demo', False),
    ('KubeadmControlPlane', 'demo-control-plane', False),
    ('OpenStackMachineTemplate', 'demo-control-plane', True),
    ('MachineHealthCheck', 'demo-control-plane', False),
    ('Secret', 'demo-admission-configuration', False),
    ('OpenStackMachineTemplate', 'demo-default-worker', True),
    ('KubeadmConfigTemplate', 'demo-default-worker', True),
    ('MachineDeployment', 'demo-default-worker', False),
    ('MachineHealthCheck', 'demo-default-worker', False),
    ('OpenStackMachineTemplate', 'demo-big', True),
    ('KubeadmConfigTemplate', 'demo-big', True),
    ('MachineDeployment', 'demo-big', False),
    ('MachineHealthCheck', 'demo-big', False),
    ('ServiceAccount', 'demo-autoscaler', False),
    ('Role', 'demo-autoscaler', False),
    ('RoleBinding', 'demo-autoscaler', False),
    ('Deployment', 'demo-autoscaler', False),
    ('Secret', 'demo-cni-calico-config', False),
    ('HelmRelease', 'demo-cni-calico', False),
    ('Manifests', 'demo-cni-calico-globalnetpolicy', False),
    ('Manifests', 'demo-cloud-config', False),
    ('Secret', 'demo-ccm-openstack-config', False),
    ('HelmRelease', 'demo-ccm-openstack', False),
    ('Secret', 'demo-csi-cinder-config', False),
    ('HelmRelease', 'demo-csi-cinder', False),
    ('Manifests', 'demo-csi-cinder-storageclass', False),
    ('Secret', 'demo-metrics-server-config', False),
    ('HelmRelease', 'demo-metrics-server', False),
}

API_VERSIONS = {
    'Cluster': 'cluster.x-k8s.io/v1beta1',
    'MachineDeployment': 'cluster.x-k8s.io/v1beta1',
    'MachineHealthCheck': 'cluster.x-k8s.io/v1beta1',
    'OpenStackCluster': 'infrastructure.cluster.x-k8s.io/v1beta1',
    'OpenStackMachineTemplate': 'infrastructure.cluster.x-k8s.io/v1beta1',
    'KubeadmControlPlane': 'controlplane.cluster.x-k8s.io/v1beta1',
    'KubeadmConfigTemplate': 'bootstrap.cluster.x-k8s.io/v1beta1',
    'HelmRelease': 'addons.stackhpc.com/v1alpha1',
    'Manifests': 'addons.stackhpc.com/v1alpha1',
    'Secret': 'v1',
    'ServiceAccount': 'v1',
    'Role': 'rbac.authorization.k8s.io/v1',
    'RoleBinding': 'rbac.authorization.k8s.io/v1',
    'Deployment': 'apps/v1',
}


def test_default_cluster_renders_upstream_kinds_and_names(helm_binary):
    objects = render(helm_binary)
    seen = {(kind, unhashed(name), name != unhashed(name))
            for kind, name in objects}
    assert seen == BASE_OBJECTS
    for (kind, _), doc in objects.items():
        assert doc['apiVersion'] == API_VERSIONS[kind]


# (kind, name, expected labels, expected annotations)
LABEL_TABLE = [
    ('Cluster', 'demo', cluster_labels(), {}),
    ('OpenStackCluster', 'demo', cluster_labels(),
     {'helm.sh/resource-policy': 'keep'}),
    ('KubeadmControlPlane', 'demo-control-plane',
     component_labels('control-plane'), {'helm.sh/resource-policy': 'keep'}),
    ('MachineHealthCheck', 'demo-control-plane',
     component_labels('control-plane'), {}),
    ('Secret', 'demo-admission-configuration',
     component_labels('admission-configuration'), {}),
    ('MachineDeployment', 'demo-default-worker',
     component_labels('worker', 'default-worker'), {}),
    ('MachineHealthCheck', 'demo-big', component_labels('worker', 'big'), {}),
    ('Deployment', 'demo-autoscaler', component_labels('autoscaler'), {}),
    ('Role', 'demo-autoscaler', component_labels('autoscaler'), {}),
    ('HelmRelease', 'demo-cni-calico', addon_labels('cni-calico'), {}),
    ('Secret', 'demo-cni-calico-config',
     dict(addon_labels('cni-calico'), **{'addons.stackhpc.com/watch': ''}),
     {}),
    ('Manifests', 'demo-cloud-config', addon_labels('cloud-config'), {}),
    ('HelmRelease', 'demo-csi-cinder', addon_labels('csi-cinder'), {}),
    ('Manifests', 'demo-csi-cinder-storageclass', addon_labels('csi-cinder'),
     {}),
    ('HelmRelease', 'demo-ccm-openstack', addon_labels('ccm-openstack'), {}),
]


@pytest.mark.parametrize('kind,name,want_labels,want_annotations',
                         LABEL_TABLE,
                         ids=['%s/%s' % row[:2] for row in LABEL_TABLE])
def test_labels_and_annotations(helm_binary, kind, name, want_labels,
                                want_annotations):
    doc = one(render(helm_binary), kind, name)
    assert labels(doc) == want_labels
    assert annotations(doc) == want_annotations


@pytest.mark.parametrize('kind,name,want_labels', [
    ('OpenStackMachineTemplate', 'demo-control-plane',
     component_labels('control-plane')),
    ('OpenStackMachineTemplate', 'demo-big',
     component_labels('worker', 'big')),
    ('KubeadmConfigTemplate', 'demo-big',
     component_labels('worker', 'big')),
])
def test_templates_are_hash_named_and_kept(helm_binary, kind, name,
                                           want_labels):
    doc = one(render(helm_binary), kind, name)
    checksum = annotations(doc)[P + '/template-checksum']
    assert re.fullmatch('[0-9a-f]{64}', checksum)
    assert doc['metadata']['name'] == '%s-%s' % (name, checksum[:8])
    assert annotations(doc)['helm.sh/resource-policy'] == 'keep'
    assert labels(doc) == want_labels


def test_cluster_refs_and_networks(helm_binary):
    objects = render(helm_binary, {
        'clusterAnnotations': {'example.org/owner': 'magnum'},
        'kubeNetwork': {'pods': {'cidrBlocks': ['10.100.0.0/16']}}})
    cluster = one(objects, 'Cluster')
    assert annotations(cluster) == {'example.org/owner': 'magnum'}
    spec = cluster['spec']
    assert spec['clusterNetwork']['pods'] == {'cidrBlocks': ['10.100.0.0/16']}
    assert spec['clusterNetwork']['services'] == {
        'cidrBlocks': ['172.24.0.0/13']}
    assert spec['controlPlaneRef'] == {
        'apiVersion': API_VERSIONS['KubeadmControlPlane'],
        'kind': 'KubeadmControlPlane', 'name': 'demo-control-plane',
        'namespace': NAMESPACE}
    assert spec['infrastructureRef'] == {
        'apiVersion': API_VERSIONS['OpenStackCluster'],
        'kind': 'OpenStackCluster', 'name': 'demo', 'namespace': NAMESPACE}
    # clusterAnnotations go on the Cluster only.
    osc = one(objects, 'OpenStackCluster')
    assert 'example.org/owner' not in annotations(osc)


def test_control_plane(helm_binary):
    objects = render(helm_binary, {'kubernetesVersion': 'v1.30.4',
                                   'controlPlane': {'machineCount': 3}})
    kcp = one(objects, 'KubeadmControlPlane')
    mt = one(objects, 'OpenStackMachineTemplate', 'demo-control-plane')
    assert kcp['spec']['replicas'] == 3
    assert kcp['spec']['version'] == 'v1.30.4'
    assert kcp['spec']['machineTemplate']['infrastructureRef'] == {
        'apiVersion': API_VERSIONS['OpenStackMachineTemplate'],
        'kind': 'OpenStackMachineTemplate',
        'name': mt['metadata']['name'], 'namespace': NAMESPACE}
    assert kcp['spec']['machineTemplate']['metadata']['labels'] == {
        P + '/cluster': 'demo', P + '/component': 'control-plane'}
    mhc = one(objects, 'MachineHealthCheck', 'demo-control-plane')
    assert mhc['spec']['selector']['matchLabels'] == {
        P + '/cluster': 'demo', P + '/component': 'control-plane'}
    assert mhc['spec']['clusterName'] == 'demo'


def test_machine_template_spec(helm_binary):
    objects = render(helm_binary, {
        'controlPlane': {'machineRootVolume': {'diskSize': 40,
                                               'volumeType': 'ssd'}},
        'nodeGroups': [{'name': 'named', 'machineFlavor': 'f1',
                        'machineCount': 1, 'machineImageId': '',
                        'machineImage': 'ubuntu-{{ .Values.kubernetesVersion'
                                        ' }}'}],
        'machineImageId': '', 'machineImage': 'global-image'})
    cp = one(objects, 'OpenStackMachineTemplate', 'demo-control-plane')
    spec = cp['spec']['template']['spec']
    assert spec['identityRef'] == {'name': 'demo-cloud-credentials',
                                   'cloudName': 'openstack'}
    assert spec['flavor'] == 'm1.medium'
    assert spec['sshKeyName'] == 'keypair-1'
    assert spec['image'] == {'filter': {'name': 'global-image'}}
    assert spec['rootVolume'] == {'sizeGiB': 40, 'type': 'ssd',
                                  'availabilityZone': {'from': 'Machine'}}
    group = one(objects, 'OpenStackMachineTemplate', 'demo-named')
    gspec = group['spec']['template']['spec']
    assert gspec['image'] == {'filter': {'name': 'ubuntu-1.31.2'}}
    assert gspec['flavor'] == 'f1'
    assert 'rootVolume' not in gspec


def test_image_id_wins_and_group_overrides(helm_binary):
    objects = render(helm_binary, {'nodeGroups': [
        {'name': 'own-image', 'machineFlavor': 'f', 'machineCount': 1,
         'machineImageId': 'image-456', 'kubernetesVersion': '1.30.9',
         'failureDomain': 'az-2'}]})
    cp = one(objects, 'OpenStackMachineTemplate', 'demo-control-plane')
    assert cp['spec']['template']['spec']['image'] == {'id': 'image-123'}
    mt = one(objects, 'OpenStackMachineTemplate', 'demo-own-image')
    assert mt['spec']['template']['spec']['image'] == {'id': 'image-456'}
    md = one(objects, 'MachineDeployment', 'demo-own-image')
    assert md['spec']['template']['spec']['version'] == 'v1.30.9'
    assert md['spec']['template']['spec']['failureDomain'] == 'az-2'
    kcp = one(objects, 'KubeadmControlPlane')
    assert kcp['spec']['version'] == 'v1.31.2'


def test_machine_deployment(helm_binary):
    objects = render(helm_binary)
    md = one(objects, 'MachineDeployment', 'demo-default-worker')
    mt = one(objects, 'OpenStackMachineTemplate', 'demo-default-worker')
    kct = one(objects, 'KubeadmConfigTemplate', 'demo-default-worker')
    spec = md['spec']
    assert spec['replicas'] == 2
    assert spec['clusterName'] == 'demo'
    assert spec['selector']['matchLabels'] == {
        P + '/cluster': 'demo', P + '/component': 'worker',
        P + '/node-group': 'default-worker',
        'cluster.x-k8s.io/cluster-name': 'demo'}
    template = spec['template']
    assert template['metadata']['labels'] == {
        P + '/cluster': 'demo', P + '/component': 'worker',
        P + '/node-group': 'default-worker'}
    assert template['spec']['version'] == 'v1.31.2'
    assert 'failureDomain' not in template['spec']
    assert template['spec']['infrastructureRef']['name'] == \
        mt['metadata']['name']
    assert template['spec']['bootstrap']['configRef'] == {
        'apiVersion': API_VERSIONS['KubeadmConfigTemplate'],
        'kind': 'KubeadmConfigTemplate', 'name': kct['metadata']['name']}
    assert MIN_SIZE not in annotations(md)


def test_autoscaling_group(helm_binary):
    objects = render(helm_binary, {'nodeGroups': [
        {'name': 'auto', 'machineFlavor': 'f', 'autoscale': True,
         'machineCountMin': 0, 'machineCountMax': 5}]})
    md = one(objects, 'MachineDeployment', 'demo-auto')
    assert annotations(md) == {MIN_SIZE: '0', MAX_SIZE: '5'}
    assert 'replicas' not in md['spec']


def test_autoscale_as_string_from_magnum_capi_helm(helm_binary):
    # magnum-capi-helm sends autoscale: "true"; any non-empty string counts.
    objects = render(helm_binary, {'nodeGroups': [
        {'name': 'auto', 'machineFlavor': 'f', 'machineCount': 2,
         'autoscale': 'true', 'machineCountMin': 1, 'machineCountMax': 3}]})
    md = one(objects, 'MachineDeployment', 'demo-auto')
    assert annotations(md) == {MIN_SIZE: '1', MAX_SIZE: '3'}
    assert 'replicas' not in md['spec']


def test_zero_count_group(helm_binary):
    objects = render(helm_binary, {'nodeGroups': [
        {'name': 'empty', 'machineFlavor': 'f', 'machineCount': 0}]})
    md = one(objects, 'MachineDeployment', 'demo-empty')
    assert md['spec']['replicas'] == 0
    assert annotations(md) == {}


@pytest.mark.parametrize('defaults,group,want_replicas,want_autoscale', [
    ({'machineCount': 4}, {'machineCount': 0}, 4, False),
    ({'autoscale': True, 'machineCountMin': 1, 'machineCountMax': 2},
     {'autoscale': False, 'machineCount': 3}, None, True),
    ({'machineCount': 4}, {'machineCount': 1}, 1, False),
])
def test_node_group_defaults_falsy_override_quirk(
        helm_binary, defaults, group, want_replicas, want_autoscale):
    """Upstream's merge keeps a group value only when it is non-empty."""
    objects = render(helm_binary, {
        'nodeGroupDefaults': defaults,
        'nodeGroups': [dict(group, name='quirk', machineFlavor='f')]})
    md = one(objects, 'MachineDeployment', 'demo-quirk')
    assert md['spec'].get('replicas') == want_replicas
    assert (MIN_SIZE in annotations(md)) is want_autoscale


def test_node_group_defaults_merge_under_groups(helm_binary):
    objects = render(helm_binary, {
        'nodeGroupDefaults': {
            'machineRootVolume': {'diskSize': 20, 'volumeType': 'slow'},
            'healthCheck': {'enabled': False},
            'machineNetworking': {'ports': [
                {}, {'network': {'name': 'extra-net'},
                     'securityGroups': []}]}},
        'nodeGroups': [{'name': 'grp', 'machineFlavor': 'f',
                        'machineCount': 1,
                        'machineRootVolume': {'diskSize': 50}}]})
    spec = one(objects, 'OpenStackMachineTemplate', 'demo-grp')[
        'spec']['template']['spec']
    assert spec['rootVolume'] == {'sizeGiB': 50, 'type': 'slow',
                                  'availabilityZone': {'from': 'Machine'}}
    assert spec['ports'] == [
        {}, {'network': {'filter': {'name': 'extra-net'}},
             'securityGroups': []}]
    assert ('MachineHealthCheck', 'demo-grp') not in objects
    assert ('MachineHealthCheck', 'demo-control-plane') in objects


def test_health_checks_can_be_disabled(helm_binary):
    objects = render(helm_binary, {
        'controlPlane': {'healthCheck': {'enabled': False}},
        'nodeGroupDefaults': {'healthCheck': {'enabled': False}}})
    assert not [key for key in objects if key[0] == 'MachineHealthCheck']


def test_node_labels_and_taints(helm_binary):
    taint = {'key': 'gpu', 'value': 'true', 'effect': 'NoSchedule'}
    objects = render(helm_binary, {'nodeGroups': [{
        'name': 'gpu', 'machineFlavor': 'f', 'machineCount': 1,
        'nodeLabels': {'zone.example.org/rack': 'r1', 'accel': 'gpu'},
        'kubeadmConfigSpec': {'joinConfiguration': {
            'nodeRegistration': {'taints': [taint]}}}}]})
    kct = one(objects, 'KubeadmConfigTemplate', 'demo-gpu')
    registration = kct['spec']['template']['spec']['joinConfiguration'][
        'nodeRegistration']
    assert registration['kubeletExtraArgs'] == {
        'cloud-provider': 'external',
        'node-labels': 'accel=gpu,capi.stackhpc.com/node-group=gpu,'
                       'zone.example.org/rack=r1'}
    assert registration['taints'] == [taint]


def test_changed_spec_gets_new_template_names(helm_binary):
    before = render(helm_binary)
    after = render(helm_binary, {'nodeGroups': [
        {'name': 'default-worker', 'machineFlavor': 'm1.xlarge',
         'machineCount': 2},
        {'name': 'big', 'machineFlavor': 'm1.large', 'machineCount': 1,
         'nodeLabels': {'new': 'label'}}]})
    again = render(helm_binary)
    assert set(before) == set(again)

    def name(objects, kind, group):
        return one(objects, kind, group)['metadata']['name']
    assert name(before, 'OpenStackMachineTemplate', 'demo-default-worker') \
        != name(after, 'OpenStackMachineTemplate', 'demo-default-worker')
    assert name(before, 'KubeadmConfigTemplate', 'demo-default-worker') \
        == name(after, 'KubeadmConfigTemplate', 'demo-default-worker')
    assert name(before, 'KubeadmConfigTemplate', 'demo-big') \
        != name(after, 'KubeadmConfigTemplate', 'demo-big')
    assert name(before, 'OpenStackMachineTemplate', 'demo-big') \
        == name(after, 'OpenStackMachineTemplate', 'demo-big')


def test_managed_subnet(helm_binary):
    objects = render(helm_binary, {'clusterNetworking': {
        'externalNetworkId': 'ext-net',
        'internalNetwork': {'nodeCidr': '10.0.0.0/24',
                            'dnsNameservers': ['1.1.1.1']}}})
    spec = one(objects, 'OpenStackCluster')['spec']
    assert spec['managedSubnets'] == [{'cidr': '10.0.0.0/24',
                                       'dnsNameservers': ['1.1.1.1']}]
    assert spec['externalNetwork'] == {'id': 'ext-net'}
    assert 'network' not in spec and 'subnets' not in spec
    assert spec['identityRef'] == {'name': 'demo-cloud-credentials',
                                   'cloudName': 'openstack'}
    assert spec['managedSecurityGroups'] == {'allowAllInClusterTraffic': True}


def test_managed_subnet_takes_legacy_nameservers(helm_binary):
    spec = one(render(helm_binary, {'clusterNetworking': {
        'dnsNameservers': ['8.8.8.8']}}), 'OpenStackCluster')['spec']
    assert spec['managedSubnets'] == [{'cidr': '192.168.3.0/24',
                                       'dnsNameservers': ['8.8.8.8']}]
    assert 'externalNetwork' not in spec


@pytest.mark.parametrize('internal,want', [
    ({'networkFilter': {'id': 'net-1'}},
     {'network': {'id': 'net-1'}}),
    ({'subnetFilter': {'id': 'sub-1'}},
     {'subnets': [{'id': 'sub-1'}]}),
    ({'networkFilter': {'name': 'tenant', 'tags': 'a,b'},
      'subnetFilter': {'name': 'tenant-sub'}},
     {'network': {'filter': {'name': 'tenant', 'tags': ['a', 'b']}},
      'subnets': [{'filter': {'name': 'tenant-sub'}}]}),
])
def test_existing_network(helm_binary, internal, want):
    spec = one(render(helm_binary, {'clusterNetworking': {
        'internalNetwork': internal}}), 'OpenStackCluster')['spec']
    assert 'managedSubnets' not in spec
    assert {key: spec[key] for key in ('network', 'subnets')
            if key in spec} == want


def test_allowed_cidrs(helm_binary):
    spec = one(render(helm_binary, {'apiServer': {
        'allowedCIDRs': ['10.0.0.0/8', '203.0.113.7/32'],
        'loadBalancerProvider': 'amphora'}}), 'OpenStackCluster')['spec']
    assert spec['apiServerLoadBalancer'] == {
        'enabled': True, 'provider': 'amphora',
        'allowedCIDRs': ['10.0.0.0/8', '203.0.113.7/32']}


def test_misspelt_allowed_cidrs_are_ignored(helm_binary):
    # magnum-capi-helm sends apiServer.allowedCidrs; upstream reads only
    # allowedCIDRs, and so does this chart.
    spec = one(render(helm_binary, {'apiServer': {
        'allowedCidrs': ['10.0.0.0/8']}}), 'OpenStackCluster')['spec']
    assert spec['apiServerLoadBalancer'] == {'enabled': True}


@pytest.mark.parametrize('lb,fip,want_lb,want_disable_fip', [
    (True, True, {'enabled': True}, False),
    (True, False, {'enabled': True}, True),
    (False, True, None, False),
    (False, False, None, True),
])
def test_load_balancer_and_floating_ip(helm_binary, lb, fip, want_lb,
                                       want_disable_fip):
    spec = one(render(helm_binary, {'apiServer': {
        'enableLoadBalancer': lb, 'associateFloatingIP': fip,
        'port': 443}}), 'OpenStackCluster')['spec']
    assert spec.get('apiServerLoadBalancer') == want_lb
    assert spec['disableAPIServerFloatingIP'] is want_disable_fip
    assert spec['apiServerPort'] == 443


def test_ovn_provider_opens_node_ports(helm_binary):
    spec = one(render(helm_binary, {'apiServer': {
        'loadBalancerProvider': 'ovn'}}), 'OpenStackCluster')['spec']
    rules = spec['managedSecurityGroups']['workerNodesSecurityGroupRules']
    assert sorted((r['protocol'], r['portRangeMin'], r['portRangeMax'])
                  for r in rules) == [('tcp', 30000, 32767),
                                      ('udp', 30000, 32767)]


def test_etcd_block_device(helm_binary):
    objects = render(helm_binary, {'etcd': {'blockDevice': {
        'size': 10, 'type': 'Volume', 'volumeType': 'fast'}}})
    spec = one(objects, 'OpenStackMachineTemplate', 'demo-control-plane')[
        'spec']['template']['spec']
    assert spec['configDrive'] is True
    assert spec['additionalBlockDevices'] == [{
        'name': 'etcd', 'sizeGiB': 10,
        'storage': {'type': 'Volume', 'volume': {
            'type': 'fast', 'availabilityZone': {'from': 'Machine'}}}}]
    kcs = one(objects, 'KubeadmControlPlane')['spec']['kubeadmConfigSpec']
    assert kcs['mounts'] == [['LABEL=etcd_disk', '/var/lib/etcd']]


@pytest.mark.parametrize('cni,want_calico,want_skip', [
    ({}, True, False),
    ({'type': 'cilium'}, False, True),
    ({'type': 'cilium', 'cilium': {'release': {'values': {
        'kubeProxyReplacement': False}}}}, False, False),
])
def test_cni(helm_binary, cni, want_calico, want_skip):
    objects = render(helm_binary, {'addons': {'cni': cni}})
    names = {name for kind, name in objects if kind == 'HelmRelease'}
    assert ('demo-cni-calico' in names) is want_calico
    assert ('demo-cni-cilium' in names) is not want_calico
    kcs = one(objects, 'KubeadmControlPlane')['spec']['kubeadmConfigSpec']
    skipped = kcs['initConfiguration'].get('skipPhases', [])
    assert ('addon/kube-proxy' in skipped) is want_skip
    release = one(objects, 'HelmRelease',
                  'demo-cni-calico' if want_calico else 'demo-cni-cilium')
    assert release['spec']['bootstrap'] is True
    assert release['spec']['clusterName'] == 'demo'


def test_addon_helm_release_reads_its_config_secret(helm_binary):
    objects = render(helm_binary, {'addons': {'openstack': {
        'csiCinder': {'values': {'extra': 'value'}}}}})
    release = one(objects, 'HelmRelease', 'demo-csi-cinder')
    assert release['spec']['releaseName'] == 'csi-cinder'
    assert release['spec']['targetNamespace'] == 'openstack-system'
    assert release['spec']['chart']['name'] == 'openstack-cinder-csi'
    assert release['spec']['valuesSources'] == [
        {'secret': {'name': 'demo-csi-cinder-config', 'key': key}}
        for key in ('defaults', 'overrides')]
    secret = one(objects, 'Secret', 'demo-csi-cinder-config')
    assert yaml.safe_load(secret['stringData']['overrides'])['extra'] == \
        'value'
    assert yaml.safe_load(secret['stringData']['defaults'])[
        'storageClass'] == {'enabled': False}


def test_storage_classes(helm_binary):
    objects = render(helm_binary, {'addons': {'openstack': {'csiCinder': {
        'defaultStorageClass': {'name': 'gold', 'volumeType': 'ssd',
                                'reclaimPolicy': 'Retain'},
        'additionalStorageClasses': [{'name': 'bronze',
                                      'volumeType': 'hdd'}]}}}})
    manifests = one(objects, 'Manifests', 'demo-csi-cinder-storageclass')
    classes = [yaml.safe_load(source['template'])
               for source in manifests['spec']['manifestSources']]
    assert [(c['metadata']['name'], c['parameters']['type'],
             c['reclaimPolicy'], c['metadata'].get('annotations'))
            for c in classes] == [
        ('gold', 'ssd', 'Retain',
         {'storageclass.kubernetes.io/is-default-class': 'true'}),
        ('bronze', 'hdd', 'Delete', None)]
    assert {c['provisioner'] for c in classes} == {'cinder.csi.openstack.org'}


def test_cloud_config_addon(helm_binary):
    objects = render(helm_binary, {'addons': {'openstack': {'cloudConfig': {
        'LoadBalancer': {'lb-provider': 'ovn', 'lb-method': 'SOURCE_IP_PORT',
                         'create-monitor': True}}}}})
    manifests = one(objects, 'Manifests', 'demo-cloud-config')
    assert manifests['spec']['releaseName'] == 'cloud-config'
    assert manifests['spec']['targetNamespace'] == 'openstack-system'
    text = manifests['spec']['manifestSources'][0]['template']
    for line in ('lb-provider=ovn', 'lb-method=SOURCE_IP_PORT',
                 'create-monitor=true', 'ignore-volume-az=true',
                 'tls-insecure=true', 'cloud=openstack'):
        assert line in text.split()


def test_monitoring_and_keystone_auth_addons(helm_binary):
    objects = render(helm_binary, {
        'authWebhook': 'k8s-keystone-auth',
        'addons': {'monitoring': {'enabled': True}, 'openstack': {
            'k8sKeystoneAuth': {'enabled': True, 'values': {
                'openstackAuthUrl': 'http://127.0.0.1:5000/v3',
                'projectId': 'p-1'}}}}})
    for name in ('kube-prometheus-stack', 'loki-stack', 'k8s-keystone-auth'):
        release = one(objects, 'HelmRelease', 'demo-' + name)
        assert labels(release) == addon_labels(name)
        assert ('Secret', 'demo-%s-config' % name) in objects
    assert ('Manifests', 'demo-cni-calico-monitoring') in objects
    secret = one(objects, 'Secret', 'demo-k8s-keystone-auth-config')
    assert yaml.safe_load(secret['stringData']['overrides']) == {
        'openstackAuthUrl': 'http://127.0.0.1:5000/v3', 'projectId': 'p-1'}
    release = one(objects, 'HelmRelease', 'demo-k8s-keystone-auth')
    assert release['spec']['targetNamespace'] == 'kube-system'
    kcs = one(objects, 'KubeadmControlPlane')['spec']['kubeadmConfigSpec']
    paths = {f['path'] for f in kcs['files']}
    assert '/etc/kubernetes/webhooks/keystone_webhook_config.yaml' in paths
    kct = one(objects, 'KubeadmConfigTemplate', 'demo-big')
    assert 'mkdir -p /etc/kubernetes/keystone-auth' in \
        kct['spec']['template']['spec']['preKubeadmCommands']


def test_addons_can_be_disabled(helm_binary):
    objects = render(helm_binary, {'addons': {'enabled': False}})
    assert not [key for key in objects
                if key[0] in ('HelmRelease', 'Manifests')]


def test_release_name_drives_every_name(helm_binary):
    result = helm_template(helm_binary, BASE_VALUES, release='other-7x')
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert all(d['metadata']['name'].startswith('other-7x') for d in docs)
    assert {d['metadata']['labels'][P + '/cluster'] for d in docs} == {
        'other-7x'}


MISSING = [
    ({'kubernetesVersion': None}, 'kubernetesVersion is required'),
    ({'controlPlane': {'machineFlavor': None}},
     'controlPlane.machineFlavor is required'),
    ({'machineImageId': None}, 'an image is required'),
    ({'cloudCredentialsSecretName': None},
     'cloudCredentialsSecretName is required'),
    ({'nodeGroups': [{'name': 'Bad_Name', 'machineFlavor': 'f',
                      'machineCount': 1}]},
     'nodeGroups[0].name "Bad_Name" is invalid: a node group name must '
     'match ^[a-z][a-z0-9\\-]+[a-z0-9]$'),
    ({'nodeGroups': [{'name': 'ok-name', 'machineFlavor': 'f',
                      'machineCount': 1},
                     {'name': 'ab', 'machineFlavor': 'f', 'machineCount': 1}]},
     'nodeGroups[1].name "ab" is invalid'),
    ({'nodeGroups': [{'name': 'ends-', 'machineFlavor': 'f',
                      'machineCount': 1}]},
     'nodeGroups[0].name "ends-" is invalid'),
    ({'nodeGroups': [{'name': 'twice', 'machineFlavor': 'f',
                      'machineCount': 1}] * 2},
     'nodeGroups[1].name "twice" is used twice'),
    ({'nodeGroups': [{'name': 'nocount', 'machineFlavor': 'f'}]},
     'nodeGroups[0] (nocount): machineCount is required'),
    ({'nodeGroups': [{'name': 'noflavor', 'machineCount': 1}]},
     'nodeGroups[0] (noflavor): machineFlavor is required'),
    ({'nodeGroups': [{'name': 'auto', 'machineFlavor': 'f',
                      'autoscale': True, 'machineCountMax': 2}]},
     'nodeGroups[0] (auto): autoscale needs machineCountMin'),
    ({'nodeGroups': [{'name': 'auto', 'machineFlavor': 'f',
                      'autoscale': True, 'machineCountMin': 3,
                      'machineCountMax': 2}]},
     'nodeGroups[0] (auto): machineCountMax 2 is below machineCountMin 3'),
    ({'nodeGroups': [{'name': 'auto', 'machineFlavor': 'f',
                      'autoscale': True, 'machineCountMin': -1,
                      'machineCountMax': 2}]},
     'machineCountMin -1 is negative'),
    ({'addons': {'cni': {'type': 'flannel'}}},
     'addons.cni.type "flannel" is not supported: use calico or cilium'),
]


@pytest.mark.parametrize('override,message', MISSING,
                         ids=[m[:40] for _, m in MISSING])
def test_bad_values_fail_with_a_clear_message(helm_binary, override,
                                              message):
    result = helm_template(helm_binary, merged(BASE_VALUES, override))
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stdout == ''
