"""The cloud-facts adapter through its real code path.

Magnum's own clients read the compute, image and network endpoints from the
member user's token catalog (real Keystone), openstacksdk discovers versions
and makes the calls; only the Nova/Glance/Neutron answers come from the
loopback stand-in in tests.fixtures.openstack_api.
"""

import uuid

from magnum.common import exception
import pytest

from magnum_capi_driver import cloud
from tests.fixtures import openstack_api as api

UBUNTU, PLAIN = api.IMAGES
MEDIUM, LARGE = api.FLAVORS[:2]
PUBLIC, PRIVATE = api.NETWORKS
SUBNET = api.SUBNETS[0]
CLIENT_GROUPS = ('nova_client', 'glance_client', 'neutron_client')


@pytest.fixture
def facts(openstack_api, keystone, magnum_conf):
    """OpenStackCloud for the member user, made after the catalog is set."""
    keystone.configure_magnum(magnum_conf)
    return cloud.OpenStackCloud(keystone.request_context())


@pytest.mark.parametrize('ref', [UBUNTU['id'], UBUNTU['name']])
def test_image_by_id_or_name_has_glance_properties(facts, ref):
    image = facts.image(ref)
    assert (image['id'], image['name']) == (UBUNTU['id'], UBUNTU['name'])
    assert image['properties']['os_distro'] == 'ubuntu'
    assert image['properties']['kube_version'] == 'v1.31.2'


@pytest.mark.parametrize('ref', [PLAIN['id'], PLAIN['name']])
def test_image_without_os_distro_is_refused(facts, ref):
    with pytest.raises(exception.OSDistroFieldNotFound, match=ref):
        facts.image(ref)


@pytest.mark.parametrize('ref', ['no-such-image', str(uuid.uuid4())])
def test_unknown_image(facts, ref):
    with pytest.raises(exception.ImageNotFound, match=ref):
        facts.image(ref)


@pytest.mark.parametrize('flavor, ref', [
    (MEDIUM, MEDIUM['id']), (MEDIUM, MEDIUM['name']),
    (LARGE, LARGE['id']), (LARGE, LARGE['name'])])
def test_flavor_by_id_or_name(facts, flavor, ref):
    assert facts.flavor(ref) == dict(
        {key: flavor[key] for key in ('id', 'name', 'vcpus', 'ram', 'disk')},
        extra_specs={})


def test_ambiguous_flavor_name_is_refused_but_ids_work(facts):
    with pytest.raises(exception.Conflict, match='gpu.twin'):
        facts.flavor('gpu.twin')
    assert facts.flavor('8')['vcpus'] == 16
    # Extra specs (GPUs for the autoscaler) come with the flavor list.
    assert facts.flavor('8')['extra_specs'] == {
        'pci_passthrough:alias': 'a100:2'}


def test_unknown_flavor(facts):
    with pytest.raises(exception.FlavorNotFound, match='m1.huge'):
        facts.flavor('m1.huge')


@pytest.mark.parametrize('network, ref', [
    (PUBLIC, PUBLIC['id']), (PUBLIC, PUBLIC['name']),
    (PRIVATE, PRIVATE['id']), (PRIVATE, PRIVATE['name'])])
def test_network_by_id_or_name(facts, network, ref):
    assert facts.network(ref) == {'id': network['id'],
                                  'name': network['name'],
                                  'external': network['router:external']}


@pytest.mark.parametrize('ref', [SUBNET['id'], SUBNET['name']])
def test_subnet_by_id_or_name(facts, ref):
    assert facts.subnet(ref) == {'id': SUBNET['id'], 'name': SUBNET['name'],
                                 'network_id': PRIVATE['id'],
                                 'dns_nameservers': ['192.0.2.53']}


def test_unknown_network(facts):
    with pytest.raises(exception.FixedNetworkNotFound, match='nowhere'):
        facts.network('nowhere')


def test_unknown_subnet(facts):
    with pytest.raises(exception.FixedSubnetNotFound, match='nowhere'):
        facts.subnet('nowhere')


def test_lookups_in_the_configured_region(facts, keystone, magnum_conf):
    for group in CLIENT_GROUPS:
        magnum_conf.set_override('region_name', keystone.region_name,
                                 group=group)
    try:
        looked_up = cloud.OpenStackCloud(keystone.request_context())
        assert looked_up.image(UBUNTU['name'])['id'] == UBUNTU['id']
        assert looked_up.flavor(LARGE['name'])['id'] == LARGE['id']
        assert looked_up.network(PUBLIC['name'])['external'] is True
    finally:
        for group in CLIENT_GROUPS:
            magnum_conf.clear_override('region_name', group=group)
