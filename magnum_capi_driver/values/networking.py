"""Neutron networking: external network, node network, DNS."""


def values(spec):
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
    if network.dns_nameservers:
        result['dnsNameservers'] = list(network.dns_nameservers)
    return {'clusterNetworking': result}
