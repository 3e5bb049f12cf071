"""When the machines of a control plane or a MachineDeployment match it.

Pure, and the one reading of replica counts that both decisions use: the
status decision asks whether an operation is done (``unsettled``: every
machine ready, available and up to date, no more and no fewer than wanted,
an autoscaled count within its range), the health decision whether enough
machines serve (``short``: as many ready and available as wanted; a rollout
or a scale under way is healthy). Kubernetes omits zero counts.
"""

import dataclasses

AUTOSCALER_MIN = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size'
AUTOSCALER_MAX = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'


@dataclasses.dataclass(frozen=True)
class Counts:
    """An object's replica counts; ``wanted`` is None when it has none.

    ``low`` and ``high`` bound an autoscaled count (``high`` None: no
    bound); both are None when the object is not autoscaled.
    """
    wanted: int
    current: int = 0
    ready: int = 0
    updated: int = 0
    unavailable: int = 0
    autoscaled: bool = False
    low: int = None
    high: int = None


def _count(status, key):
    value = status.get(key)
    return int(value) if value is not None else 0


def _annotations(obj):
    return ((obj or {}).get('metadata') or {}).get('annotations') or {}


def is_autoscaled(md):
    """The chart marks an autoscaled group with both autoscaler bounds."""
    notes = _annotations(md)
    return AUTOSCALER_MIN in notes and AUTOSCALER_MAX in notes


def autoscale_range(md):
    """(min, max) from the autoscaler's annotations; (0, None) if unread."""
    notes = _annotations(md)
    try:
        return int(notes[AUTOSCALER_MIN]), int(notes[AUTOSCALER_MAX])
    except (KeyError, TypeError, ValueError):
        return 0, None


def counts(obj, default=None):
    """The Counts of a KubeadmControlPlane or MachineDeployment.

    ``wanted`` is ``spec.replicas``, else ``default``. An autoscaled
    MachineDeployment may leave ``spec.replicas`` to the autoscaler: its
    count is then the one its status reports. A reported
    ``availableReplicas`` below ``wanted`` counts as unavailable too.
    """
    spec = obj.get('spec') or {}
    status = obj.get('status') or {}
    autoscaled = is_autoscaled(obj)
    wanted = spec.get('replicas')
    if wanted is not None:
        wanted = int(wanted)
    elif autoscaled:
        wanted = _count(status, 'replicas')
    else:
        wanted = default
    unavailable = _count(status, 'unavailableReplicas')
    if wanted is not None and 'availableReplicas' in status:
        unavailable = max(unavailable,
                          wanted - _count(status, 'availableReplicas'))
    low, high = autoscale_range(obj) if autoscaled else (None, None)
    return Counts(wanted=wanted, current=_count(status, 'replicas'),
                  ready=_count(status, 'readyReplicas'),
                  updated=_count(status, 'updatedReplicas'),
                  unavailable=unavailable, autoscaled=autoscaled,
                  low=low, high=high)


def short(found, noun):
    """Why fewer machines serve than wanted, or None (health)."""
    if found.wanted is None:
        return 'no replica count'
    if found.ready < found.wanted:
        return '%d of %d %s ready' % (found.ready, found.wanted, noun)
    if found.unavailable:
        return '%d of %d %s unavailable' % (found.unavailable, found.wanted,
                                            noun)
    return None


def unsettled(found, noun):
    """Why the machines do not match the object yet, or None (status)."""
    problem = short(found, noun)
    if problem:
        return problem
    if found.updated < found.wanted:
        return '%d of %d %s up to date' % (found.updated, found.wanted, noun)
    if found.current != found.wanted or found.ready != found.wanted:
        return '%d %s for %d wanted, %d ready' % (
            found.current, noun, found.wanted, found.ready)
    if found.autoscaled and (found.wanted < found.low or (
            found.high is not None and found.wanted > found.high)):
        return '%d %s outside autoscaling range %d-%s' % (
            found.wanted, noun, found.low,
            '' if found.high is None else found.high)
    return None
