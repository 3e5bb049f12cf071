"""Refused nodegroup changes, and giving their cluster back.

Magnum's nodegroup conductor stores the cluster UPDATE_FAILED whenever the
driver raises, even for a change refused before anything was touched, and
an UPDATE_FAILED cluster cannot be upgraded. The driver notes each refused
nodegroup on the cluster's Lease (shared by every conductor); the health
poll, which Magnum runs for UPDATE_FAILED clusters too, gives the cluster
back when refusals are all that failed. The refused nodegroup keeps its
FAILED status and reason.
"""

from magnum.objects import fields

REFUSED = 'magnum.openstack.org/refused-nodegroups'

_FAILED = frozenset(fields.ClusterStatus.STATUS_FAILED)


def noted(lease):
    """The uuids of refused nodegroups noted on a Lease (or None)."""
    value = (((lease or {}).get('metadata') or {}).get('annotations')
             or {}).get(REFUSED) or ''
    return frozenset(uuid for uuid in value.split(',') if uuid)


def _with(lease, uuids):
    annotations = lease['metadata'].setdefault('annotations', {})
    if uuids:
        annotations[REFUSED] = ','.join(sorted(uuids))
    else:
        annotations.pop(REFUSED, None)
    return lease


def note(lease, nodegroup_uuid):
    lease.update(lambda current: _with(current,
                                       noted(current) | {nodegroup_uuid}))


def clear(lease, uuids):
    lease.update(lambda current: _with(current, noted(current) - uuids)
                 if noted(current) & uuids else None)


def restorable(cluster_status, nodegroups, refused):
    """Whether refusals are all that made the cluster UPDATE_FAILED.

    nodegroups are (uuid, status) pairs.
    """
    if cluster_status != fields.ClusterStatus.UPDATE_FAILED or not refused:
        return False
    return all(uuid in refused for uuid, status in nodegroups
               if status in _FAILED)
