"""MachineDeployments: replicas defaulting, scaling, rolling updates.

The real CAPI puts a MachineSet per template revision between the
MachineDeployment and its Machines; the simulator owns Machines directly
from the MachineDeployment and tells revisions apart by the
machine-template-hash label.
"""

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import conditions as cond
from tests.kubeapi.capi import context
from tests.kubeapi.capi import fleet
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def defaulted_replicas(md):
    """spec.replicas as CAPI's admission webhook defaults it, or None when
    set: the autoscaler's minimum size, else the current count, else 1.

    The real default is applied at admission; the simulator patches the
    spec on its first sight of the object instead.
    """
    if objects.spec(md).get('replicas') is not None:
        return None
    minimum = objects.annotations(md).get(kinds.AUTOSCALER_MIN)
    if minimum is not None:
        try:
            return int(minimum)
        except ValueError:
            pass
    current = objects.status(md).get('replicas')
    return int(current) if current is not None else 1


def current_hash(md):
    template = objects.spec(md).get('template') or {}
    spec = template.get('spec') or {}
    return fleet.template_hash(
        spec.get('version'),
        (spec.get('infrastructureRef') or {}).get('name'),
        ((spec.get('bootstrap') or {}).get('configRef') or {}).get('name'),
        spec.get('failureDomain'))


def machine_labels(md, cluster_name, template_hash):
    template = objects.spec(md).get('template') or {}
    labels = dict((template.get('metadata') or {}).get('labels') or {})
    labels.update({kinds.CLUSTER_NAME_LABEL: cluster_name,
                   kinds.DEPLOYMENT_NAME_LABEL: objects.name(md),
                   kinds.TEMPLATE_HASH_LABEL: template_hash})
    return labels


def plan_machines(md, machines):
    """(number of machines to create, machines to delete), as a MachineSet
    scale plus a RollingUpdate MachineDeployment would do.

    Without outdated machines, missing ones are all created at once and
    extra ones deleted by preference. During a rollout at most maxSurge
    extra machines exist, and outdated machines go only while at least
    replicas - maxUnavailable machines stay ready.
    """
    desired = int(objects.spec(md).get('replicas') or 0)
    hash_ = current_hash(md)
    live = fleet.live(machines)
    new = [m for m in live if fleet.up_to_date(m, hash_)]
    old = [m for m in live if not fleet.up_to_date(m, hash_)]
    if not old:
        if len(live) < desired:
            return desired - len(live), []
        order = fleet.deletion_order(live, hash_, oldest_first=False)
        return 0, order[:len(live) - desired]
    surge, unavailable = fleet.rollout_budget(
        objects.spec(md).get('strategy'), desired)
    create = max(0, min(desired + surge - len(live), desired - len(new)))
    min_available = desired - unavailable
    new_unavailable = len([m for m in new if not fleet.ready(m)])
    budget = len(live) - min_available - new_unavailable
    ready_left = len([m for m in live if fleet.ready(m)])
    doomed = []
    for machine in fleet.deletion_order(old, hash_, oldest_first=True):
        if budget <= 0:
            break
        if fleet.ready(machine):
            if ready_left - 1 < min_available:
                continue
            ready_left -= 1
        doomed.append(machine)
        budget -= 1
    return create, doomed


def phase(desired, replicas, machines):
    if any(objects.status(m).get('failureReason') for m in machines):
        return 'Failed'
    if replicas < desired:
        return 'ScalingUp'
    if replicas > desired:
        return 'ScalingDown'
    return 'Running'


