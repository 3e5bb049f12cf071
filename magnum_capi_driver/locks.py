"""The per-cluster lock, held across conductor processes and hosts.

Rendering a cluster's release from the database and applying it must happen
as one step, or two operations can each render a stale view and the later
helm upgrade undoes the earlier one; and helm itself refuses a second
upgrade of a release while one runs. Magnum runs several conductor processes
(one per CPU by default, on several hosts), so the lock lives where every
conductor can see it: a ``coordination.k8s.io/v1`` Lease per cluster on the
management cluster, named ``magnum-capi-<cluster uuid>`` in the cluster's
namespace.

- The holder writes ``spec.holderIdentity`` (host/pid/random) and the
  annotations ``holder-host`` and ``holder-pid``, and renews ``renewTime``
  from a thread while it holds the lock.
- A waiter takes the lock once it is free, or once the holder has not
  renewed it for ``leaseDurationSeconds``. As in client-go's leader
  election, expiry is judged by how long the waiter has seen the record
  unchanged on its own monotonic clock, so clocks of different hosts need
  not agree.
- Every write is a PUT with the resourceVersion read, so two conductors can
  never both believe they hold it (a conflict means: read again).

The Lease also carries two counters that let waiting operations be served
by one helm upgrade (see ``Ticket``): ``requested`` counts operations whose
intent is stored in Magnum's database; ``applied`` is the highest of those
that a successful upgrade has rendered.

Why not a library: sherlock's Kubernetes lock (and tooz's driver built on
it) needs the official ``kubernetes`` client next to pykube-ng, compares the
expiry with the local wall clock, and has no place for the holder's host,
pid or the coalescing counters, which must change atomically with the lock.
"""

import contextlib
import copy
import datetime
import os
import random
import socket
import threading
import time
import uuid

from oslo_log import log as logging

from magnum_capi_driver import conf
from magnum_capi_driver import exceptions
from magnum_capi_driver import secrets

LOG = logging.getLogger(__name__)
CONF = conf.CONF

# Every object the driver writes for a cluster carries it (clean-up by label).
CLUSTER_UUID_LABEL = secrets.CLUSTER_UUID_LABEL
HOLDER_HOST = 'magnum.openstack.org/holder-host'
HOLDER_PID = 'magnum.openstack.org/holder-pid'
REQUESTED = 'magnum.openstack.org/requested'
APPLIED = 'magnum.openstack.org/applied'

# Bound on how often a waiter reads the Lease, and its jitter.
POLL_INTERVAL = 0.25


def lease_name(cluster_uuid):
    return 'magnum-capi-%s' % cluster_uuid


def _micro_time(moment=None):
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _annotation_int(lease, key):
    value = ((lease.get('metadata') or {}).get('annotations') or {}).get(key)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def holder_of(lease):
    return ((lease or {}).get('spec') or {}).get('holderIdentity') or None


def new_lease(namespace, cluster_uuid):
    """The manifest of a free Lease with both counters at zero."""
    return {
        'apiVersion': 'coordination.k8s.io/v1',
        'kind': 'Lease',
        'metadata': {
            'name': lease_name(cluster_uuid),
            'namespace': namespace,
            'labels': {CLUSTER_UUID_LABEL: cluster_uuid},
            'annotations': {REQUESTED: '0', APPLIED: '0'},
        },
        'spec': {},
    }


def claimed(lease, identity, duration, now=None):
    """The Lease as its new holder writes it (pure)."""
    lease = _copy(lease)
    spec = lease.setdefault('spec', {})
    stamp = _micro_time(now)
    if spec.get('holderIdentity') != identity:
        spec['leaseTransitions'] = int(spec.get('leaseTransitions') or 0) + 1
        spec['acquireTime'] = stamp
    spec.update(holderIdentity=identity, leaseDurationSeconds=int(duration),
                renewTime=stamp)
    host, pid, _ = identity.split('/', 2)
    lease['metadata'].setdefault('annotations', {}).update(
        {HOLDER_HOST: host, HOLDER_PID: pid})
    return lease


def released(lease):
    """The Lease with no holder (pure); the counters are kept."""
    lease = _copy(lease)
    for key in ('holderIdentity', 'renewTime', 'acquireTime'):
        lease.get('spec', {}).pop(key, None)
    annotations = lease['metadata'].get('annotations') or {}
    for key in (HOLDER_HOST, HOLDER_PID):
        annotations.pop(key, None)
    return lease


def with_counter(lease, key, value):
    lease = _copy(lease)
    lease['metadata'].setdefault('annotations', {})[key] = str(value)
    return lease


def _copy(lease):
    return copy.deepcopy(lease)


