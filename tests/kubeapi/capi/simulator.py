"""The simulator: a polling controller loop around the pure reconcilers.

Each tick lists the watched kinds in all namespaces, plans the writes
(plan.plan) and sends them. Failed reads or writes are retried on the
next tick, as a controller's requeue would.
"""

import datetime
import http.client
import logging
import random
import threading
import time

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import client as client_mod
from tests.kubeapi.capi import context
from tests.kubeapi.capi import faults as faults_mod
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import plan as plan_mod
from tests.kubeapi.capi import timing

LOG = logging.getLogger(__name__)

# The alphabet Kubernetes uses for generated name suffixes.
SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
# Seconds between passes while no CAPI object exists.
IDLE_TICK = 0.1


def default_tick(speed):
    """Seconds between passes: a second at real speed, 10 ms at most
    when time runs fast."""
    return min(1.0, max(0.01, 2.0 / speed))


class Simulator:
    """CAPI core, kubeadm and CAPO controllers, simulated.

    ``speed`` is how many simulated seconds pass per real second: at 1 a
    cluster takes realistic minutes to come up; tests use thousands.
    """

    def __init__(self, api_url, speed=1.0, tick=None, timings=None,
                 timeout=2.0):
        if speed <= 0:
            raise ValueError('speed must be positive, got %r' % (speed,))
        self.api_url = api_url
        self.speed = float(speed)
        self.tick = default_tick(self.speed) if tick is None else tick
        self.timings = timings or timing.Timings()
        self.ticks = 0
        self.errors = 0
        self._faults = faults_mod.Faults()
        self._client = client_mod.Client(api_url, timeout=timeout)
        self._clock = timing.Clock()
        self._random = random.Random()
        self._stop = threading.Event()
        self._thread = None
        self._started = time.monotonic()

    # Faults.

    def provider_error(self, namespace, cluster, reason='CreateError',
                       message='Failed to create the cluster network: '
                       'quota exceeded', terminal=True):
        """CAPO reports an error on the cluster's OpenStackCluster.

        Terminal, as CAPO's fatal errors: failureReason/failureMessage and
        Ready False (OpenStackError, severity Error). Otherwise an error
        CAPO retries: Ready False (OpenStackError, severity Warning) and no
        failure fields. Either way the infrastructure is not ready.
        """
        self._faults.provider_error(namespace, cluster, reason, message,
                                    terminal)

    def machine_error(self, namespace, cluster, deployment=None,
                      message='Quota exceeded for instances',
                      terminal=True):
        """Servers of this deployment (None: the control plane) fail.

        Terminal, as CAPO's OpenStackMachine whose server went to ERROR
        before it had a Node: the Machine gets failureReason UpdateError
        and failureMessage. Otherwise an error CAPO retries: the Machine's
        InfrastructureReady is False with severity Warning. Either way the
        machine stays Provisioning.
        """
        self._faults.machine_error(namespace, cluster, deployment, message,
                                   terminal)

    def machines_never_ready(self, namespace, cluster, deployment=None):
        """Servers of this deployment (None: the control plane) never come
        up: their machines stay Provisioning."""
        self._faults.machines_never_ready(namespace, cluster, deployment)

    def hang_deletion(self, namespace, cluster):
        """No finalizer of this cluster's objects is ever removed."""
        self._faults.hang_deletion(namespace, cluster)

    def clear_faults(self):
        self._faults.clear()

    # Running.

    def start(self):
        if self._thread is not None:
            return
        self._stop.clear()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='capi-simulator')
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._client.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def _run(self):
        while not self._stop.is_set():
            busy = True
            try:
                busy = self.reconcile_once()
            except (OSError, http.client.HTTPException, ValueError,
                    client_mod.ApiError) as exc:
                self.errors += 1
                LOG.debug('CAPI simulator pass failed, retrying: %s', exc)
            self.ticks += 1
            # With nothing to manage, poll gently: the request log stays
            # readable and a new cluster waits at most IDLE_TICK.
            self._stop.wait(self.tick if busy else max(self.tick, IDLE_TICK))

    def now(self):
        """Simulated seconds since start."""
        return (time.monotonic() - self._started) * self.speed

    def reconcile_once(self):
        """One pass: read everything, plan, write. False if there was
        nothing to manage."""
        world = context.World.from_lists(self._read())
        env = context.Env(
            stamp=datetime.datetime.now(datetime.timezone.utc).strftime(
                '%Y-%m-%dT%H:%M:%SZ'),
            ages=self._clock.ages(world.everything(), self.now()),
            timings=self.timings,
            faults=self._faults.current(),
            new_name=self._new_name)
        for write in plan_mod.plan(world, env):
            self._send(write)
        return bool(world.everything() or world.addons)

    def _new_name(self, prefix):
        suffix = ''.join(self._random.choice(SUFFIX_ALPHABET)
                         for _ in range(5))
        return '%s-%s' % (prefix, suffix)

    def _read(self):
        listed = {}
        for kind in kinds.WATCHED:
            try:
                listed[kind] = self._client.list(kind)
            except client_mod.ApiError as exc:
                if exc.code != 404:
                    raise
                listed[kind] = []
        return listed

    def _send(self, write):
        """Send one write; a vanished object or a conflict waits for the
        next pass, a server failure ends this one."""
        try:
            if isinstance(write, actions.Create):
                self._client.create(write.kind, write.namespace, write.body)
            elif isinstance(write, actions.Patch):
                self._client.patch(write.kind, write.namespace, write.name,
                                   write.body, status=write.status,
                                   resource_version=write.resource_version)
            else:
                self._client.delete(write.kind, write.namespace, write.name)
        except client_mod.ApiError as exc:
            if exc.code >= 500:
                raise
            LOG.debug('CAPI simulator write skipped: %s', exc)
