"""Facts about the user's cloud (images, flavors, networks) for spec building.

A thin adapter over Magnum's own OpenStack clients (openstacksdk proxies),
answering the cloud-facts protocol of ``spec`` with plain dicts. References
may be ids or names, as Horizon sends flavor names.
"""

from magnum.api import attr_validator
from magnum.common import clients
from magnum.common import exception


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
        for flavor in self._clients.nova().flavors():
            if ref in (flavor.id, flavor.name):
                return {'id': flavor.id, 'name': flavor.name,
                        'vcpus': flavor.vcpus, 'ram': flavor.ram,
                        'disk': flavor.disk}
        raise exception.FlavorNotFound(flavor=ref)

    def network(self, ref):
        for net in self._clients.neutron().networks():
            if ref in (net.id, net.name):
                return {'id': net.id, 'name': net.name,
                        'external': bool(net.is_router_external)}
        raise exception.FixedNetworkNotFound(network=ref)

    def subnet(self, ref):
        for subnet in self._clients.neutron().subnets():
            if ref in (subnet.id, subnet.name):
                return {'id': subnet.id, 'name': subnet.name,
                        'network_id': subnet.network_id}
        raise exception.FixedSubnetNotFound(subnet=ref)


def for_context(context):
    """The cloud-facts source the driver uses; tests replace this factory."""
    return OpenStackCloud(context)
