"""What KubeadmControlPlane and MachineDeployment share: machine identity,
readiness, rollout budgets and which machine goes first."""

import hashlib
import json
import math

from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def template_hash(*parts):
    """A stable hash of what makes a machine up to date.

    A change of any part (version, template references, kubeadm config)
    makes existing machines outdated and starts a rollout.
    """
    text = json.dumps(parts, sort_keys=True)
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16))


def up_to_date(machine, current_hash):
    return objects.labels(machine).get(kinds.TEMPLATE_HASH_LABEL) == \
        current_hash


def ready(machine):
    return (objects.status(machine).get('phase') == 'Running'
            and not objects.deleting(machine))


def live(machines):
    return [m for m in machines if not objects.deleting(m)]


def rollout_budget(strategy, desired):
    """maxSurge and maxUnavailable of a rollingUpdate strategy.

    Integers or percentages of the desired replicas (surge rounds up,
    unavailable down), defaulting to CAPI's 1 and 0; never both zero.
    """
    rolling = (strategy or {}).get('rollingUpdate') or {}

    def resolve(value, default, round_up):
        if value is None:
            return default
        if isinstance(value, str) and value.endswith('%'):
            exact = desired * int(value[:-1]) / 100.0
            return int(math.ceil(exact) if round_up else math.floor(exact))
        return int(value)

    surge = resolve(rolling.get('maxSurge'), 1, True)
    unavailable = resolve(rolling.get('maxUnavailable'), 0, False)
    if surge == 0 and unavailable == 0:
        surge = 1
    return surge, unavailable


def deletion_order(machines, current_hash, oldest_first):
    """Machines in the order they should go when scaling down.

    Machines annotated for deletion first, then outdated ones, then those
    not ready, then by age (oldest or newest first).
    """
    def age_key(machine):
        return (objects.meta(machine).get('creationTimestamp') or '',
                objects.name(machine))

    by_age = sorted(machines, key=age_key, reverse=not oldest_first)
    return sorted(by_age, key=lambda m: (
        kinds.DELETE_MACHINE_ANNOTATION not in objects.annotations(m),
        up_to_date(m, current_hash),
        ready(m)))


def lowest_version(machines, default):
    """The oldest Kubernetes version among machines, as KCP reports it."""
    def parse(version):
        digits = (version or '').lstrip('v').split('.')
        return tuple(int(d) if d.isdigit() else 0 for d in digits)

    versions = [objects.spec(m).get('version') for m in machines
                if objects.spec(m).get('version')]
    return min(versions, key=parse) if versions else default


def new_machine(name, owner, owner_kind, cluster_name, machine_labels,
                version, failure_domain=None):
    """A Machine as KCP or a MachineSet creates it.

    Its bootstrap config and infrastructure machine carry its name; the
    simulator does not create them.
    """
    spec = {
        'clusterName': cluster_name,
        'version': version,
        'bootstrap': {'configRef': {
            'apiVersion': 'bootstrap.cluster.x-k8s.io/v1beta1',
            'kind': 'KubeadmConfig', 'name': name}},
        'infrastructureRef': {
            'apiVersion': 'infrastructure.cluster.x-k8s.io/v1beta1',
            'kind': 'OpenStackMachine', 'name': name},
    }
    if failure_domain:
        spec['failureDomain'] = failure_domain
    return {
        'apiVersion': kinds.MACHINE.api_version,
        'kind': kinds.MACHINE.kind,
        'metadata': {
            'name': name,
            'namespace': objects.namespace(owner),
            'labels': dict(machine_labels),
            'ownerReferences': [objects.owner_ref(owner, owner_kind)],
            'finalizers': [kinds.MACHINE_FINALIZER],
        },
        'spec': spec,
    }
