"""The per-cluster lock every change of a cluster's release is made under.

Rendering the release from the database and applying it must happen as one
step, or two concurrent nodegroup operations can each render a stale view and
the later helm upgrade undoes the earlier one. Today the lock is held within
this conductor process; a lock that spans conductors (a Lease on the
management cluster, renewed while held) takes its place behind the same
``cluster_lock`` call.
"""

import collections
import contextlib
import threading

_locks = collections.defaultdict(threading.Lock)
_guard = threading.Lock()


@contextlib.contextmanager
def cluster_lock(cluster_uuid):
    with _guard:
        lock = _locks[cluster_uuid]
    with lock:
        yield