def desired_status(md, machines):
    spec = objects.spec(md)
    desired = int(spec.get('replicas') or 0)
    hash_ = current_hash(md)
    live = fleet.live(machines)
    ready = [m for m in live if fleet.ready(m)]
    updated = [m for m in live if fleet.up_to_date(m, hash_)]
    _, unavailable = fleet.rollout_budget(spec.get('strategy'), desired)
    is_available = len(ready) >= desired - unavailable
    available = cond.v1beta1(
        'Available', is_available, 'WaitingForAvailableMachines',
        'Minimum availability requires %d replicas, current %d available'
        % (desired - unavailable, len(ready)), cond.WARNING)
    rolling = len(updated) < len(live)
    return {
        'phase': phase(desired, len(machines), machines),
        'replicas': len(machines),
        'updatedReplicas': len(updated),
        'readyReplicas': len(ready),
        'availableReplicas': len(ready),
        'unavailableReplicas': max(0, desired - len(ready)),
        'observedGeneration': objects.generation(md),
        'selector': objects.selector_string(
            (spec.get('selector') or {}).get('matchLabels') or {}),
        'conditions': [cond.summary('Ready', [available]), available],
        'v1beta2': {
            'readyReplicas': len(ready),
            'availableReplicas': len(ready),
            'upToDateReplicas': len(updated),
            'conditions': [
                cond.v1beta2('Available', is_available,
                             'Available' if is_available
                             else 'NotAvailable'),
                cond.v1beta2('MachinesUpToDate', not rolling,
                             'NotUpToDate' if rolling else 'UpToDate'),
                cond.v1beta2('RollingOut', rolling,
                             'RollingOut' if rolling else 'NotRollingOut'),
            ] + cond.scaling(len(live), desired, objects.deleting(md))},
    }


def reconcile(md, cluster, world, env):
    """Writes for one MachineDeployment; ``cluster`` may be None."""
    machines = world.machines_owned_by(md)
    if objects.deleting(md):
        writes = [actions.delete(kinds.MACHINE, m) for m in machines
                  if not objects.deleting(m)]
        if not machines and not env.faults.deletion_hung(
                objects.namespace(md), objects.cluster_name(md)):
            writes.append(actions.release_finalizer(
                md, kinds.MACHINE_DEPLOYMENT, kinds.DEPLOYMENT_FINALIZER))
        return writes
    if cluster is None:
        return []
    writes = _adopt(md, cluster, world)
    replicas = defaulted_replicas(md)
    if replicas is not None:
        writes.append(actions.patch(kinds.MACHINE_DEPLOYMENT, md,
                                    {'spec': {'replicas': replicas}}))
        return writes
    create, doomed = plan_machines(md, machines)
    hash_ = current_hash(md)
    template = (objects.spec(md).get('template') or {}).get('spec') or {}
    labels = machine_labels(md, objects.name(cluster), hash_)
    for _ in range(create):
        writes.append(actions.Create(
            kinds.MACHINE, objects.namespace(md), fleet.new_machine(
                env.new_name('%s-%s' % (objects.name(md), hash_[:5])), md,
                kinds.MACHINE_DEPLOYMENT, objects.name(cluster), labels,
                template.get('version'), template.get('failureDomain'))))
    writes.extend(actions.delete(kinds.MACHINE, m) for m in doomed)
    writes.append(actions.status_write(kinds.MACHINE_DEPLOYMENT, md,
                                       desired_status(md, machines),
                                       env.stamp))
    return writes


def _adopt(md, cluster, world):
    """Finalizer, cluster label and owner references, as CAPI sets them on
    the MachineDeployment and on the templates it uses."""
    ns = objects.namespace(md)
    writes = [
        actions.ensure_finalizer(md, kinds.MACHINE_DEPLOYMENT,
                                 kinds.DEPLOYMENT_FINALIZER),
        actions.ensure_owner(md, kinds.MACHINE_DEPLOYMENT, cluster,
                             kinds.CLUSTER),
    ]
    if kinds.CLUSTER_NAME_LABEL not in objects.labels(md):
        writes.append(actions.patch(kinds.MACHINE_DEPLOYMENT, md, {
            'metadata': {'labels': {
                kinds.CLUSTER_NAME_LABEL: objects.name(cluster)}}}))
    template = (objects.spec(md).get('template') or {}).get('spec') or {}
    infra_ref = template.get('infrastructureRef') or {}
    config_ref = (template.get('bootstrap') or {}).get('configRef') or {}
    writes.append(actions.ensure_owner(
        context.find(world.machine_templates, ns, infra_ref.get('name')),
        kinds.MACHINE_TEMPLATE, cluster, kinds.CLUSTER))
    writes.append(actions.ensure_owner(
        context.find(world.config_templates, ns, config_ref.get('name')),
        kinds.CONFIG_TEMPLATE, cluster, kinds.CLUSTER))
    return writes
