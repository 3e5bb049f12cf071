"""CAPI's Cluster controller: phase, conditions, endpoint, owner references
and cluster-name labels on the objects it refers to, and the ordered
teardown (workers, then control plane, then infrastructure)."""

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import conditions as cond
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def phase(cluster, infrastructure_ready):
    """CAPI's phase: Provisioned as soon as the infrastructure is ready and
    the endpoint known, whatever the control plane's state."""
    if objects.deleting(cluster):
        return 'Deleting'
    if not objects.status(cluster).get('phase'):
        return 'Pending'
    endpoint = objects.spec(cluster).get('controlPlaneEndpoint') or {}
    if infrastructure_ready and endpoint.get('host') and endpoint.get('port'):
        return 'Provisioned'
    return 'Provisioning'


def _mirror(source, type_, waiting_reason, waiting_message):
    """A condition copied from ``source``'s Ready, or a waiting one."""
    if source is None or not objects.condition(source, 'Ready'):
        return cond.v1beta1(type_, False, waiting_reason, waiting_message)
    ready = objects.condition(source, 'Ready')
    if ready.get('status') == 'True':
        return cond.v1beta1(type_, True)
    return cond.v1beta1(type_, False, ready.get('reason'),
                        ready.get('message'),
                        ready.get('severity', cond.INFO))


def _workers_available(deployments):
    waiting = [objects.name(md) for md in deployments
               if not objects.is_true(md, 'Available')]
    if waiting:
        return cond.v1beta2('WorkersAvailable', False, 'NotAvailable',
                            '%s not available' % ', '.join(sorted(waiting)))
    return cond.v1beta2('WorkersAvailable', True, 'Available')


def desired_status(cluster, osc, kcp, deployments, machines):
    osc_status = objects.status(osc) if osc else {}
    kcp_status = objects.status(kcp) if kcp else {}
    infra_ready = bool(osc_status.get('ready'))
    initialized = bool(kcp_status.get('initialized'))
    cp_ready = bool(kcp_status.get('ready'))
    infra = _mirror(osc, 'InfrastructureReady', 'WaitingForInfrastructure',
                    'Waiting for the OpenStackCluster')
    if infra_ready:
        infra = cond.v1beta1('InfrastructureReady', True)
    control_plane = _mirror(kcp, 'ControlPlaneReady', 'WaitingForControlPlane',
                            'Waiting for the KubeadmControlPlane')
    cp_initialized = cond.v1beta1(
        'ControlPlaneInitialized', initialized,
        'WaitingForControlPlaneProviderInitialized',
        'Waiting for control plane provider to indicate the control plane '
        'has been initialized')
    workers = _workers_available(deployments)
    cp_available = objects.is_true(kcp, 'Available') if kcp else False
    available = infra_ready and cp_available and workers['status'] == 'True'
    ready_machines = [m for m in machines
                      if objects.status(m).get('phase') == 'Running']
    deleting = objects.deleting(cluster)
    v1beta2 = [
        cond.v1beta2('Available', available,
                     'Available' if available else 'NotAvailable',
                     None if available else 'Cluster is not available yet'),
        cond.v1beta2('InfrastructureReady', infra_ready,
                     'Ready' if infra_ready else 'NotReady'),
        cond.v1beta2('ControlPlaneInitialized', initialized,
                     'Initialized' if initialized else 'NotInitialized'),
        cond.v1beta2('ControlPlaneAvailable', cp_available,
                     'Available' if cp_available else 'NotAvailable'),
        workers,
        cond.v1beta2('RemoteConnectionProbe', initialized,
                     'ProbeSucceeded' if initialized else 'ProbeFailed'),
        cond.v1beta2('MachinesReady',
                     len(ready_machines) == len(machines),
                     'Ready' if len(ready_machines) == len(machines)
                     else 'NotReady',
                     '%d of %d machines ready' % (len(ready_machines),
                                                  len(machines))),
        cond.v1beta2('Deleting', deleting,
                     'Deleting' if deleting else 'NotDeleting'),
    ]
    status = {
        'phase': phase(cluster, infra_ready),
        'infrastructureReady': infra_ready,
        'controlPlaneReady': cp_ready,
        'observedGeneration': objects.generation(cluster),
        'conditions': [cond.summary('Ready', [infra, control_plane]),
                       infra, control_plane, cp_initialized],
        'v1beta2': {'conditions': v1beta2},
    }
    if osc_status.get('failureDomains'):
        status['failureDomains'] = osc_status['failureDomains']
    return status


def reconcile(cluster, world, env):
    """Writes for one Cluster and the owner references CAPI sets."""
    osc = world.infrastructure(cluster)
    kcp = world.control_plane(cluster)
    deployments = world.deployments_of(cluster)
    machines = world.machines_of_cluster(cluster)
    writes = []
    if objects.deleting(cluster):
        writes.extend(_teardown(cluster, osc, kcp, deployments, machines,
                                env))
    else:
        writes.append(actions.ensure_finalizer(cluster, kinds.CLUSTER,
                                               kinds.CLUSTER_FINALIZER))
        writes.append(actions.ensure_owner(osc, kinds.OPENSTACK_CLUSTER,
                                           cluster, kinds.CLUSTER))
        writes.append(actions.ensure_owner(kcp, kinds.CONTROL_PLANE,
                                           cluster, kinds.CLUSTER))
        # As CAPI's Cluster controller, which labels the objects the
        # Cluster refers to with its name.
        for kind, obj in ((kinds.OPENSTACK_CLUSTER, osc),
                          (kinds.CONTROL_PLANE, kcp)):
            writes.append(actions.ensure_label(
                obj, kind, kinds.CLUSTER_NAME_LABEL, objects.name(cluster)))
        osc_endpoint = (objects.spec(osc).get('controlPlaneEndpoint')
                        if osc else None) or {}
        current = objects.spec(cluster).get('controlPlaneEndpoint') or {}
        if osc_endpoint.get('host') and not current.get('host'):
            writes.append(actions.patch(kinds.CLUSTER, cluster, {'spec': {
                'controlPlaneEndpoint': {
                    'host': osc_endpoint['host'],
                    'port': osc_endpoint.get('port')
                    or kinds.API_SERVER_PORT}}}))
    writes.append(actions.status_write(
        kinds.CLUSTER, cluster,
        desired_status(cluster, osc, kcp, deployments, machines), env.stamp))
    return writes


def _teardown(cluster, osc, kcp, deployments, machines, env):
    """One step of CAPI's ordered deletion of a cluster's descendants."""
    workers = [m for m in machines
               if kinds.CONTROL_PLANE_LABEL not in objects.labels(m)]
    if deployments or workers:
        targets = [(kinds.MACHINE_DEPLOYMENT, md) for md in deployments]
        if not deployments:
            targets = [(kinds.MACHINE, m) for m in workers]
        return [actions.delete(kind, obj) for kind, obj in targets
                if not objects.deleting(obj)]
    if kcp is not None or machines:
        if kcp is not None and not objects.deleting(kcp):
            return [actions.delete(kinds.CONTROL_PLANE, kcp)]
        return []
    if osc is not None:
        if not objects.deleting(osc):
            return [actions.delete(kinds.OPENSTACK_CLUSTER, osc)]
        return []
    if env.faults.deletion_hung(*objects.key(cluster)):
        return []
    return [actions.release_finalizer(cluster, kinds.CLUSTER,
                                      kinds.CLUSTER_FINALIZER)]
