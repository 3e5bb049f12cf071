"""Faults a test injects into the simulated providers."""

import dataclasses
import threading


@dataclasses.dataclass(frozen=True)
class FaultSet:
    """The faults in force during one tick (plain, immutable data)."""

    # (namespace, cluster) -> (reason, message, terminal)
    provider_errors: dict = dataclasses.field(default_factory=dict)
    # (namespace, cluster, deployment name or None) -> (message, terminal)
    machine_errors: dict = dataclasses.field(default_factory=dict)
    # (namespace, cluster, deployment name or None for the control plane)
    never_ready: frozenset = frozenset()
    # (namespace, cluster)
    hung_deletions: frozenset = frozenset()

    def provider_error(self, namespace, cluster):
        """(reason, message, terminal) or None."""
        found = self.provider_errors.get((namespace, cluster))
        if found is not None and len(found) == 2:
            found = tuple(found) + (True,)
        return found

    def machine_error(self, namespace, cluster, deployment):
        """(message, terminal) for the servers of a deployment, or None."""
        return self.machine_errors.get((namespace, cluster, deployment))

    def machine_stuck(self, namespace, cluster, deployment):
        return (namespace, cluster, deployment) in self.never_ready

    def deletion_hung(self, namespace, cluster):
        return (namespace, cluster) in self.hung_deletions


class Faults:
    """Thread-safe store of faults; ``current()`` gives a FaultSet."""

    def __init__(self):
        self._lock = threading.Lock()
        self._set = FaultSet()

    def current(self):
        with self._lock:
            return self._set

    def provider_error(self, namespace, cluster, reason, message,
                       terminal=True):
        with self._lock:
            errors = dict(self._set.provider_errors)
            errors[(namespace, cluster)] = (reason, message, terminal)
            self._set = dataclasses.replace(self._set,
                                            provider_errors=errors)

    def machine_error(self, namespace, cluster, deployment, message,
                      terminal=True):
        with self._lock:
            errors = dict(self._set.machine_errors)
            errors[(namespace, cluster, deployment)] = (message, terminal)
            self._set = dataclasses.replace(self._set,
                                            machine_errors=errors)

    def machines_never_ready(self, namespace, cluster, deployment):
        with self._lock:
            self._set = dataclasses.replace(
                self._set, never_ready=self._set.never_ready | {
                    (namespace, cluster, deployment)})

    def hang_deletion(self, namespace, cluster):
        with self._lock:
            self._set = dataclasses.replace(
                self._set, hung_deletions=self._set.hung_deletions | {
                    (namespace, cluster)})

    def clear(self):
        with self._lock:
            self._set = FaultSet()
