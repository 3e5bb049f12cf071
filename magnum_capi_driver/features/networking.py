"""Neutron networking: external network, node network, DNS, extra ports."""

import dataclasses
import ipaddress

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label

invalid = kinds.invalid
# The chart's default pod and service networks (kubeNetwork).
POD_CIDR = ipaddress.ip_network('172.16.0.0/13')
SERVICE_CIDR = ipaddress.ip_network('172.24.0.0/13')


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    external_network_id: str = None
    network_id: str = None
    subnet_id: str = None
    node_cidr: str = '10.0.0.0/24'
    dns_nameservers: tuple = ()
    extra_network_ids: tuple = ()


def _id(found, ref, field):
    """A Neutron id, which the chart writes unquoted."""
    return kinds.check_plain('id of network %s (%s)' % (ref, field),
                             found['id'], 'a Neutron id')


def _first(*values):
    for value in values:
        if value not in (None, ''):
            return value
    return None


def _dns(template):
    """The template's nameservers, as normalised IP addresses."""
    dns = []
    for item in str(template.dns_nameserver or '').split(','):
        item = item.strip()
        if not item:
            continue
        try:
            dns.append(str(ipaddress.ip_address(item)))
        except ValueError:
            raise invalid('dns_nameserver of the cluster template',
                          template.dns_nameserver,
                          'comma-separated IP addresses')
    return tuple(dns)


def _check_dns_in_effect(dns, subnet, template, where):
    """Nameservers with an existing network: refused unless in effect.

    The chart sets nameservers only on the subnet it creates; an existing
    subnet hands out its own through DHCP. Rather than drop the template's
    nameservers, they are accepted only when the fixed subnet already has
    exactly those.
    """
    have = set()
    for item in (subnet or {}).get('dns_nameservers') or ():
        try:
            have.add(str(ipaddress.ip_address(str(item).strip())))
        except ValueError:
            continue
    if subnet is not None and have == set(dns):
        return
    raise invalid(
        'dns_nameserver of the cluster template (with the existing network '
        'of %s)' % where, template.dns_nameserver,
        'no nameservers, or exactly those of the fixed subnet (%s): the '
        'nodes of an existing network get their nameservers from its subnet '
        'in Neutron, which the driver does not change; remove dns_nameserver '
        'from the template or set it on the subnet'
        % (', '.join(sorted(have)) or 'none' if subnet is not None
           else 'no fixed_subnet given'))


class Networking(features.Feature):
    part = 'network'
    labels = (
        Label('fixed_subnet_cidr', kinds.NODE_CIDR, '10.0.0.0/24',
              'CIDR of the subnet created for the nodes when the cluster '
              'has no fixed network.'),
        Label('extra_network_names', kinds.NETWORK_NAMES, (),
              'Extra Neutron networks attached to every worker node.'),
        Label('extra_network_name', kinds.NETWORK_NAMES, (),
              'Deprecated: use extra_network_names.',
              replaced_by='extra_network_names'),
    )
    owns = ('clusterNetworking', 'nodeGroupDefaults.machineNetworking')

    def cluster_spec(self, ctx):
        cloud, cluster, template = ctx.cloud, ctx.cluster, ctx.template
        external_id = None
        if template.external_network_id:
            external = cloud.network(template.external_network_id)
            if external.get('external') is False:
                raise invalid('external_network_id of the cluster template',
                              template.external_network_id,
                              'a Neutron network with router:external set')
            external_id = _id(external, template.external_network_id,
                              'external_network_id')
        network_id = subnet_id = None
        network_ref = _first(cluster.fixed_network, template.fixed_network)
        if network_ref:
            network = cloud.network(network_ref)
            if network.get('external'):
                raise invalid('fixed_network of %s' % ctx.where, network_ref,
                              'a project network, not an external one')
            network_id = _id(network, network_ref, 'fixed_network')
        subnet_ref = _first(cluster.fixed_subnet, template.fixed_subnet)
        if subnet_ref:
            subnet = cloud.subnet(subnet_ref)
            if network_id and subnet['network_id'] != network_id:
                raise invalid('fixed_subnet of %s' % ctx.where, subnet_ref,
                              'a subnet of fixed_network %s' % network_ref)
            network_id = _id({'id': subnet['network_id']}, subnet_ref,
                             'fixed_subnet')
            subnet_id = _id(subnet, subnet_ref, 'fixed_subnet')
        dns = _dns(template)
        if dns and network_id:
            _check_dns_in_effect(dns, subnet if subnet_ref else None,
                                 template, ctx.where)
        node_cidr = ctx.labels['fixed_subnet_cidr']
        if not network_id:
            network = ipaddress.ip_network(node_cidr)
            for name, other in (('pod', POD_CIDR),
                                ('service', SERVICE_CIDR)):
                if network.overlaps(other):
                    raise invalid('label fixed_subnet_cidr of %s'
                                  % ctx.where, node_cidr,
                                  'a network that does not overlap the %s '
                                  'network %s' % (name, other))
        extra = tuple(_id(cloud.network(name), name, 'extra_network_names')
                      for name in ctx.labels['extra_network_names'])
        return NetworkSpec(external_network_id=external_id,
                           network_id=network_id, subnet_id=subnet_id,
                           node_cidr=node_cidr, dns_nameservers=dns,
                           extra_network_ids=extra)

    def values(self, spec):
        network = spec.network
        internal = {}
        if network.network_id:
            internal['networkFilter'] = {'id': network.network_id}
        if network.subnet_id:
            internal['subnetFilter'] = {'id': network.subnet_id}
        if not internal:
            internal['nodeCidr'] = network.node_cidr
        result = {'internalNetwork': internal}
        if network.external_network_id:
            result['externalNetworkId'] = network.external_network_id
        if network.dns_nameservers and not network.network_id:
            internal['dnsNameservers'] = list(network.dns_nameservers)
        out = {'clusterNetworking': result}
        if network.extra_network_ids:
            # The empty first port keeps the node on the cluster network.
            ports = [{}] + [{'network': {'id': network_id},
                             'securityGroups': []}
                            for network_id in network.extra_network_ids]
            out['nodeGroupDefaults'] = {'machineNetworking': {
                'ports': ports}}
        return out
