"""Table tests of the chart values rendered from a spec.

Specs are built from the same duck-typed Magnum objects as test_spec, so
each case states an input a user or operator gives and the chart value it
must become. One test renders the result with real helm and the project's
stand-in for the openstack-cluster chart.
"""

import json
import pathlib
import subprocess

import pytest
import yaml

from magnum_capi_driver import values
from magnum_capi_driver.features import autoscaling
from tests.fixtures import cloud as fake
from tests.unit import test_spec

CHART = pathlib.Path(__file__).resolve().parents[1] / 'charts' / \
    'openstack-cluster'


def render(**changes):
    return values.render(test_spec.build(**changes))


def _get(tree, path):
    for part in path.split('/'):
        tree = tree[int(part)] if isinstance(tree, list) else tree[part]
    return tree


CASES = [
    # (id, changes, slash-separated path in the values, expected)
    ('version without v', {'cluster.labels': {'kube_tag': 'v1.31.5'}},
     'kubernetesVersion', '1.31.5'),
    ('image by id', {}, 'machineImageId', fake.IMAGES[0]['id']),
    ('os distro', {'template.image_id': 'flatcar-kube-v1.31.2'},
     'osDistro', 'flatcar'),
    ('keypair', {'cluster.keypair': 'mine'}, 'machineSSHKeyName', 'mine'),
    ('credentials secret', {}, 'cloudCredentialsSecretName',
     test_spec.SECRET),
    ('control plane flavor name from id',
     {'template.master_flavor_id': 'f3'}, 'controlPlane/machineFlavor',
     'm1.large'),
    ('control plane count', {'master.node_count': 3},
     'controlPlane/machineCount', 3),
    ('control plane root volume',
     {'cluster.docker_volume_size': 50,
      'cluster.labels': {'boot_volume_type': 'fast'}},
     'controlPlane/machineRootVolume', {'diskSize': 50,
                                        'volumeType': 'fast'}),
    ('control plane zone', {'cluster.labels': {'availability_zone': 'az1'}},
     'controlPlane/failureDomains', ['az1']),
    ('auto-healing off', {'cluster.labels': {'auto_healing_enabled': 'no'}},
     'nodeGroupDefaults/healthCheck/enabled', False),
    ('auto-healing off on control plane',
     {'cluster.labels': {'auto_healing_enabled': 'no'}},
     'controlPlane/healthCheck/enabled', False),
    ('worker flavor by name', {'worker.flavor_id': 'f1'},
     'nodeGroups/0/machineFlavor', 'm1.small'),
    ('worker count', {'worker.node_count': 4},
     'nodeGroups/0/machineCount', 4),
    ('worker at zero', {'worker.node_count': 0},
     'nodeGroups/0/machineCount', 0),
    ('worker autoscale', {'worker.max_node_count': 6,
                          'cluster.labels': {'auto_scaling_enabled': 'Yes'}},
     'nodeGroups/0/machineCountMax', 6),
    ('worker image', {'worker.image_id': fake.IMAGES[0]['id']},
     'nodeGroups/0/machineImageId', fake.IMAGES[0]['id']),
    ('worker version', {'worker.labels': {'kube_tag': 'v1.30.3'}},
     'nodeGroups/0/kubernetesVersion', '1.30.3'),
    ('worker zone', {'worker.labels': {'availability_zone': 'az2'}},
     'nodeGroups/0/failureDomain', 'az2'),
    ('worker labels', {'worker.node_labels': {'gpu': 'yes'}},
     'nodeGroups/0/nodeLabels', {'gpu': 'yes'}),
    ('worker taints', {'worker.node_taints': [
        {'key': 'gpu', 'value': 'true', 'effect': 'NoSchedule'}]},
     'nodeGroups/0/kubeadmConfigSpec/joinConfiguration/nodeRegistration/'
     'taints', [{'key': 'gpu', 'value': 'true', 'effect': 'NoSchedule'}]),
    ('worker root volume', {'worker.docker_volume_size': 25},
     'nodeGroups/0/machineRootVolume', {'diskSize': 25}),
    ('load balancer', {}, 'apiServer/enableLoadBalancer', True),
    ('no load balancer', {'cluster.master_lb_enabled': False},
     'apiServer/enableLoadBalancer', False),
    ('floating IP from label',
     {'cluster.labels': {'master_lb_floating_ip_enabled': 'True'}},
     'apiServer/associateFloatingIP', True),
    ('floating IP from template', {}, 'apiServer/associateFloatingIP',
     False),
    ('allowed CIDRs', {'cluster.labels': {'api_master_lb_allowed_cidrs':
                                          '10.0.0.0/8,192.0.2.0/24'}},
     'apiServer/allowedCIDRs', ['10.0.0.0/8', '192.0.2.0/24']),
    ('octavia provider', {'cluster.labels': {'octavia_provider': 'ovn'}},
     'apiServer/loadBalancerProvider', 'ovn'),
    ('api port', {'template.apiserver_port': '443'}, 'apiServer/port', 443),
    ('external network id', {}, 'clusterNetworking/externalNetworkId',
     fake.NETWORKS[0]['id']),
    ('managed subnet', {'cluster.labels': {'fixed_subnet_cidr':
                                           '10.1.0.0/24'}},
     'clusterNetworking/internalNetwork', {'nodeCidr': '10.1.0.0/24',
                                           'dnsNameservers': ['8.8.8.8']}),
    ('existing network and subnet', {'cluster.fixed_network': 'private',
                                     'cluster.fixed_subnet':
                                     'private-subnet'},
     'clusterNetworking/internalNetwork',
     {'networkFilter': {'id': fake.NETWORKS[1]['id']},
      'subnetFilter': {'id': fake.SUBNETS[0]['id']}}),
    ('dns', {'template.dns_nameserver': '1.1.1.1, 8.8.4.4'},
     'clusterNetworking/internalNetwork/dnsNameservers',
     ['1.1.1.1', '8.8.4.4']),
    ('extra networks', {'cluster.labels': {'extra_network_names':
                                           'private'}},
     'nodeGroupDefaults/machineNetworking/ports',
     [{}, {'network': {'id': fake.NETWORKS[1]['id']},
           'securityGroups': []}]),
    ('cni', {'template.network_driver': 'cilium'}, 'addons/cni/type',
     'cilium'),
    ('etcd volume', {'cluster.labels': {'etcd_blockdevice_size': '10',
                                        'etcd_volume_type': 'fast',
                                        'etcd_blockdevice_volume_az':
                                        'az1'}},
     'etcd/blockDevice', {'size': 10, 'type': 'Volume',
                          'volumeType': 'fast', 'availabilityZone': 'az1'}),
    ('etcd local', {'cluster.labels': {'etcd_blockdevice_size': '10',
                                       'etcd_blockdevice_type': 'local',
                                       'etcd_volume_type': 'fast'}},
     'etcd/blockDevice', {'size': 10, 'type': 'Local'}),
    ('lb algorithm', {'cluster.labels': {'octavia_lb_algorithm':
                                         'least_connections'}},
     'addons/openstack/cloudConfig/LoadBalancer/lb-method',
     'LEAST_CONNECTIONS'),
    ('lb monitor', {'cluster.labels': {'octavia_lb_healthcheck': 'off'}},
     'addons/openstack/cloudConfig/LoadBalancer/create-monitor', False),
    ('monitoring', {'cluster.labels': {'monitoring_enabled': 'yes'}},
     'addons/monitoring/enabled', True),
    ('storage class', {'cluster.labels': {
        'csi_cinder_reclaim_policy': 'delete',
        'csi_cinder_availability_zone': 'zone-b',
        'csi_cinder_allow_volume_expansion': 'false'}},
     'addons/openstack/csiCinder/defaultStorageClass',
     {'availabilityZone': 'zone-b', 'reclaimPolicy': 'Delete',
      'volumeBindingMode': 'WaitForFirstConsumer', 'fstype': 'ext4',
      'allowVolumeExpansion': False}),
    ('keystone auth', {'cluster.labels': {'keystone_auth_enabled': '1'},
                       'identity_url': 'https://id.example/v3'},
     'addons/openstack/k8sKeystoneAuth',
     {'enabled': True,
      'values': {'openstackAuthUrl': 'https://id.example/v3',
                 'projectId': 'f6cdeac2b5d44aa1a0bcd5e29ce1fd0a'}}),
    ('keystone webhook', {'cluster.labels': {'keystone_auth_enabled': '1'},
                          'identity_url': 'https://id.example/v3'},
     'authWebhook', 'k8s-keystone-auth'),
]


