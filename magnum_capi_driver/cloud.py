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
        flavor = _one(self._clients.nova().flavors(), ref, 'flavor',
                      exception.FlavorNotFound(flavor=ref))
        return {'id': flavor.id, 'name': flavor.name, 'vcpus': flavor.vcpus,
                'ram': flavor.ram, 'disk': flavor.disk,
                'extra_specs': dict(flavor.extra_specs or {})}

    def network(self, ref):
        net = _one(self._clients.neutron().networks(), ref, 'network',
                   exception.FixedNetworkNotFound(network=ref))
        return {'id': net.id, 'name': net.name,
                'external': bool(net.is_router_external)}

    def subnet(self, ref):
        subnet = _one(self._clients.neutron().subnets(), ref, 'subnet',
                      exception.FixedSubnetNotFound(subnet=ref))
        return {'id': subnet.id, 'name': subnet.name,
                'network_id': subnet.network_id,
                'dns_nameservers': list(subnet.dns_nameservers or [])}


def _one(resources, ref, kind, not_found):
    """The resource whose id is ref, else the only one named ref."""
    named = []
    for resource in resources:
        if resource.id == ref:
            return resource
        if resource.name == ref:
            named.append(resource)
    if not named:
        raise not_found
    if len(named) > 1:
        raise exception.Conflict(
            'Multiple %ss are named %r; use the id of the one you mean.'
            % (kind, ref))
    return named[0]


def for_context(context):
    """The cloud-facts source the driver uses; tests replace this factory."""
    return OpenStackCloud(context)
