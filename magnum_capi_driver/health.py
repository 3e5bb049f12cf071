"""Cluster health from a snapshot of CAPI objects, as Magnum stores it.

Pure: ``get_monitor``'s adapter reads the snapshot (or fails to) and
passes it here. Magnum keeps ``health_status_reason`` as a dict of strings
(its own monitor writes ``{'api': 'ok', '<node>.Ready': True}``, stored as
``'True'``); this module returns the same shape::

    decide_health(snapshot_or_error) -> (health_status, reason)

``health_status`` is a ``ClusterHealthStatus`` value. ``reason`` has the
keys ``api``, ``cluster``, ``control_plane``, ``workers`` (``'ok'`` or why
not) and ``<node>.Ready`` (``'True'``, ``'False'`` or ``'Unknown'``) for
every Machine that has a Node. Anything not ok makes the cluster
UNHEALTHY; only missing information (the management cluster could not be
read, the Cluster is absent or being deleted, conditions not reported yet)
makes it UNKNOWN, so an outage of the management cluster never looks like
a broken workload cluster. A terminal failure (``status.failure_fields``:
nothing will retry it) of the OpenStackCluster or of a live Machine makes
its part UNHEALTHY even when the conditions have not caught up yet.
Replica counts are read by the rules the status decision uses
(``replicas.short``): a rollout or a scale under way is healthy while as
many machines as wanted are ready and available.
"""

from magnum.objects import fields

from magnum_capi_driver import replicas
from magnum_capi_driver import status

HS = fields.ClusterHealthStatus

OK, BAD, UNKNOWN = 'ok', 'bad', 'unknown'

# What a tenant reads while the management cluster cannot be read; the
# error itself (addresses, namespaces) is in the conductor log.
UNREADABLE = ('The state of the cluster could not be read from the cluster '
              'management service; it is checked again at the next poll.')


def decide_health(snapshot):
    """(health_status, reason dict) for a Snapshot or a read error.

    Health depends only on what the objects say, never on the time.
    """
    if not isinstance(snapshot, status.Snapshot):
        return HS.UNKNOWN, {'api': UNREADABLE}
    cluster = snapshot.cluster
    if cluster is None:
        return HS.UNKNOWN, {
            'api': 'Cluster object not found on the management cluster'}
    if status.is_deleting(cluster):
        return HS.UNKNOWN, {'api': 'Cluster is being deleted'}
    checks = {
        'api': _api(snapshot),
        'cluster': _cluster(snapshot),
        'control_plane': _control_plane(snapshot),
        'workers': _workers(snapshot),
    }
    checks.update(_nodes(snapshot))
    states = {state for state, _ in checks.values()}
    if BAD in states:
        health = HS.UNHEALTHY
    elif UNKNOWN in states:
        health = HS.UNKNOWN
    else:
        health = HS.HEALTHY
    return health, {key: text for key, (_, text) in sorted(checks.items())}


def _describe(cond, name):
    parts = [p for p in (cond.get('reason'), cond.get('message')) if p]
    text = '%s %s' % (name, cond.get('status') or 'Unknown')
    if parts:
        text += ': ' + ': '.join(parts)
    return status.join_reasons([text])


def _from_condition(cond, name):
    """(state, text) from one condition; None when it is absent."""
    if not cond:
        return None
    if cond.get('status') == 'True':
        return OK, OK
    if cond.get('status') == 'False':
        return BAD, _describe(cond, name)
    return UNKNOWN, _describe(cond, name)


def _first(obj, choices):
    """The first condition present among (type, v1beta2) choices."""
    for kind, v1beta2 in choices:
        found = _from_condition(
            status.conditions(obj, v1beta2).get(kind), kind)
        if found:
            return found
    return None


def _api(snapshot):
    if not status.api_address(snapshot):
        return BAD, 'no API endpoint'
    found = _first(snapshot.cluster, [('RemoteConnectionProbe', True),
                                      ('ControlPlaneReady', False),
                                      ('ControlPlaneAvailable', True)])
    return found or (UNKNOWN, 'ControlPlaneReady not reported')


def _cluster(snapshot):
    failure = status.infrastructure_failure(snapshot)
    if failure:
        return BAD, status.join_reasons([failure])
    found = _first(snapshot.cluster, [('Available', True), ('Ready', False)])
    return found or (UNKNOWN, 'Ready not reported')


def _failed(machines):
    failures = status.machine_failures(machines)
    return (BAD, status.join_reasons(failures)) if failures else None


def _control_plane(snapshot):
    kcp = snapshot.control_plane
    if kcp is None:
        return BAD, 'KubeadmControlPlane not found'
    failed = _failed(status.control_plane_machines(snapshot))
    if failed:
        return failed
    short = replicas.short(replicas.counts(kcp, default=1), 'machines')
    if short:
        return BAD, short
    for kind in ('EtcdClusterHealthy', 'ControlPlaneComponentsHealthy'):
        found = _from_condition(status.conditions(kcp).get(kind), kind)
        if found and found[0] == BAD:
            return found
    return OK, OK


def _workers(snapshot):
    failed = _failed(status.deployment_machines(snapshot))
    if failed:
        return failed
    found = _first(snapshot.cluster, [('WorkersAvailable', True)])
    if found:
        return found
    short = []
    for md in sorted(snapshot.machine_deployments, key=status.name_of):
        problem = replicas.short(replicas.counts(md), 'replicas')
        if problem:
            short.append('%s: %s' % (status.name_of(md), problem))
    if short:
        return BAD, status.join_reasons(short)
    return OK, OK


def _nodes(snapshot):
    """'<node>.Ready' for every Machine that has a Node."""
    result = {}
    for machine in snapshot.machines:
        node = ((machine.get('status') or {}).get('nodeRef') or {}).get(
            'name')
        if not node or status.is_deleting(machine):
            continue
        found = _first(machine, [('NodeHealthy', False),
                                 ('NodeReady', True),
                                 ('NodeHealthy', True)])
        if found is None:
            result[node + '.Ready'] = (UNKNOWN, 'Unknown')
        elif found[0] == OK:
            result[node + '.Ready'] = (OK, 'True')
        elif found[0] == BAD:
            result[node + '.Ready'] = (BAD, 'False')
        else:
            result[node + '.Ready'] = (UNKNOWN, 'Unknown')
    return result
