"""Table tests of spec building: good inputs decide, bad ones are refused.

Magnum's objects are duck-typed here (plain namespaces with the attribute
names of magnum.objects); Nova/Glance/Neutron answer through the small
fake of tests.fixtures.cloud, extended with a few odd images and flavors.
"""

import types

from magnum.common import exception
import pytest

from magnum_capi_driver import exceptions
from magnum_capi_driver import names
from magnum_capi_driver import spec
from tests.fixtures import cloud as fake

RELEASE = 'demo-1b4e28ba'
SECRET = RELEASE + '-cloud-credentials'
MASTER_UUID = 'a0000000-0000-4000-8000-000000000001'
WORKER_UUID = 'a0000000-0000-4000-8000-000000000002'


class Cloud(fake.FakeCloud):
    """The shared fake plus images and flavors only bad inputs need."""

    IMAGES = fake.IMAGES + [
        {'id': 'img-win', 'name': 'windows', 'properties':
         {'os_distro': 'windows', 'kube_version': 'v1.31.2'}},
        {'id': 'img-old', 'name': 'ubuntu-kube-v1.27.1', 'properties':
         {'os_distro': 'ubuntu', 'kube_version': 'v1.27.1'}},
        {'id': 'img-bad', 'name': 'ubuntu-bad-version', 'properties':
         {'os_distro': 'ubuntu', 'kube_version': 'one.thirty'}},
    ]
    FLAVORS = fake.FLAVORS + [
        {'id': 'f0', 'name': 'm1.tiny', 'vcpus': 1, 'ram': 512, 'disk': 1}]
    SUBNETS = fake.SUBNETS + [
        {'id': 'sub-other', 'name': 'other-subnet', 'network_id': 'elsewhere'}]

    def image(self, ref):
        return fake._find(self.IMAGES, ref,
                          exception.ImageNotFound(image_id=ref))

    def flavor(self, ref):
        return fake._find(self.FLAVORS, ref,
                          exception.FlavorNotFound(flavor=ref))

    def subnet(self, ref):
        return fake._find(self.SUBNETS, ref,
                          exception.FixedSubnetNotFound(subnet=ref))


def nodegroup(name, uuid, role='worker', **attrs):
    base = dict(name=name, uuid=uuid, role=role, is_default=True,
                node_count=1, min_node_count=0, max_node_count=None,
                flavor_id=None, image_id=None, labels={},
                docker_volume_size=None, node_labels=None, node_taints=None)
    base.update(attrs)
    return types.SimpleNamespace(**base)


def inputs():
    """A valid template, cluster and two default nodegroups."""
    template = types.SimpleNamespace(
        name='k8s', image_id='ubuntu-jammy-kube-v1.31.2', labels={},
        external_network_id='public', fixed_network=None, fixed_subnet=None,
        dns_nameserver='8.8.8.8', network_driver='calico',
        master_lb_enabled=True, floating_ip_enabled=False,
        docker_volume_size=None, keypair_id='default-key',
        flavor_id='m1.medium', master_flavor_id='m1.large',
        cluster_distro='ubuntu', apiserver_port=None)
    cluster = types.SimpleNamespace(
        name='demo', uuid='1b4e28ba-2fa1-11d2-883f-0016d3cca427',
        project_id='f6cdeac2b5d44aa1a0bcd5e29ce1fd0a', labels={},
        keypair=None, master_flavor_id=None, flavor_id=None,
        fixed_network=None, fixed_subnet=None, floating_ip_enabled=None,
        master_lb_enabled=None, docker_volume_size=None, create_timeout=60)
    master = nodegroup('default-master', MASTER_UUID, role='master')
    worker = nodegroup('default-worker', WORKER_UUID, node_count=2)
    return {'template': template, 'cluster': cluster, 'master': master,
            'worker': worker, 'extra': [], 'site': {}, 'identity_url': None,
            'release': RELEASE}


