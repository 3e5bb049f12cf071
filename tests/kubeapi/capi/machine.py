"""The Machine lifecycle: kubeadm bootstrap, the CAPO server, the Node.

Pending (waiting for bootstrap data) -> Provisioning (server being
built) -> Provisioned (server up, addresses known) -> Running (Node
registered); Deleting until the server is gone.
"""

import uuid
import zlib

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import conditions as cond
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects

PHASES = ('Pending', 'Provisioning', 'Provisioned', 'Running')


def server_id(machine):
    return str(uuid.uuid5(uuid.NAMESPACE_URL,
                          'server/%s' % objects.uid(machine)))


def internal_ip(machine):
    """A stable 10.0.x.y address for the machine's port."""
    digest = zlib.crc32(objects.uid(machine).encode())
    return '10.0.%d.%d' % ((digest >> 8) % 256, digest % 253 + 2)


def deployment_name(machine):
    return objects.labels(machine).get(kinds.DEPLOYMENT_NAME_LABEL)


def is_control_plane(machine):
    return kinds.CONTROL_PLANE_LABEL in objects.labels(machine)


def next_phase(machine, cluster, env):
    """The phase the machine moves to now, or None to stay."""
    phase = objects.status(machine).get('phase')
    timings = env.timings
    if not phase:
        return 'Pending'
    if phase == 'Pending':
        cluster_status = objects.status(cluster) if cluster else {}
        initialized = objects.is_true(cluster, 'ControlPlaneInitialized') \
            if cluster else False
        may_bootstrap = cluster_status.get('infrastructureReady') and (
            initialized or is_control_plane(machine))
        if may_bootstrap and env.waited(machine, timings.bootstrap):
            return 'Provisioning'
    elif phase == 'Provisioning':
        stuck = env.faults.machine_stuck(
            objects.namespace(machine), objects.cluster_name(machine),
            deployment_name(machine)) or _error(machine, env)
        if not stuck and env.waited(machine, timings.server):
            return 'Provisioned'
    elif phase == 'Provisioned':
        if env.waited(machine, timings.node):
            return 'Running'
    return None


def _error(machine, env):
    return env.faults.machine_error(
        objects.namespace(machine), objects.cluster_name(machine),
        deployment_name(machine))


def failed_status(status, error):
    """A Provisioning machine's status once its server failed.

    As CAPI shows CAPO's errors: a terminal one in the failure fields it
    copies from the OpenStackMachine, one CAPO retries only in
    InfrastructureReady (mirrored from the OpenStackMachine's Ready).
    """
    message, terminal = error
    infra = cond.v1beta1(
        'InfrastructureReady', False,
        'InstanceStateError' if terminal else 'OpenStackError', message,
        cond.ERROR if terminal else cond.WARNING)
    parts = [c for c in status['conditions'] if c['type'] not in (
        'Ready', 'InfrastructureReady')] + [infra]
    status = dict(status, conditions=[cond.summary('Ready', parts)] + parts)
    status['failureReason'] = 'UpdateError' if terminal else None
    status['failureMessage'] = message if terminal else None
    return status


def desired_status(machine, phase):
    """The v1beta1 status of a machine in ``phase``."""
    step = PHASES.index(phase)
    bootstrapped = step >= 1
    provisioned = step >= 2
    running = step >= 3
    parts = [
        cond.v1beta1('BootstrapReady', bootstrapped,
                     'WaitingForDataSecretFallback',
                     'Waiting for the bootstrap data'),
        cond.v1beta1('InfrastructureReady', provisioned,
                     'InstanceNotReady' if bootstrapped
                     else 'WaitingForBootstrapData',
                     'Server is being created' if bootstrapped
                     else 'Waiting for the bootstrap data'),
        cond.v1beta1('NodeHealthy', running, 'WaitingForNodeRef'),
    ]
    status = {
        'phase': phase,
        'bootstrapReady': bootstrapped,
        'infrastructureReady': provisioned,
        'observedGeneration': objects.generation(machine),
        'conditions': [cond.summary('Ready', parts)] + parts,
        'v1beta2': {'conditions': [
            cond.v1beta2('Available', running,
                         'Available' if running else 'NotAvailable'),
            cond.v1beta2('Ready', running,
                         'Ready' if running else 'NotReady'),
            cond.v1beta2('BootstrapConfigReady', bootstrapped,
                         'Ready' if bootstrapped else 'NotReady'),
            cond.v1beta2('InfrastructureReady', provisioned,
                         'Ready' if provisioned else 'NotReady'),
            cond.v1beta2('NodeReady', running,
                         'NodeReady' if running else 'NodeDoesNotExist'),
            cond.v1beta2('Deleting', False, 'NotDeleting'),
        ]},
    }
    if provisioned:
        status['addresses'] = [
            {'type': 'InternalIP', 'address': internal_ip(machine)},
            {'type': 'Hostname', 'address': objects.name(machine)}]
    if running:
        status['nodeRef'] = {'apiVersion': 'v1', 'kind': 'Node',
                             'name': objects.name(machine)}
        status['nodeInfo'] = {
            'kubeletVersion': objects.spec(machine).get('version'),
            'systemUUID': server_id(machine)}
    return status


def reconcile(machine, cluster, env):
    """Writes for one Machine; ``cluster`` may be None (not listed)."""
    if objects.deleting(machine):
        return _reconcile_delete(machine, env)
    writes = [actions.ensure_finalizer(machine, kinds.MACHINE,
                                       kinds.MACHINE_FINALIZER)]
    if cluster is None and objects.status(machine).get('phase'):
        return writes
    phase = next_phase(machine, cluster, env)
    if phase is None:
        phase = objects.status(machine).get('phase')
    if phase in ('Provisioned', 'Running'):
        provider_id = 'openstack:///%s' % server_id(machine)
        if objects.spec(machine).get('providerID') != provider_id:
            writes.append(actions.patch(
                kinds.MACHINE, machine,
                {'spec': {'providerID': provider_id}}))
    desired = desired_status(machine, phase)
    error = _error(machine, env) if phase == 'Provisioning' else None
    if error:
        desired = failed_status(desired, error)
    elif objects.status(machine).get('failureReason'):
        desired.update(failureReason=None, failureMessage=None)
    writes.append(actions.status_write(
        kinds.MACHINE, machine, desired, env.stamp))
    return writes


def _reconcile_delete(machine, env):
    status = objects.status(machine)
    writes = []
    if status.get('phase') != 'Deleting':
        desired = {
            'phase': 'Deleting',
            'conditions': cond.replace(status.get('conditions'), [
                cond.v1beta1('Ready', False, 'Deleting',
                             'Draining the node', cond.INFO)]),
            'v1beta2': {'conditions': cond.replace(
                (status.get('v1beta2') or {}).get('conditions'), [
                    cond.v1beta2('Deleting', True, 'DrainingNode',
                                 'Drain not completed yet')])},
        }
        writes.append(actions.status_write(kinds.MACHINE, machine, desired,
                                           env.stamp))
        return writes
    hung = env.faults.deletion_hung(objects.namespace(machine),
                                    objects.cluster_name(machine))
    if not hung and env.waited(machine, env.timings.machine_deletion):
        writes.append(actions.release_finalizer(machine, kinds.MACHINE,
                                                kinds.MACHINE_FINALIZER))
    return writes