class Expiry(object):
    """Whether a holder stopped renewing, judged on our own clock.

    The record (holder, renewTime, resourceVersion) is remembered with the
    moment it was first seen; it has expired when it stayed the same for
    longer than its leaseDurationSeconds.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._record = None
        self._seen_at = None

    def expired(self, lease):
        spec = lease.get('spec') or {}
        record = (spec.get('holderIdentity'), spec.get('renewTime'),
                  lease['metadata'].get('resourceVersion'))
        now = self._clock()
        if record != self._record:
            self._record, self._seen_at = record, now
            return False
        return now - self._seen_at > float(
            spec.get('leaseDurationSeconds') or 0)


class Lease(object):
    """One cluster's Lease on the management cluster."""

    def __init__(self, kube, namespace, cluster_uuid):
        self.kube = kube
        self.namespace = namespace
        self.cluster_uuid = cluster_uuid
        self.name = lease_name(cluster_uuid)

    def read(self):
        """The Lease, created (free, counters at zero) if missing."""
        while True:
            lease = self.kube.get('Lease', self.namespace, self.name)
            if lease is not None:
                return lease
            self.kube.ensure_namespace(self.namespace)
            created = self.kube.create('Lease', self.namespace, new_lease(
                self.namespace, self.cluster_uuid))
            if created is not None:
                return created

    def update(self, change):
        """Apply change(lease) -> new lease or None, retrying on conflict.

        Returns the stored Lease, or None when change declined.
        """
        while True:
            lease = self.read()
            wanted = change(lease)
            if wanted is None:
                return None
            stored = self.kube.replace('Lease', self.namespace, self.name,
                                       wanted)
            if stored is not None:
                return stored


class Ticket(object):
    """An operation's place in the queue of one cluster's changes.

    Taken once the operation's intent is in Magnum's database: whoever next
    renders the release from the database includes it.
    """

    def __init__(self, number):
        self.number = number

    @classmethod
    def take(cls, lease):
        stored = lease.update(lambda current: with_counter(
            current, REQUESTED, _annotation_int(current, REQUESTED) + 1))
        return cls(_annotation_int(stored, REQUESTED))

    def served_by(self, lease_object):
        return _annotation_int(lease_object, APPLIED) >= self.number


class Held(object):
    """What the holder of the lock may do with it."""

    def __init__(self, lease, identity, requested):
        self._lease = lease
        self.identity = identity
        self.requested = requested
        self.served = False
        self.lost = threading.Event()

    def mark_applied(self, upto):
        """Record that a successful apply rendered every ticket <= upto."""
        def change(current):
            if holder_of(current) != self.identity:
                return None
            if _annotation_int(current, APPLIED) >= upto:
                return None
            return with_counter(current, APPLIED, upto)
        self._lease.update(change)


class _Served(object):
    served = True
    requested = None


def identity():
    return '%s/%d/%s' % (socket.gethostname(), os.getpid(),
                         uuid.uuid4().hex[:8])


# Threads of one process queue here first, so a process keeps one waiter
# per cluster polling the Lease.
_local = {}
_local_guard = threading.Lock()


def _local_lock(cluster_uuid):
    with _local_guard:
        return _local.setdefault(cluster_uuid, threading.Lock())


def _acquire(lease, me, ticket, deadline, duration):
    """Wait for the Lease; None when the ticket was served meanwhile."""
    expiry = Expiry()
    while True:
        current = lease.read()
        if ticket is not None and ticket.served_by(current):
            return None
        holder = holder_of(current)
        if holder is None or expiry.expired(current):
            if holder is not None:
                LOG.warning('Taking over the lock of cluster %s from %s, '
                            'which stopped renewing it.',
                            lease.cluster_uuid, holder)
            stored = lease.kube.replace('Lease', lease.namespace, lease.name,
                                        claimed(current, me, duration))
            if stored is not None:
                return stored
            continue
        if time.monotonic() > deadline:
            raise exceptions.ClusterBusy(cluster=lease.cluster_uuid)
        time.sleep(POLL_INTERVAL * (0.5 + random.random()))


def _renew(lease, held, interval, duration, stop):
    while not stop.wait(interval):
        def change(current):
            if holder_of(current) != held.identity:
                return None
            return claimed(current, held.identity, duration)
        try:
            if lease.update(change) is None:
                LOG.error('Lost the lock of cluster %s to %s.',
                          lease.cluster_uuid, holder_of(lease.read()))
                held.lost.set()
                return
        except exceptions.ManagementClusterError as exc:
            LOG.warning('Could not renew the lock of cluster %s: %s',
                        lease.cluster_uuid, exc)


@contextlib.contextmanager
def cluster_lock(kube, namespace, cluster_uuid, ticket=None):
    """Hold the cluster's Lease for the block; yields a Held.

    With a ticket, yields a Held with ``served`` set and without taking the
    lock once an apply by another holder has covered the ticket.
    """
    opts = CONF.capi_driver
    lease = Lease(kube, namespace, cluster_uuid)
    deadline = time.monotonic() + opts.lock_wait_timeout
    started = time.monotonic()
    with _local_lock(cluster_uuid):
        me = identity()
        stored = _acquire(lease, me, ticket, deadline,
                          opts.lock_lease_duration)
        if stored is None:
            yield _Served()
            return
        LOG.debug('Cluster %s locked by %s after %.2fs.', cluster_uuid, me,
                  time.monotonic() - started)
        held = Held(lease, me, _annotation_int(stored, REQUESTED))
        stop = threading.Event()
        renewer = threading.Thread(
            target=_renew, name='lease-%s' % cluster_uuid, daemon=True,
            args=(lease, held, opts.lock_renew_interval,
                  opts.lock_lease_duration, stop))
        renewer.start()
        try:
            yield held
        finally:
            stop.set()
            renewer.join()
            lease.update(lambda current: released(current)
                         if holder_of(current) == me else None)