def build(**changes):
    """Build a spec after applying {'object.attribute': value} changes."""
    objs = inputs()
    for path, value in changes.items():
        if '.' in path:
            name, attr = path.split('.', 1)
            setattr(objs[name], attr, value)
        else:
            objs[path] = value
    nodegroups = [objs['master'], objs['worker']] + objs['extra']
    return spec.build_cluster_spec(
        objs['cluster'], objs['template'], nodegroups, Cloud(), objs['site'],
        SECRET, objs['release'], identity_url=objs['identity_url'])


def test_defaults():
    result = build()
    assert result.kubernetes_version == '1.31.2'
    assert result.image_id == fake.IMAGES[0]['id']
    assert result.os_distro == 'ubuntu'
    assert result.keypair == 'default-key'
    assert result.control_plane.flavor.name == 'm1.large'
    assert result.control_plane.count == 1
    [group] = result.node_groups
    assert group.flavor.name == 'm1.medium'
    assert group.node_count == 2 and not group.scaling.autoscale
    assert group.name == names.node_group_name('default-worker', WORKER_UUID)
    assert result.network.external_network_id == fake.NETWORKS[0]['id']
    assert result.network.node_cidr == '10.0.0.0/24'
    assert result.network.dns_nameservers == ('8.8.8.8',)
    assert result.api_server.load_balancer is True
    assert result.api_server.floating_ip is False
    assert result.octavia.algorithm == 'ROUND_ROBIN'
    assert result.addons.cni == 'calico'
    assert result.credentials_secret == SECRET


GOOD = [
    # (id, changes, attribute path in the spec, expected)
    ('kube_tag beats image', {'template.labels': {'kube_tag': 'v1.31.5'}},
     'kubernetes_version', '1.31.5'),
    ('cluster label over template',
     {'template.labels': {'kube_tag': 'v1.31.5'},
      'cluster.labels': {'kube_tag': '1.31.7'}},
     'kubernetes_version', '1.31.7'),
    ('image kube_version fallback', {}, 'kubernetes_version', '1.31.2'),
    ('site default under template',
     {'site': {'monitoring_enabled': 'yes'}}, 'addons.monitoring', True),
    ('template over site default',
     {'site': {'monitoring_enabled': 'yes'},
      'template.labels': {'monitoring_enabled': 'False'}},
     'addons.monitoring', False),
    ('bool any case', {'cluster.labels': {'monitoring_enabled': 'TRUE'}},
     'addons.monitoring', True),
    ('bool 1', {'cluster.labels': {'monitoring_enabled': '1'}},
     'addons.monitoring', True),
    ('bool real', {'cluster.labels': {'monitoring_enabled': True}},
     'addons.monitoring', True),
    ('flavor by id', {'template.master_flavor_id': 'f3'},
     'control_plane.flavor.name', 'm1.large'),
    ('cluster flavor over template', {'cluster.master_flavor_id': 'f2'},
     'control_plane.flavor.name', 'm1.medium'),
    ('floating IP label wins',
     {'cluster.labels': {'master_lb_floating_ip_enabled': 'true'}},
     'api_server.floating_ip', True),
    ('floating IP from cluster', {'cluster.floating_ip_enabled': 'True'},
     'api_server.floating_ip', True),
    ('floating IP from template', {'template.floating_ip_enabled': True},
     'api_server.floating_ip', True),
    ('allowed cidrs normalised',
     {'cluster.labels': {'api_master_lb_allowed_cidrs':
                         '192.0.2.0/24, 198.51.100.7'}},
     'api_server.allowed_cidrs', ('192.0.2.0/24', '198.51.100.7/32')),
    ('ovn defaults to SOURCE_IP_PORT',
     {'cluster.labels': {'octavia_provider': 'ovn'}},
     'octavia.algorithm', 'SOURCE_IP_PORT'),
    ('lower-cased choice (Horizon)',
     {'cluster.labels': {'csi_cinder_reclaim_policy': 'delete'}},
     'storage_class.reclaim_policy', 'Delete'),
    ('deprecated etcd size', {'cluster.labels': {'etcd_volume_size': '5'}},
     'etcd.size_gb', 5),
    ('new etcd label wins',
     {'cluster.labels': {'etcd_volume_size': '5',
                         'etcd_blockdevice_size': '8'}},
     'etcd.size_gb', 8),
    ('local etcd', {'cluster.labels': {'etcd_blockdevice_size': '8',
                                       'etcd_blockdevice_type': 'Local'}},
     'etcd.kind', 'Local'),
    ('cilium', {'template.network_driver': 'Cilium'}, 'addons.cni',
     'cilium'),
    ('no network driver is calico', {'template.network_driver': None},
     'addons.cni', 'calico'),
    ('fixed network by name', {'cluster.fixed_network': 'private',
                               'template.dns_nameserver': None},
     'network.network_id', fake.NETWORKS[1]['id']),
    ('fixed subnet implies its network',
     {'template.fixed_subnet': 'private-subnet'},
     'network.network_id', fake.NETWORKS[1]['id']),
    ('extra networks resolved',
     {'cluster.labels': {'extra_network_name': 'private'}},
     'network.extra_network_ids', (fake.NETWORKS[1]['id'],)),
    ('no keypair', {'template.keypair_id': None}, 'keypair', None),
    ('three masters with LB', {'master.node_count': 3},
     'control_plane.count', 3),
    ('master root volume from docker_volume_size',
     {'template.docker_volume_size': 40},
     'control_plane.root_volume.size_gb', 40),
    ('boot volume label', {'cluster.labels': {'boot_volume_size': '60',
                                              'boot_volume_type': 'ssd'}},
     'control_plane.root_volume.volume_type', 'ssd'),
    ('Unicode availability zone',
     {'cluster.labels': {'availability_zone': 'Düdingen Test'}},
     'control_plane.availability_zone', 'Düdingen Test'),
    ('chart version from template only',
     {'template.labels': {'capi_helm_chart_version': '0.26.1'},
      'cluster.labels': {'capi_helm_chart_version': '0.1.0'}},
     'chart_version', '0.26.1'),
    ('unknown labels ignored', {'cluster.labels': {'ingress_controller':
                                                   'octavia'}},
     'addons.monitoring', False),
    ('keystone auth with URL',
     {'cluster.labels': {'keystone_auth_enabled': 'yes'},
      'identity_url': 'https://keystone.example/v3'},
     'addons.identity_url', 'https://keystone.example/v3'),
]


