"""Table test of the replica rules that status and health share."""

import pytest

from magnum_capi_driver import replicas

AUTOSCALED = {replicas.AUTOSCALER_MIN: '1', replicas.AUTOSCALER_MAX: '5'}


def obj(wanted=3, annotations=None, **counts):
    """A KubeadmControlPlane or MachineDeployment; zero counts omitted."""
    spec = {} if wanted is None else {'replicas': wanted}
    status = {key: value for key, value in counts.items() if value}
    return {'metadata': {'name': 'x', 'annotations': dict(annotations or {})},
            'spec': spec, 'status': status}


def settled(wanted=3, **counts):
    found = dict(replicas=wanted, readyReplicas=wanted,
                 updatedReplicas=wanted)
    found.update(counts)
    return obj(wanted, **found)


# case, object, default, short (health), unsettled (status)
RULES = [
    ('all there', settled(), None, None, None),
    ('none wanted, none there', obj(0), None, None, None),
    ('fewer ready', settled(readyReplicas=2), None,
     '2 of 3 replicas ready', '2 of 3 replicas ready'),
    ('ready but unavailable', settled(unavailableReplicas=1), None,
     '1 of 3 replicas unavailable', '1 of 3 replicas unavailable'),
    ('availableReplicas below wanted', settled(availableReplicas=2), None,
     '1 of 3 replicas unavailable', '1 of 3 replicas unavailable'),
    ('availableReplicas not reported is not counted', settled(), None,
     None, None),
    ('rolling: serving, not up to date', settled(updatedReplicas=1), None,
     None, '1 of 3 replicas up to date'),
    ('surge machine during a rollout', settled(replicas=4, readyReplicas=4),
     None, None, '4 replicas for 3 wanted, 4 ready'),
    ('scaling down', settled(replicas=5, readyReplicas=3), None,
     None, '5 replicas for 3 wanted, 3 ready'),
    ('no replica count', obj(None, replicas=2, readyReplicas=2), None,
     'no replica count', 'no replica count'),
    ('default count (control plane)', obj(None, replicas=1,
                                          readyReplicas=1,
                                          updatedReplicas=1), 1, None, None),
    ('autoscaled: count from status',
     obj(None, AUTOSCALED, replicas=4, readyReplicas=4, updatedReplicas=4),
     None, None, None),
    ('autoscaled: spec count set by the autoscaler',
     settled(annotations=AUTOSCALED), None, None, None),
    ('autoscaled: scaling up',
     obj(None, AUTOSCALED, replicas=4, readyReplicas=3, updatedReplicas=4),
     None, '3 of 4 replicas ready', '3 of 4 replicas ready'),
    ('autoscaled: above the range',
     obj(None, AUTOSCALED, replicas=6, readyReplicas=6, updatedReplicas=6),
     None, None, '6 replicas outside autoscaling range 1-5'),
    ('autoscaled: at zero', obj(None, {replicas.AUTOSCALER_MIN: '0',
                                       replicas.AUTOSCALER_MAX: '5'}),
     None, None, None),
    ('only one bound: not autoscaled',
     obj(None, {replicas.AUTOSCALER_MIN: '1'}, replicas=2), None,
     'no replica count', 'no replica count'),
    ('unreadable bounds: no upper bound',
     obj(None, {replicas.AUTOSCALER_MIN: 'one',
                replicas.AUTOSCALER_MAX: '5'},
         replicas=9, readyReplicas=9, updatedReplicas=9), None, None, None),
]


@pytest.mark.parametrize('case,found,default,short,unsettled', RULES,
                         ids=[r[0] for r in RULES])
def test_replica_rules(case, found, default, short, unsettled):
    counts = replicas.counts(found, default)
    assert replicas.short(counts, 'replicas') == short
    assert replicas.unsettled(counts, 'replicas') == unsettled
