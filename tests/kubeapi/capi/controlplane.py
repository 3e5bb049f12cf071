"""The kubeadm control plane provider: KubeadmControlPlane machines, one at
a time, and the cluster's kubeconfig Secret."""

import base64
import json

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import conditions as cond
from tests.kubeapi.capi import context
from tests.kubeapi.capi import fleet
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def desired_replicas(kcp):
    replicas = objects.spec(kcp).get('replicas')
    return 1 if replicas is None else int(replicas)


def current_hash(kcp):
    """Machines roll when the version, the machine template or the kubeadm
    configuration change."""
    spec = objects.spec(kcp)
    template = spec.get('machineTemplate') or {}
    return fleet.template_hash(
        spec.get('version'),
        (template.get('infrastructureRef') or {}).get('name'),
        json.dumps(spec.get('kubeadmConfigSpec') or {}, sort_keys=True))


def selector(cluster_name):
    return '%s=%s,%s' % (kinds.CLUSTER_NAME_LABEL, cluster_name,
                         kinds.CONTROL_PLANE_LABEL)


def machine_labels(kcp, cluster_name, template_hash):
    template = objects.spec(kcp).get('machineTemplate') or {}
    labels = dict((template.get('metadata') or {}).get('labels') or {})
    labels.update({kinds.CLUSTER_NAME_LABEL: cluster_name,
                   kinds.CONTROL_PLANE_LABEL: '',
                   kinds.TEMPLATE_HASH_LABEL: template_hash})
    return labels


def initialized(kcp, machines):
    return bool(objects.status(kcp).get('initialized')
                or any(fleet.ready(m) for m in machines))


def next_step(kcp, machines, infrastructure_ready):
    """('create', None), ('delete', machine) or None, KCP-style.

    The first machine runs kubeadm init; the others join one at a time,
    only while every other machine is healthy and none is being deleted.
    A rollout surges one up-to-date machine, then removes an outdated one.
    """
    if not infrastructure_ready:
        return None
    desired = desired_replicas(kcp)
    hash_ = current_hash(kcp)
    live = fleet.live(machines)
    if not live:
        return ('create', None) if desired > 0 else None
    if not initialized(kcp, machines) or len(live) < len(machines):
        return None
    outdated = [m for m in live if not fleet.up_to_date(m, hash_)]
    surge, _ = fleet.rollout_budget(
        objects.spec(kcp).get('rolloutStrategy'), desired)
    surge = min(surge, 1)
    if len(live) < desired or (outdated and len(live) < desired + surge):
        if all(fleet.ready(m) for m in live):
            return ('create', None)
        return None
    if len(live) > desired or outdated:
        victim = fleet.deletion_order(live, hash_, oldest_first=True)[0]
        others = [m for m in live if m is not victim]
        if all(fleet.ready(m) for m in others):
            return ('delete', victim)
    return None


def desired_status(kcp, machines, cluster_name, is_initialized):
    desired = desired_replicas(kcp)
    hash_ = current_hash(kcp)
    live = fleet.live(machines)
    ready = [m for m in live if fleet.ready(m)]
    updated = [m for m in live if fleet.up_to_date(m, hash_)]
    outdated = len(live) - len(updated)
    version = objects.spec(kcp).get('version')
    available = cond.v1beta1('Available', is_initialized,
                             'WaitingForKubeadmInit')
    machines_ready = cond.v1beta1(
        'MachinesReady', len(ready) == len(live) and bool(live),
        'MachinesNotReady',
        '%d of %d machines ready' % (len(ready), desired))
    up_to_date = cond.v1beta1(
        'MachinesSpecUpToDate', not outdated, 'RollingUpdateInProgress',
        'Rolling %d replicas with outdated spec (%d replicas up to date)'
        % (outdated, len(updated)), cond.WARNING)
    if len(live) < desired:
        resized = cond.v1beta1(
            'Resized', False, 'ScalingUp',
            'Scaling up control plane to %d replicas (actual %d)'
            % (desired, len(live)), cond.WARNING)
    elif len(live) > desired and not outdated:
        resized = cond.v1beta1(
            'Resized', False, 'ScalingDown',
            'Scaling down control plane to %d replicas (actual %d)'
            % (desired, len(live)), cond.WARNING)
    else:
        resized = cond.v1beta1('Resized', True)
    healthy = is_initialized and len(ready) == len(live)
    parts = [
        available,
        cond.v1beta1('CertificatesAvailable', True),
        cond.v1beta1('MachinesCreated', True),
        machines_ready, up_to_date, resized,
        cond.v1beta1('EtcdClusterHealthy', healthy, 'EtcdClusterUnhealthy',
                     'Waiting for etcd members'),
        cond.v1beta1('ControlPlaneComponentsHealthy', healthy,
                     'ControlPlaneComponentsUnhealthy',
                     'Waiting for control plane components'),
    ]
    return {
        'replicas': len(machines),
        'updatedReplicas': len(updated),
        'readyReplicas': len(ready),
        'unavailableReplicas': len(machines) - len(ready),
        'version': fleet.lowest_version(live, version),
        'initialized': is_initialized,
        'ready': is_initialized and bool(ready),
        'observedGeneration': objects.generation(kcp),
        'selector': selector(cluster_name),
        'conditions': [cond.summary('Ready', parts[:6])] + parts,
        'v1beta2': {
            'readyReplicas': len(ready),
            'availableReplicas': len(ready),
            'upToDateReplicas': len(updated),
            'conditions': [
                cond.v1beta2('Available', is_initialized,
                             'Available' if is_initialized
                             else 'NotAvailable'),
                cond.v1beta2('Initialized', is_initialized,
                             'Initialized' if is_initialized
                             else 'NotInitialized'),
                cond.v1beta2('MachinesUpToDate', not outdated,
                             'UpToDate' if not outdated else 'NotUpToDate'),
                cond.v1beta2('RollingOut', bool(outdated),
                             'RollingOut' if outdated else 'NotRollingOut'),
            ] + cond.scaling(len(live), desired, objects.deleting(kcp))},
    }