def _get(obj, path):
    for part in path.split('.'):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize('changes,path,expected',
                         [case[1:] for case in GOOD],
                         ids=[case[0] for case in GOOD])
def test_good(changes, path, expected):
    assert _get(build(**changes), path) == expected


GROUPS = [
    # (id, worker attributes, cluster labels, group attribute, expected)
    ('fixed count', {'node_count': 4}, {}, 'node_count', 4),
    ('scale to zero without autoscaling', {'node_count': 0}, {},
     'node_count', 0),
    ('autoscale between min and max',
     {'node_count': 2, 'min_node_count': 1, 'max_node_count': 5},
     {'auto_scaling_enabled': 'true'}, 'scaling.autoscale', True),
    ('autoscale from zero',
     {'node_count': 0, 'min_node_count': 0, 'max_node_count': 3},
     {'auto_scaling_enabled': 'true'}, 'scaling.min_count', 0),
    ('max label fills in',
     {'node_count': 1, 'max_node_count': None},
     {'auto_scaling_enabled': 'true', 'max_node_count': '7'},
     'scaling.max_count', 7),
    ('min equal max is fixed',
     {'node_count': 2, 'min_node_count': 2, 'max_node_count': 2},
     {'auto_scaling_enabled': 'true'}, 'scaling.autoscale', False),
    ('nodegroup label over cluster',
     {'labels': {'auto_scaling_enabled': 'false'}, 'max_node_count': 4},
     {'auto_scaling_enabled': 'true'}, 'scaling.autoscale', False),
    ('own flavor', {'flavor_id': 'm1.small'}, {}, 'flavor.name', 'm1.small'),
    ('cluster flavor', {}, {}, 'flavor.name', 'm1.medium'),
    ('own image and version', {'image_id': 'ubuntu-jammy-kube-v1.31.2',
                               'labels': {'kube_tag': 'v1.30.4'}},
     {}, 'kubernetes_version', '1.30.4'),
    ('older image within skew', {'image_id': 'img-old'},
     {'kube_tag': 'v1.30.1'}, 'kubernetes_version', '1.30.1'),
    ('zone per group', {'labels': {'availability_zone': 'az-2'}},
     {'availability_zone': 'az-1'}, 'availability_zone', 'az-2'),
    ('root volume per group', {'docker_volume_size': 30}, {},
     'root_volume.size_gb', 30),
    ('node labels', {'node_labels': {'gpu': 'true',
                                     'node.kubernetes.io/pool': 'a'}},
     {}, 'node_labels', (('gpu', 'true'), ('node.kubernetes.io/pool', 'a'))),
    ('taints', {'node_taints': [{'key': 'gpu', 'effect': 'NoSchedule'}]},
     {}, 'taints', (spec.Taint('gpu', 'NoSchedule'),)),
]


