"""The label schema: parsing, merging by scope, defaults and docs."""

import types

import pytest

from magnum_capi_driver import exceptions
from magnum_capi_driver import labels

# Every label magnum-capi-helm 1.4.0 reads, so its templates move over.
CAPI_HELM_1_4_0 = {
    'etcd_blockdevice_size', 'etcd_blockdevice_type',
    'etcd_blockdevice_volume_type', 'etcd_blockdevice_volume_az',
    'etcd_volume_size', 'etcd_volume_type', 'monitoring_enabled',
    'kube_dashboard_enabled', 'auto_healing_enabled', 'auto_scaling_enabled',
    'min_node_count', 'max_node_count', 'keystone_auth_enabled',
    'csi_cinder_availability_zone', 'csi_cinder_reclaim_policy',
    'csi_cinder_volume_binding_mode', 'csi_cinder_fstype',
    'csi_cinder_allow_volume_expansion', 'octavia_provider',
    'octavia_lb_algorithm', 'octavia_lb_healthcheck',
    'master_lb_floating_ip_enabled', 'fixed_subnet_cidr',
    'api_master_lb_allowed_cidrs', 'extra_network_names',
    'extra_network_name', 'boot_volume_type', 'boot_volume_size',
    'capi_helm_chart_version'}


def test_schema_covers_magnum_capi_helm_and_horizon():
    assert CAPI_HELM_1_4_0 | {'kube_tag', 'availability_zone'} <= \
        set(labels.by_name())
    assert len(labels.by_name()) == len(labels.schema())


@pytest.mark.parametrize('text', [True, 'True', 'true', 'TRUE', '1', 'yes',
                                  'Yes', ' on ', 'y', 't'])
def test_true(text):
    assert labels.BOOL.parse('f', text) is True


@pytest.mark.parametrize('text', [False, 'False', 'false', '0', 'no', 'NO',
                                  'off'])
def test_false(text):
    assert labels.BOOL.parse('f', text) is False


@pytest.mark.parametrize('text', ['', 'ture', '2', 'yy', None, 'truee'])
def test_not_bool(text):
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        labels.BOOL.parse('label x', text)
    assert 'label x' in str(info.value) and repr(text) in str(info.value)


@pytest.mark.parametrize('text,number', [(3, 3), ('3', 3), (' 12 ', 12),
                                         (0, 0)])
def test_count(text, number):
    assert labels.COUNT.parse('f', text) == number


@pytest.mark.parametrize('text', ['-1', -1, '1.0', 1.0, True, '٣', '', 'x'])
def test_not_count(text):
    with pytest.raises(exceptions.InvalidClusterInput):
        labels.COUNT.parse('f', text)


@pytest.mark.parametrize('text,version', [
    ('v1.31.2', '1.31.2'), ('1.31.2', '1.31.2'), (' v1.30.4 ', '1.30.4')])
def test_version(text, version):
    assert labels.parse_version('f', text) == version


@pytest.mark.parametrize('text', ['1.31', 'v1.30.04', '1.31.2-rc.1',
                                  '1.31.2+build', 'latest', '', None])
def test_not_version(text):
    with pytest.raises(exceptions.InvalidClusterInput):
        labels.parse_version('f', text)


def test_parse_ignores_unknown_and_checks_known():
    parsed = labels.parse({'monitoring_enabled': 'Yes', 'flannel_tag': 'x'},
                          'cluster c')
    assert parsed == {'monitoring_enabled': True}
    assert labels.unknown({'monitoring_enabled': '1', 'zz': '1'}) == ['zz']


def test_layers_follow_scopes():
    resolved = labels.Resolved(
        site={'octavia_provider': 'ovn', 'boot_volume_size': 10},
        template={'capi_helm_chart_version': '0.27.0',
                  'monitoring_enabled': True, 'boot_volume_size': 20},
        cluster={'capi_helm_chart_version': '0.1.0',
                 'monitoring_enabled': False, 'boot_volume_size': 30},
        nodegroup={'monitoring_enabled': True, 'boot_volume_size': 40})
    assert resolved['capi_helm_chart_version'] == '0.27.0'  # template only
    assert resolved['monitoring_enabled'] is False  # not per nodegroup
    assert resolved['boot_volume_size'] == 40
    assert resolved['octavia_provider'] == 'ovn'
    assert resolved['auto_healing_enabled'] is True  # schema default
    assert resolved.is_set('octavia_provider')
    assert not resolved.is_set('auto_healing_enabled')


def test_replacement_label_wins_then_deprecated_then_default():
    assert labels.Resolved({}, {'etcd_volume_size': 5},
                           {'etcd_blockdevice_size': 8})[
        'etcd_blockdevice_size'] == 8
    assert labels.Resolved({}, {'etcd_volume_size': 5}, {})[
        'etcd_blockdevice_size'] == 5
    assert labels.Resolved({'etcd_blockdevice_size': 3}, {}, {})[
        'etcd_blockdevice_size'] == 3
    assert labels.Resolved({}, {}, {})['etcd_blockdevice_size'] == 0


def _conf(default_labels, **cinder):
    return types.SimpleNamespace(
        capi_driver=types.SimpleNamespace(default_labels=default_labels),
        cinder=types.SimpleNamespace(**cinder))


def test_site_defaults_reject_typos_and_take_cinder_defaults():
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        labels.site_defaults(_conf({'monitoring_enable': 'true'}))
    assert 'monitoring_enable' in str(info.value)
    site = labels.site_defaults(_conf({'monitoring_enabled': 'true'},
                                      default_boot_volume_size=50,
                                      default_boot_volume_type='',
                                      default_etcd_volume_type='fast'))
    assert site == {'monitoring_enabled': 'true', 'boot_volume_size': 50,
                    'etcd_volume_type': 'fast'}


def test_rst_table_lists_every_label():
    table = labels.rst_table()
    assert table.startswith('.. list-table::')
    for label in labels.schema():
        assert '``%s``' % label.name in table


@pytest.mark.parametrize('text,plain', [
    ('gold', True), ('Zürich-Ost', True), ('tier:gold', True),
    ('gold tier', True), ('v1.2', True), ('1.2.3', True),
    ('2024', False), ('0123', False), ('08', False), ('1e3', False),
    ('0x1f', False), ('.5', False), ('inf', False), ('NaN', False),
    ('1_000', False), ('on', False), ('Off', False), ('y', False),
    ('N', False), ('yes', False), ('null', False), ('~', False),
    ('', False), ('a: b', False), ('a:', False), ('#x', False),
    ('a #b', False), ('-a', False), ("'a'", False), ('[a]', False),
    ('a\nb', False), (' a', False)])
def test_plain_scalar(text, plain):
    assert labels.plain_scalar(text) is plain


def test_bare_values_are_refused_naming_what_is_accepted():
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        labels.VOLUME_TYPE.parse('label boot_volume_type', 'tier: gold')
    assert 'label boot_volume_type' in str(info.value)
    assert 'not a number' in str(info.value)