@pytest.mark.parametrize('changes,path,expected',
                         [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_values(changes, path, expected):
    assert _get(render(**changes), path) == expected


@pytest.mark.parametrize('path', ['machineSSHKeyName', 'etcd', 'authWebhook',
                                  'apiServer/allowedCIDRs',
                                  'addons/openstack/k8sKeystoneAuth',
                                  'controlPlane/machineRootVolume'])
def test_unset_features_leave_chart_defaults(path):
    with pytest.raises(KeyError):
        _get(render(**{'template.keypair_id': None}), path)


def test_autoscaled_group_counts_live_on_the_group_only():
    result = render(**{'worker.node_count': 0,
                       'cluster.labels': {'auto_scaling_enabled': 'true'},
                       'worker.max_node_count': 3})
    [group] = result['nodeGroups']
    assert (group['autoscale'], group['machineCountMin'],
            group['machineCountMax']) == (True, 0, 3)
    assert 'machineCount' not in group
    for key in ('autoscale', 'machineCount', 'machineCountMin',
                'machineCountMax'):
        assert key not in result['nodeGroupDefaults']


def test_values_are_plain_json_without_secrets():
    result = render()
    assert json.loads(json.dumps(result)) == result
    text = json.dumps(result)
    assert 'clouds' not in result and 'password' not in text
    assert 'application_credential' not in text


def test_capacity_annotations_for_scale_from_zero():
    spec = test_spec.build(**{
        'worker.node_count': 0, 'worker.max_node_count': 3,
        'worker.node_labels': {'gpu': 'yes'},
        'worker.node_taints': [{'key': 'gpu', 'effect': 'NoSchedule'}],
        'cluster.labels': {'auto_scaling_enabled': 'true'}})
    [group] = spec.node_groups
    prefix = autoscaling.CAPACITY_PREFIX
    assert autoscaling.capacity_annotations(group) == {
        prefix + 'cpu': '2', prefix + 'memory': '4096M',
        prefix + 'ephemeral-disk': '40G', prefix + 'labels': 'gpu=yes',
        prefix + 'taints': 'gpu=:NoSchedule'}
    fixed = test_spec.build().node_groups[0]
    assert autoscaling.capacity_annotations(fixed) == {}


def test_merge_refuses_conflicts():
    with pytest.raises(ValueError):
        values.merge({'a': {'b': 1}}, {'a': {'b': 2}})
    assert values.merge({'a': {'b': 1}}, {'a': {'c': 2}}) == \
        {'a': {'b': 1, 'c': 2}}


def test_chart_renders_the_values(tools_bin, tmp_path):
    """Real helm turns the values into the objects the driver expects."""
    spec = test_spec.build(**{
        'master.node_count': 3, 'worker.max_node_count': 4,
        'worker.node_count': 0,
        'extra': [test_spec.nodegroup('GPU Pool', 'b0000001', node_count=0,
                                      labels={'auto_scaling_enabled':
                                              'false'})],
        'cluster.labels': {'auto_scaling_enabled': 'true',
                           'api_master_lb_allowed_cidrs': '10.0.0.0/8'}})
    path = tmp_path / 'values.json'
    path.write_text(json.dumps(values.render(spec)))
    out = subprocess.run(
        [str(tools_bin / 'helm3'), 'template', spec.release, str(CHART),
         '--namespace', 'ns', '-f', str(path)],
        check=True, capture_output=True, text=True).stdout
    objs = [o for o in yaml.safe_load_all(out) if o]
    by_kind = {}
    for obj in objs:
        by_kind.setdefault(obj['kind'], []).append(obj)
    deployments = {o['metadata']['name']: o
                   for o in by_kind['MachineDeployment']}
    worker, gpu = spec.node_groups
    auto = deployments['%s-%s' % (spec.release, worker.name)]
    assert 'replicas' not in auto['spec']
    assert auto['metadata']['annotations'][
        'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size'] == '0'
    fixed = deployments['%s-%s' % (spec.release, gpu.name)]
    assert fixed['spec']['replicas'] == 0
    [plane] = by_kind['KubeadmControlPlane']
    assert plane['spec']['replicas'] == 3
    [cluster] = by_kind['OpenStackCluster']
    assert cluster['spec']['apiServerLoadBalancer']['allowedCIDRs'] == \
        ['10.0.0.0/8']