@pytest.mark.parametrize('worker,labels,path,expected',
                         [case[1:] for case in GROUPS],
                         ids=[case[0] for case in GROUPS])
def test_group(worker, labels, path, expected):
    changes = {'worker.' + key: value for key, value in worker.items()}
    changes['cluster.labels'] = labels
    [group] = build(**changes).node_groups
    assert _get(group, path) == expected


def test_unicode_groups_get_distinct_valid_names():
    extra = [nodegroup(name, 'b000000%d-0000-4000-8000-000000000000' % i)
             for i, name in enumerate(['GPU Pool', 'gpu-pool', 'gpu_pool!',
                                       '计算', 'Ünïcödé-ÆØ'])]
    groups = build(extra=extra).node_groups
    chart_names = [group.name for group in groups]
    assert len(set(chart_names)) == len(chart_names)
    for name in chart_names:
        assert names.GROUP_NAME_RE.fullmatch(name), name


# Each case: id, changes, words the message must contain. Every one is
# refused by build_cluster_spec, that is before the driver creates anything.
BAD = [
    ('kube_tag no patch', {'cluster.labels': {'kube_tag': '1.31'}},
     ['label kube_tag', "'1.31'", 'v1.31.2']),
    ('kube_tag word', {'template.labels': {'kube_tag': 'latest'}},
     ['label kube_tag', "'latest'"]),
    ('no version anywhere', {'template.image_id': 'ubuntu-no-version'},
     ['label kube_tag', 'kube_version property']),
    ('bad image kube_version', {'template.image_id': 'ubuntu-bad-version'},
     ['kube_version property', "'one.thirty'"]),
    ('image os_distro', {'template.image_id': 'windows'},
     ['os_distro', "'windows'", 'ubuntu, flatcar']),
    ('bool typo', {'cluster.labels': {'auto_healing_enabled': 'ture'}},
     ['label auto_healing_enabled', "'ture'", 'true/false']),
    ('bool number', {'cluster.labels': {'monitoring_enabled': '2'}},
     ['label monitoring_enabled', "'2'"]),
    ('bool on nodegroup', {'worker.labels': {'auto_scaling_enabled': 'maybe'}},
     ['label auto_scaling_enabled of nodegroup default-worker', "'maybe'"]),
    ('floating ip label', {'cluster.labels':
                           {'master_lb_floating_ip_enabled': 'sure'}},
     ['label master_lb_floating_ip_enabled', "'sure'"]),
    ('floating ip attribute', {'cluster.floating_ip_enabled': 'perhaps'},
     ['floating_ip_enabled of cluster demo', "'perhaps'"]),
    ('negative min label', {'worker.min_node_count': None,
                            'cluster.labels': {'min_node_count': '-1'}},
     ['label min_node_count', "'-1'", 'whole number']),
    ('word max label', {'cluster.labels': {'max_node_count': 'ten'}},
     ['label max_node_count', "'ten'"]),
    ('fractional boot volume', {'cluster.labels': {'boot_volume_size':
                                                   '1.5'}},
     ['label boot_volume_size', "'1.5'"]),
    ('bool as size', {'cluster.labels': {'boot_volume_size': True}},
     ['label boot_volume_size', 'True']),
    ('boot type without size', {'cluster.labels': {'boot_volume_type':
                                                   'ssd'}},
     ['label boot_volume_type', "'ssd'", 'root volume size']),
    ('negative etcd size', {'cluster.labels': {'etcd_blockdevice_size':
                                               '-5'}},
     ['label etcd_blockdevice_size', "'-5'"]),
    ('etcd type', {'cluster.labels': {'etcd_blockdevice_type': 'ssd'}},
     ['label etcd_blockdevice_type', "'ssd'", 'volume, local']),
    ('deprecated etcd size', {'cluster.labels': {'etcd_volume_size': 'x'}},
     ['label etcd_volume_size', "'x'"]),
    ('cidr host bits', {'cluster.labels': {'api_master_lb_allowed_cidrs':
                                           '10.0.0.1/24'}},
     ['label api_master_lb_allowed_cidrs', '10.0.0.1/24', 'CIDR']),
    ('cidr garbage', {'cluster.labels': {'api_master_lb_allowed_cidrs':
                                         '10.0.0.0/8,everyone'}},
     ['label api_master_lb_allowed_cidrs', 'everyone']),
    ('cidrs without LB', {'cluster.master_lb_enabled': False,
                          'cluster.labels': {'api_master_lb_allowed_cidrs':
                                             '10.0.0.0/8'}},
     ['label api_master_lb_allowed_cidrs', '10.0.0.0/8', 'load balancer']),
    ('node cidr too small', {'cluster.labels': {'fixed_subnet_cidr':
                                                '10.0.0.0/30'}},
     ['label fixed_subnet_cidr', '10.0.0.0/30', '/28']),
    ('node cidr overlaps pods', {'cluster.labels': {'fixed_subnet_cidr':
                                                    '172.16.0.0/24'}},
     ['label fixed_subnet_cidr', '172.16.0.0/24', 'pod network']),
    ('node cidr IPv6', {'cluster.labels': {'fixed_subnet_cidr':
                                           '2001:db8::/64'}},
     ['label fixed_subnet_cidr', '2001:db8::/64', 'IPv4']),
    ('octavia provider', {'cluster.labels': {'octavia_provider':
                                             'Amphora Fast'}},
     ['label octavia_provider', "'Amphora Fast'"]),
    ('lb algorithm', {'cluster.labels': {'octavia_lb_algorithm': 'RANDOM'}},
     ['label octavia_lb_algorithm', "'RANDOM'", 'ROUND_ROBIN']),
    ('ovn algorithm', {'cluster.labels': {'octavia_provider': 'ovn',
                                          'octavia_lb_algorithm':
                                          'round_robin'}},
     ['label octavia_lb_algorithm', "'ROUND_ROBIN'", 'SOURCE_IP_PORT']),
    ('reclaim policy', {'cluster.labels': {'csi_cinder_reclaim_policy':
                                           'Recycle'}},
     ['label csi_cinder_reclaim_policy', "'Recycle'", 'Retain, Delete']),
    ('binding mode', {'cluster.labels': {'csi_cinder_volume_binding_mode':
                                         'Later'}},
     ['label csi_cinder_volume_binding_mode', "'Later'"]),
    ('fstype', {'cluster.labels': {'csi_cinder_fstype': 'ntfs'}},
     ['label csi_cinder_fstype', "'ntfs'", 'ext4']),
    ('zone with colon', {'cluster.labels': {'availability_zone':
                                            'nova:host1'}},
     ['label availability_zone', "'nova:host1'"]),
    ('zone YAML boolean', {'cluster.labels': {'availability_zone': 'yes'}},
     ['label availability_zone', "'yes'", 'YAML']),
    ('extra network name', {'cluster.labels': {'extra_network_names':
                                               'net/1'}},
     ['label extra_network_names', "'net/1'"]),
    ('chart version', {'template.labels': {'capi_helm_chart_version':
                                           'latest'}},
     ['label capi_helm_chart_version of cluster template k8s', "'latest'"]),
    ('site default', {'site': {'monitoring_enabled': 'perhaps'}},
     ['label monitoring_enabled of [capi_driver] default_labels',
      "'perhaps'"]),
    ('flannel', {'template.network_driver': 'flannel'},
     ['network_driver', "'flannel'", 'calico, cilium']),
    ('unknown CNI', {'template.network_driver': 'cilium2'},
     ['network_driver', "'cilium2'"]),
    ('even masters', {'master.node_count': 2},
     ['master_count', '2', 'odd']),
    ('three masters no LB', {'master.node_count': 3,
                             'template.master_lb_enabled': False},
     ['master_count', '3', 'master_lb_enabled']),
    ('no masters', {'master.node_count': 0},
     ['node_count of nodegroup default-master', '0']),
    ('small control plane', {'cluster.master_flavor_id': 'm1.tiny'},
     ['master_flavor_id of cluster demo', "'m1.tiny'", '2 vCPUs']),
    ('negative node count', {'worker.node_count': -1},
     ['node_count of nodegroup default-worker', '-1']),
    ('min above max', {'worker.min_node_count': 3,
                       'worker.max_node_count': 2},
     ['max_node_count of nodegroup default-worker', '2', 'min_node_count']),
    ('autoscale to nothing', {'worker.node_count': 0,
                              'worker.max_node_count': 0,
                              'cluster.labels': {'auto_scaling_enabled':
                                                 'true'}},
     ['max_node_count of nodegroup default-worker', '0', 'at least 1']),
    ('group distro', {'worker.image_id': 'flatcar-kube-v1.31.2'},
     ['image_id of nodegroup default-worker', 'flatcar', 'os_distro ubuntu']),
    ('group newer than control plane',
     {'worker.labels': {'kube_tag': 'v1.32.1'}},
     ['Kubernetes version of nodegroup default-worker', '1.32.1',
      'not newer than the control plane']),
    ('group too old', {'worker.image_id': 'img-old'},
     ['Kubernetes version of nodegroup default-worker', '1.27.1',
      '1.28 to 1.31']),
    ('group kube_tag', {'worker.labels': {'kube_tag': '1.x'}},
     ['label kube_tag of nodegroup default-worker', "'1.x'"]),
    ('restricted node label', {'worker.node_labels':
                               {'kubernetes.io/role': 'gpu'}},
     ['node_labels of nodegroup default-worker key', 'kubernetes.io/role']),
    ('chart node label', {'worker.node_labels':
                          {'capi.stackhpc.com/node-group': 'x'}},
     ['node_labels', 'capi.stackhpc.com/node-group']),
    ('node label value', {'worker.node_labels': {'team': 'a b'}},
     ['node_labels of nodegroup default-worker value of team', "'a b'"]),
    ('node label key', {'worker.node_labels': {'-bad': 'x'}},
     ['node_labels of nodegroup default-worker key', "'-bad'"]),
    ('taint effect', {'worker.node_taints': [{'key': 'gpu',
                                              'effect': 'Sometimes'}]},
     ['node_taints[0].effect of nodegroup default-worker', "'Sometimes'",
      'NoSchedule']),
    ('taint key', {'worker.node_taints': [{'effect': 'NoSchedule'}]},
     ['node_taints[0].key of nodegroup default-worker', "''"]),
    ('taint field', {'worker.node_taints': [{'key': 'a', 'effect':
                                             'NoSchedule', 'op': 'x'}]},
     ['node_taints[0] of nodegroup default-worker', 'optional value']),
    ('dns', {'template.dns_nameserver': '8.8.8.8,dns.google'},
     ['dns_nameserver of the cluster template', 'dns.google']),
    ('external network not external',
     {'template.external_network_id': 'private'},
     ['external_network_id', "'private'", 'router:external']),
    ('fixed network is external', {'cluster.fixed_network': 'public'},
     ['fixed_network of cluster demo', "'public'"]),
    ('subnet of another network', {'cluster.fixed_network': 'private',
                                   'cluster.fixed_subnet': 'other-subnet'},
     ['fixed_subnet of cluster demo', "'other-subnet'", 'private']),
    ('keypair', {'cluster.keypair': 'bad:key'},
     ['keypair of cluster demo', "'bad:key'"]),
    ('api port', {'template.apiserver_port': 70000},
     ['apiserver_port', '70000', '65535']),
    ('keystone auth without URL', {'cluster.labels':
                                   {'keystone_auth_enabled': 'true'}},
     ['label keystone_auth_enabled', 'Keystone URL']),
    ('two masters groups', {'extra': [nodegroup('m2', 'c0', role='master')]},
     ['master nodegroups of cluster demo', 'exactly one']),
    ('release name', {'release': 'Bad_Release'},
     ['stack_id', "'Bad_Release'", 'DNS-1123']),
    ('negative docker volume', {'worker.docker_volume_size': -3},
     ['docker_volume_size of nodegroup default-worker', '-3']),
]


