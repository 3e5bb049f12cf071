"""CAPO's OpenStackCluster: network, router and API load balancer.

The cluster's infrastructure becomes ready after a while, unless a
provider error is injected; deletion takes time too.
"""

import uuid
import zlib

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import conditions as cond
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def _id(osc, what):
    return str(uuid.uuid5(uuid.NAMESPACE_URL,
                          '%s/%s' % (what, objects.uid(osc))))


def resource_name(osc):
    """CAPO names its OpenStack resources after namespace and cluster."""
    return 'k8s-clusterapi-cluster-%s-%s' % (objects.namespace(osc),
                                             objects.name(osc))


def floating_ip(osc):
    digest = zlib.crc32(objects.uid(osc).encode())
    return '172.24.%d.%d' % (4 + (digest >> 8) % 200, digest % 253 + 2)


def ready_status(osc):
    """What CAPO reports once the network and load balancer exist."""
    spec = objects.spec(osc)
    subnets = spec.get('managedSubnets') or [{}]
    cidr = subnets[0].get('cidr') or '10.0.0.0/24'
    prefix = cidr.split('/')[0].rsplit('.', 1)[0]
    name = resource_name(osc)
    status = {
        'ready': True,
        'network': {
            'id': _id(osc, 'network'), 'name': name,
            'subnets': [{'id': _id(osc, 'subnet'), 'name': name,
                         'cidr': cidr}]},
        'externalNetwork': {
            'id': (spec.get('externalNetwork') or {}).get('id')
            or _id(osc, 'external'),
            'name': 'public'},
        'router': {'id': _id(osc, 'router'), 'name': name,
                   'ips': [floating_ip(osc)]},
        'failureDomains': {'nova': {'controlPlane': True}},
        'failureReason': None,
        'failureMessage': None,
        'conditions': [cond.v1beta1('Ready', True)],
    }
    if (spec.get('apiServerLoadBalancer') or {}).get('enabled'):
        status['apiServerLoadBalancer'] = {
            'id': _id(osc, 'loadbalancer'),
            'name': '%s-kubeapi' % name,
            'ip': floating_ip(osc),
            'internalIP': '%s.%d' % (prefix, 10),
            'allowedCIDRs': list(
                spec['apiServerLoadBalancer'].get('allowedCIDRs') or []),
        }
    return status


def endpoint(osc):
    """The API endpoint: the one the user set, else the floating IP."""
    given = objects.spec(osc).get('controlPlaneEndpoint') or {}
    if given.get('host'):
        return given
    return {'host': floating_ip(osc),
            'port': objects.spec(osc).get('apiServerPort')
            or kinds.API_SERVER_PORT}


def reconcile(osc, cluster, env):
    """Writes for one OpenStackCluster; ``cluster`` is its owner or None."""
    ns = objects.namespace(osc)
    cluster_name = objects.name(cluster) if cluster else \
        objects.cluster_name(osc)
    if objects.deleting(osc):
        if (env.waited(osc, env.timings.infrastructure_deletion)
                and not env.faults.deletion_hung(ns, cluster_name)):
            return [actions.release_finalizer(
                osc, kinds.OPENSTACK_CLUSTER,
                kinds.OPENSTACK_CLUSTER_FINALIZER)]
        return []
    if cluster is None:
        return []
    writes = [actions.ensure_finalizer(osc, kinds.OPENSTACK_CLUSTER,
                                       kinds.OPENSTACK_CLUSTER_FINALIZER)]
    error = env.faults.provider_error(ns, cluster_name)
    status = objects.status(osc)
    if error:
        reason, message, terminal = error
        desired = {
            'failureReason': reason if terminal else None,
            'failureMessage': message if terminal else None,
            'conditions': cond.replace(status.get('conditions'), [
                cond.v1beta1('Ready', False, 'OpenStackError', message,
                             cond.ERROR if terminal else cond.WARNING)]),
        }
    elif status.get('ready') or env.waited(osc, env.timings.infrastructure):
        desired = ready_status(osc)
        if objects.spec(osc).get('controlPlaneEndpoint') != endpoint(osc):
            writes.append(actions.patch(
                kinds.OPENSTACK_CLUSTER, osc,
                {'spec': {'controlPlaneEndpoint': endpoint(osc)}}))
    else:
        desired = {
            'ready': False,
            'failureReason': None,
            'failureMessage': None,
            'conditions': [cond.v1beta1(
                'Ready', False, 'NetworkNotReady',
                'Creating the network and the API load balancer')],
        }
    writes.append(actions.status_write(kinds.OPENSTACK_CLUSTER, osc, desired,
                                       env.stamp))
    return writes
