"""Facts about the user's cloud (images, flavors, networks) for spec building.

A thin adapter over Magnum's own OpenStack clients (openstacksdk proxies),
answering the cloud-facts protocol of ``spec`` with plain dicts. References
may be ids or names, as Horizon sends flavor names.
"""

from magnum.api import attr_validator
from magnum.common import clients
from magnum.common import exception
from openstack import exceptions as sdk_exceptions


class OpenStackCloud(object):
    """Looks things up in the user's project, with the request context."""

    def __init__(self, context):
        self._context = context
        self._clients = clients.OpenStackClients(context)

    def image(self, ref):
        image = attr_validator.validate_image(self._clients, ref)
        properties = dict(image.properties or {})
        properties.setdefault('os_distro', image.os_distro)
        for key in ('kube_version', 'os_version'):
            if getattr(image, key, None):
                properties.setdefault(key, getattr(image, key))
        return {'id': image.id, 'name': image.name, 'properties': properties}

    def flavor(self, ref):
        flavor = _find(self._clients.nova().find_flavor, ref, 'flavor',
                       exception.FlavorNotFound(flavor=ref),
                       get_extra_specs=True)
        return {'id': flavor.id, 'name': flavor.name, 'vcpus': flavor.vcpus,
                'ram': flavor.ram, 'disk': flavor.disk,
                'extra_specs': dict(flavor.extra_specs or {})}

    def network(self, ref):
        net = _find(self._clients.neutron().find_network, ref, 'network',
                    exception.FixedNetworkNotFound(network=ref))
        return {'id': net.id, 'name': net.name,
                'external': bool(net.is_router_external)}

    def subnet(self, ref):
        subnet = _find(self._clients.neutron().find_subnet, ref, 'subnet',
                       exception.FixedSubnetNotFound(subnet=ref))
        return {'id': subnet.id, 'name': subnet.name,
                'network_id': subnet.network_id,
                'dns_nameservers': list(subnet.dns_nameservers or [])}


def _find(find, ref, kind, not_found, **options):
    """openstacksdk's find_*: the resource whose id is ref, else the only
    one named ref; Magnum's errors for none and for several."""
    try:
        return find(ref, ignore_missing=False, **options)
    except sdk_exceptions.DuplicateResource:
        raise exception.Conflict(
            'Multiple %ss are named %r; use the id of the one you mean.'
            % (kind, ref))
    except sdk_exceptions.NotFoundException:
        raise not_found


def for_context(context):
    """The cloud-facts source the driver uses; tests replace this factory."""
    return OpenStackCloud(context)
