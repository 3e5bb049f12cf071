"""Names are valid, stable and distinct whatever Unicode users type."""

import types

import pytest

from magnum_capi_driver import names

UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427'
CLUSTER_NAMES = ['demo', 'Düdingen Test', 'production cluster for the '
                 'big data team in zürich', '2024-prod', '计算集群', '---',
                 '', 'a', 'ÆØÅ straße', 'x' * 300, 'my_cluster.v2',
                 'UPPER-case-', '🚀🚀']


@pytest.mark.parametrize('name', CLUSTER_NAMES)
def test_release_names_leave_room_for_derived_names(name):
    release = names.release_name(name, UUID)
    assert names.DNS_LABEL_RE.fullmatch(release), release
    assert len(release) <= names.RELEASE_MAX
    assert release.endswith('-1b4e28ba')
    group = names.node_group_name('x' * 100, UUID)
    deployment = names.machine_deployment_name(release, group)
    # MachineSet and Machine add two 5-character suffixes (host names).
    assert len(deployment + '-abcde-fghij') <= 63
    assert len(deployment + '-0123456789') <= 63
    assert len(release + '-control-plane-abcde') <= 63
    assert len(release + '-cloud-credentials') <= 63
    assert release == names.release_name(name, UUID)


@pytest.mark.parametrize('name,expected', [
    ('demo', 'demo-1b4e28ba'),
    ('Düdingen Test', 'dudingen-test-1b4e28ba'),
    ('ÆØÅ straße', 'aeoa-strasse-1b4e28ba'),
    ('2024-prod', 'c2024-prod-1b4e28ba'),
    ('计算集群', 'cluster-1b4e28ba'),
])
def test_release_name_is_readable(name, expected):
    assert names.release_name(name, UUID) == expected


def test_release_depends_on_uuid():
    assert (names.release_name('demo', UUID)
            != names.release_name('demo', '2c5f39cb-0000-4000-8000-0'))


@pytest.mark.parametrize('prefix,project,expected', [
    ('magnum', 'f6cdeac2b5d44aa1a0bcd5e29ce1fd0a',
     'magnum-f6cdeac2b5d44aa1a0bcd5e29ce1fd0a'),
    ('Magnum', 'f6cdeac2b5d44aa1a0bcd5e29ce1fd0a',
     'magnum-f6cdeac2b5d44aa1a0bcd5e29ce1fd0a'),
])
def test_namespace_of_a_keystone_project(prefix, project, expected):
    assert names.namespace_name(prefix, project) == expected


@pytest.mark.parametrize('prefix,project', [
    ('magnum', 'Project_With_Caps'), ('m' * 60, 'f6cdeac2b5d44aa1a0bcd5e2'),
    ('1st', 'abc'), ('magnum', 'd-e-f')])
def test_namespace_of_odd_inputs_is_valid_and_distinct(prefix, project):
    name = names.namespace_name(prefix, project)
    assert names.DNS_LABEL_RE.fullmatch(name) and len(name) <= 63, name
    assert name == names.namespace_name(prefix, project)
    assert name != names.namespace_name(prefix, project + 'x')


def _ng(name, uuid, role='worker'):
    return types.SimpleNamespace(name=name, uuid=uuid, role=role)


def test_group_names_valid_unique_and_stable():
    typed = ['default-worker', 'GPU Pool', 'gpu-pool', 'gpu_pool', 'gpu pool',
             '计算', '🚀', 'a', 'Ünïcödé ÆØ ß', 'x' * 200, '9lives', '-_-']
    groups = [_ng(name, 'c000000%02d-0000-4000-8000-000000000000' % i)
              for i, name in enumerate(typed)]
    groups.append(_ng('default-master', 'm-uuid', role='master'))
    result = names.node_group_names(groups)
    assert 'm-uuid' not in result
    assert len(set(result.values())) == len(typed)
    for group in groups[:-1]:
        chart_name = result[group.uuid]
        assert names.GROUP_NAME_RE.fullmatch(chart_name), chart_name
        assert len(chart_name) <= names.GROUP_MAX
        # Alone or with others, the name is the same.
        assert names.node_group_names([group]) == {group.uuid: chart_name}


def test_recreated_nodegroup_gets_a_new_name():
    first = names.node_group_name('gpu', 'c0000001-0000-4000-8000-0')
    again = names.node_group_name('gpu', 'c0000002-0000-4000-8000-0')
    assert first.startswith('gpu-') and again.startswith('gpu-')
    assert first != again


def test_machine_deployment_name():
    assert names.machine_deployment_name('demo-1b4e28ba', 'gpu-abcdef') == \
        'demo-1b4e28ba-gpu-abcdef'