def kubeconfig_secret(kcp, cluster):
    """The admin kubeconfig Secret CAPI writes for the cluster."""
    name = objects.name(cluster)
    endpoint = objects.spec(cluster).get('controlPlaneEndpoint') or {}
    server = 'https://%s:%s' % (endpoint.get('host'), endpoint.get('port'))
    fake = base64.b64encode(b'simulated').decode()
    config = '\n'.join([
        'apiVersion: v1', 'kind: Config',
        'clusters:', '- name: %s' % name, '  cluster:',
        '    server: %s' % server,
        '    certificate-authority-data: %s' % fake,
        'contexts:', '- name: %s-admin@%s' % (name, name), '  context:',
        '    cluster: %s' % name, '    user: %s-admin' % name,
        'current-context: %s-admin@%s' % (name, name),
        'users:', '- name: %s-admin' % name, '  user:',
        '    client-certificate-data: %s' % fake,
        '    client-key-data: %s' % fake, ''])
    return {
        'apiVersion': 'v1', 'kind': 'Secret', 'type':
        kinds.KUBECONFIG_SECRET_TYPE,
        'metadata': {
            'name': '%s-kubeconfig' % name,
            'namespace': objects.namespace(cluster),
            'labels': {kinds.CLUSTER_NAME_LABEL: name},
            'ownerReferences': [objects.owner_ref(kcp, kinds.CONTROL_PLANE)],
        },
        'data': {'value': base64.b64encode(config.encode()).decode()},
    }


def reconcile(kcp, cluster, world, env):
    """Writes for one KubeadmControlPlane; ``cluster`` may be None."""
    machines = world.machines_owned_by(kcp)
    if objects.deleting(kcp):
        return _reconcile_delete(kcp, cluster, machines, env)
    if cluster is None:
        return []
    cluster_name = objects.name(cluster)
    writes = [actions.ensure_finalizer(kcp, kinds.CONTROL_PLANE,
                                       kinds.CONTROL_PLANE_FINALIZER)]
    template_ref = (objects.spec(kcp).get('machineTemplate') or {}).get(
        'infrastructureRef') or {}
    template = context.find(world.machine_templates,
                            objects.namespace(kcp), template_ref.get('name'))
    writes.append(actions.ensure_owner(template, kinds.MACHINE_TEMPLATE,
                                       cluster, kinds.CLUSTER))
    infra_ready = objects.status(cluster).get('infrastructureReady')
    step = next_step(kcp, machines, infra_ready)
    if step and step[0] == 'create':
        hash_ = current_hash(kcp)
        writes.append(actions.Create(
            kinds.MACHINE, objects.namespace(kcp), fleet.new_machine(
                env.new_name(objects.name(kcp)), kcp, kinds.CONTROL_PLANE,
                cluster_name, machine_labels(kcp, cluster_name, hash_),
                objects.spec(kcp).get('version'))))
    elif step:
        writes.append(actions.delete(kinds.MACHINE, step[1]))
    is_initialized = initialized(kcp, machines)
    writes.append(actions.status_write(
        kinds.CONTROL_PLANE, kcp,
        desired_status(kcp, machines, cluster_name, is_initialized),
        env.stamp))
    secret_name = '%s-kubeconfig' % cluster_name
    endpoint = objects.spec(cluster).get('controlPlaneEndpoint') or {}
    if (is_initialized and endpoint.get('host')
            and world.secret(objects.namespace(kcp), secret_name) is None):
        writes.append(actions.Create(kinds.SECRET, objects.namespace(kcp),
                                     kubeconfig_secret(kcp, cluster)))
    return writes


def _reconcile_delete(kcp, cluster, machines, env):
    writes = [actions.delete(kinds.MACHINE, m) for m in machines
              if not objects.deleting(m)]
    cluster_name = (objects.name(cluster) if cluster
                    else objects.cluster_name(kcp))
    if not machines and not env.faults.deletion_hung(
            objects.namespace(kcp), cluster_name):
        writes.append(actions.release_finalizer(
            kcp, kinds.CONTROL_PLANE, kinds.CONTROL_PLANE_FINALIZER))
    return writes
