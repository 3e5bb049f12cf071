"""The Lease's pure rules: claiming, releasing, expiry, tickets, refusals."""

import pytest

from magnum.objects import fields

from magnum_capi_driver import locks
from magnum_capi_driver import refusals

CS = fields.ClusterStatus
UUID = '0b2cc20c-bde9-4dc7-9711-c9bc31ae77c6'


def _lease(**spec):
    lease = locks.new_lease('magnum-p', UUID)
    lease['metadata']['resourceVersion'] = '7'
    lease['spec'].update(spec)
    return lease


def test_new_lease_is_free_labelled_and_counts_from_zero():
    lease = locks.new_lease('magnum-p', UUID)
    assert lease['metadata']['name'] == 'magnum-capi-' + UUID
    assert lease['metadata']['labels'] == {locks.CLUSTER_UUID_LABEL: UUID}
    assert locks.holder_of(lease) is None
    assert locks.Ticket(1).served_by(lease) is False
    assert locks.Ticket(0).served_by(lease) is True


def test_claim_names_host_and_pid_and_counts_transitions():
    first = locks.claimed(_lease(), 'conductor-1/4242/abc', 15)
    assert first['spec']['holderIdentity'] == 'conductor-1/4242/abc'
    assert first['spec']['leaseDurationSeconds'] == 15
    assert first['spec']['leaseTransitions'] == 1
    annotations = first['metadata']['annotations']
    assert annotations[locks.HOLDER_HOST] == 'conductor-1'
    assert annotations[locks.HOLDER_PID] == '4242'
    renewed = locks.claimed(first, 'conductor-1/4242/abc', 15)
    assert renewed['spec']['leaseTransitions'] == 1
    assert renewed['spec']['acquireTime'] == first['spec']['acquireTime']
    taken = locks.claimed(renewed, 'conductor-2/7/def', 15)
    assert taken['spec']['leaseTransitions'] == 2


def test_release_frees_the_lease_but_keeps_the_counters():
    held = locks.with_counter(locks.claimed(_lease(), 'h/1/x', 15),
                              locks.APPLIED, 5)
    free = locks.released(held)
    assert locks.holder_of(free) is None
    assert locks.HOLDER_PID not in free['metadata']['annotations']
    assert locks.Ticket(5).served_by(free)
    assert not locks.Ticket(6).served_by(free)
    assert locks.holder_of(held) == 'h/1/x', 'the input is not changed'


class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize('waited, renewed, expired', [
    (14.9, False, False),
    (15.1, False, True),
    (15.1, True, False),
])
def test_expiry_is_judged_on_the_waiters_clock(waited, renewed, expired):
    clock = Clock()
    expiry = locks.Expiry(clock)
    lease = _lease(holderIdentity='h/1/x', leaseDurationSeconds=15,
                   renewTime='2000-01-01T00:00:00.000000Z')
    assert expiry.expired(lease) is False
    clock.now += waited
    if renewed:
        lease['metadata']['resourceVersion'] = '8'
    assert expiry.expired(lease) is expired


@pytest.mark.parametrize('cluster_status, groups, refused, restorable', [
    (CS.UPDATE_FAILED, [('a', CS.CREATE_FAILED)], {'a'}, True),
    (CS.UPDATE_FAILED, [('a', CS.CREATE_FAILED),
                        ('b', CS.CREATE_COMPLETE)], {'a'}, True),
    (CS.UPDATE_FAILED, [('a', CS.CREATE_FAILED),
                        ('b', CS.UPDATE_FAILED)], {'a'}, False),
    (CS.UPDATE_FAILED, [('b', CS.UPDATE_COMPLETE)], set(), False),
    (CS.CREATE_COMPLETE, [('a', CS.CREATE_FAILED)], {'a'}, False),
])
def test_refusals_alone_give_the_cluster_back(cluster_status, groups,
                                              refused, restorable):
    assert refusals.restorable(cluster_status, groups,
                               frozenset(refused)) is restorable


def test_refusals_are_noted_as_a_sorted_list():
    lease = refusals._with(_lease(), {'b', 'a'})
    assert lease['metadata']['annotations'][refusals.REFUSED] == 'a,b'
    assert refusals.noted(lease) == {'a', 'b'}
    assert refusals.REFUSED not in refusals._with(
        lease, set())['metadata']['annotations']
