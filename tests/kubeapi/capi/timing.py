"""Simulated time: how long things take, and how long each object has been
in its current stage.

Durations are realistic seconds of simulated time; the simulator runs
simulated time ``speed`` times faster than the wall clock.
"""

import dataclasses

from tests.kubeapi.capi import objects


@dataclasses.dataclass(frozen=True)
class Timings:
    """Realistic durations (simulated seconds) of each provider step."""

    # Network, router, security groups and the API load balancer.
    infrastructure: float = 120.0
    # The network and load balancer teardown.
    infrastructure_deletion: float = 40.0
    # kubeadm config rendered into bootstrap data.
    bootstrap: float = 5.0
    # Nova server created, booted, with a port and an address.
    server: float = 60.0
    # kubeadm init/join done, kubelet registered the Node.
    node: float = 45.0
    # Node drained and the server deleted.
    machine_deletion: float = 20.0


def stage(obj):
    """What an object is doing now; time is counted from entering it."""
    status = objects.status(obj)
    return (objects.deleting(obj), status.get('phase'),
            bool(status.get('ready')))


class Clock:
    """Remembers when each object entered its current stage.

    Plain bookkeeping fed with the objects of each tick; it forgets the
    objects that are gone.
    """

    def __init__(self):
        self._entered = {}

    def ages(self, items, now):
        """Simulated seconds each object (by uid) has been in its stage."""
        entered = {}
        ages = {}
        for obj in items:
            uid = objects.uid(obj)
            current = stage(obj)
            since = self._entered.get(uid)
            if since is None or since[0] != current:
                since = (current, now)
            entered[uid] = since
            ages[uid] = now - since[1]
        self._entered = entered
        return ages