@pytest.mark.parametrize('changes,words', [case[1:] for case in BAD],
                         ids=[case[0] for case in BAD])
def test_bad_input_refused(changes, words):
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        build(**changes)
    assert isinstance(info.value, exception.InvalidParameterValue)
    message = str(info.value)
    assert 'expected' in message
    for word in words:
        assert word in message, message


def test_bad_table_is_large():
    assert len(BAD) >= 40


NOT_FOUND = [
    ({'template.image_id': 'nope'}, exception.ImageNotFound),
    ({'cluster.flavor_id': 'm9.huge'}, exception.FlavorNotFound),
    ({'cluster.fixed_network': 'nowhere'}, exception.FixedNetworkNotFound),
    ({'template.fixed_subnet': 'nosubnet'}, exception.FixedSubnetNotFound),
    ({'cluster.labels': {'extra_network_names': 'private missing'}},
     exception.FixedNetworkNotFound),
]


@pytest.mark.parametrize('changes,error', NOT_FOUND)
def test_cloud_lookups_fail_clearly(changes, error):
    with pytest.raises(error):
        build(**changes)


UPGRADES = [
    ('1.31.2', '1.31.2', True),
    ('1.31.2', 'v1.31.9', True),
    ('1.31.2', '1.32.0', True),
    ('1.31.2', '1.33.0', False),
    ('1.31.2', '1.30.9', False),
    ('1.31.2', '1.31.1', False),
    ('1.31.2', '2.0.0', False),
    ('1.31.2', 'banana', False),
]


@pytest.mark.parametrize('current,new,allowed', UPGRADES)
def test_check_upgrade(current, new, allowed):
    if allowed:
        spec.check_upgrade(current, new)
    else:
        with pytest.raises(exceptions.InvalidClusterInput) as info:
            spec.check_upgrade(current, new)
        assert new in str(info.value)


MASTERS = [(1, False, True), (1, True, True), (3, True, True),
           (5, True, True), (3, False, False), (2, True, False),
           (0, True, False), (-1, True, False), (True, True, False),
           ('3', True, False)]


@pytest.mark.parametrize('count,lb,allowed', MASTERS)
def test_validate_master_count(count, lb, allowed):
    if allowed:
        spec.validate_master_count(count, lb)
    else:
        with pytest.raises(exceptions.InvalidClusterInput) as info:
            spec.validate_master_count(count, lb)
        assert 'master_count' in str(info.value)


def test_upgraded_labels_follow_template():
    labels = {'kube_tag': 'v1.30.1', 'monitoring_enabled': 'true'}
    assert spec.upgraded_labels(labels, {'kube_tag': 'v1.31.2'}) == {
        'kube_tag': 'v1.31.2', 'monitoring_enabled': 'true'}
    assert spec.upgraded_labels(labels, {}) == {'monitoring_enabled': 'true'}
    assert labels['kube_tag'] == 'v1.30.1'
