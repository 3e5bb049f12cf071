"""What status and health polls observe: one shared, watch-fed view.

Each conductor process keeps one view of the management cluster, started
by the first poll that needs it: for every kind a poll reads (Cluster,
KubeadmControlPlane, OpenStackCluster, MachineDeployment, Machine, and the
metadata of Helm's release Secrets) one LIST, then one WATCH after another
from the last resourceVersion, in all namespaces, each on its own daemon
thread. A broken watch resumes from the last resourceVersion; a 410 Gone
(or a resourceVersion the server no longer knows, as after a restart with
an empty store) makes that kind list again. In steady state the requests
per kind are one WATCH every ``watch_seconds`` whatever the number of
clusters.

The staleness bound is ``[capi_driver] status_view_max_age`` seconds. A
kind's view is known current as of the last event, bookmark or list it
received; watches ask for bookmarks and end after ``watch_seconds`` (two
thirds of the bound), and API servers send a bookmark two seconds before a
watch ends, so a healthy view is never older than about ``watch_seconds``.
A poll uses the view only if every kind is listed, connected and heard
from within the bound; otherwise it reads its cluster directly (by name
and by label, so a direct read costs the same whatever the other clusters).

After a write of the driver (``wrote``), the next poll of that cluster gets
the current resourceVersion with a one-item LIST and uses the view only
once every kind has caught up with it; until then it reads directly, so a
poll always sees what the driver wrote before it. Writes made by other
conductor processes are seen within the bound.

Reads give a ``status.Snapshot``; ``release_state`` (pure) turns Helm's
revision labels into its release fields.
"""

import datetime
import os
import threading
import time

from oslo_log import log as logging
from magnum_capi_driver import conf
from magnum_capi_driver import exceptions
from magnum_capi_driver import kube
from magnum_capi_driver import names
from magnum_capi_driver import status

LOG = logging.getLogger(__name__)
CONF = conf.CONF

# kind, label indexed (the cluster it belongs to), metadata only, selector.
WATCHED = (
    ('Cluster', status.CLUSTER_NAME_LABEL, False, None),
    ('KubeadmControlPlane', status.CLUSTER_NAME_LABEL, False, None),
    ('OpenStackCluster', status.CLUSTER_NAME_LABEL, False, None),
    ('MachineDeployment', status.CLUSTER_NAME_LABEL, False, None),
    ('Machine', status.CLUSTER_NAME_LABEL, False, None),
    ('Secret', 'name', True, kube.HELM_SELECTOR),
)
PAGE_SIZE = 500
# The first poll of a process waits this long for the first lists.
INITIAL_SYNC_WAIT = 5.0
# After a failure, a short watch: its bookmark (two seconds before its
# end) proves the view current again within a second.
PROBE_WATCH_SECONDS = 3
MAX_BACKOFF = 5.0
DENIED_BACKOFF = 300.0
PENDING = ('pending-install', 'pending-upgrade', 'pending-rollback')


def watch_seconds(max_age):
    """How long each watch lasts; its closing bookmark refreshes the view."""
    return max(5, int(max_age) * 2 // 3)


def release_state(revisions):
    """Snapshot fields from the metadata of a release's revision Secrets.

    Helm labels each revision Secret with ``version`` and ``status``: the
    newest one says whether the release exists (not uninstalled), whether
    an operation is pending, and, by its creation, when that started.
    """
    if not revisions:
        return dict(release_exists=False, release_pending=False,
                    release_started_at=None)

    def version(revision):
        try:
            return int(status.labels_of(revision).get('version', '0'))
        except ValueError:
            return 0
    newest = max(revisions, key=version)
    state = status.labels_of(newest).get('status', '')
    return dict(
        release_exists=state != 'uninstalled',
        release_pending=state in PENDING,
        release_started_at=status.parse_time(
            newest['metadata'].get('creationTimestamp')))


def read(reader, namespace, release, for_status=True, observed_at=None):
    """A cluster's Snapshot from a reader (the view or the API itself).

    The health decision does not need Helm's state: without
    ``for_status`` it is not read.
    """
    objects = kube.cluster_objects(reader, namespace, release)
    if for_status:
        objects.update(release_state(
            kube.release_revisions(reader, namespace, release)))
    return status.Snapshot(observed_at=observed_at or _now(), **objects)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _selector_pairs(selector):
    pairs = {}
    for term in (selector or '').split(','):
        key, _, value = term.partition('=')
        pairs[key.strip()] = value.strip()
    return pairs


class _Expired(Exception):
    """The resourceVersion is gone: list again."""


class _Failed(Exception):
    """An answer that is neither data nor expiry (the reason is logged)."""


class _Denied(_Failed):
    """Not allowed to list or watch: retried far less often."""


def _failure(code, what):
    return (_Denied if code in (401, 403) else _Failed)(
        '%s answered HTTP %s' % (what, code))


class _Reflector(object):
    """One kind: its objects, its resourceVersion, and its thread."""

    def __init__(self, view, kind, index_label, metadata_only, selector):
        self.view = view
        self.kind = kind
        self.index_label = index_label
        self.metadata_only = metadata_only
        self.selector = selector
        self.objects = {}
        self.index = {}
        self.rv = None
        self.synced = False
        self.live = False
        self.heard = None
        self.short_watch = False
        self.thread = None

    # -- state, changed under the view's lock ------------------------------

    def _key(self, obj):
        meta = obj.get('metadata') or {}
        return meta.get('namespace', ''), meta.get('name')

    def _owner(self, obj):
        labels = status.labels_of(obj)
        return labels.get(self.index_label) or (
            (obj.get('spec') or {}).get('clusterName'))

    def _put(self, obj):
        key = self._key(obj)
        self._drop(key)
        if not key[0].startswith(self.view.prefix):
            return
        obj['metadata'].pop('managedFields', None)
        self.objects[key] = obj
        owner = self._owner(obj)
        if owner:
            self.index.setdefault((key[0], owner), {})[key[1]] = obj

    def _drop(self, key):
        old = self.objects.pop(key, None)
        if old is not None:
            bucket = self.index.get((key[0], self._owner(old)), {})
            bucket.pop(key[1], None)
            if not bucket:
                self.index.pop((key[0], self._owner(old)), None)

    def replace(self, items, rv):
        self.objects, self.index = {}, {}
        for obj in items:
            self._put(obj)
        self._heard(rv)
        self.synced = True

    def apply(self, event_type, obj):
        if event_type == 'DELETED':
            self._drop(self._key(obj))
        elif event_type in ('ADDED', 'MODIFIED'):
            self._put(obj)
        self._heard((obj.get('metadata') or {}).get('resourceVersion'))

    def _heard(self, rv):
        if rv:
            self.rv = rv
        self.live = True
        self.heard = time.monotonic()

    # -- the thread ----------------------------------------------------------

    def run(self):
        backoff = 0.2
        try:
            client = self.view.new_client()
        except exceptions.ManagementClusterError as exc:
            LOG.warning('No shared view of the management cluster: %s', exc)
            return
        while not self.view.stopped.is_set():
            try:
                if self.rv is None:
                    self._list(client)
                self._watch(client)
                backoff = 0.2
            except _Expired:
                with self.view.cond:
                    self.rv = None
            except Exception as exc:  # the thread must outlive any failure
                with self.view.cond:
                    was_live, self.live = self.live, False
                    self.short_watch = True
                (LOG.warning if was_live or backoff == 0.2 else LOG.debug)(
                    'Watch of %s on the management cluster interrupted (%s);'
                    ' polls read directly until it resumes', self.kind,
                    exc)
                self.view.stopped.wait(
                    DENIED_BACKOFF if isinstance(exc, _Denied) else backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        client.api.session.close()

    def _list(self, client):
        items, token, rv = [], None, None
        while True:
            params = {'limit': PAGE_SIZE}
            if self.selector:
                params['labelSelector'] = self.selector
            if token:
                params['continue'] = token
            code, body = client.list_raw(self.kind, None, params,
                                         self.metadata_only)
            if code == 410:
                items, token, rv = [], None, None
                continue
            if code != 200:
                raise _failure(code, 'LIST')
            items.extend(body.get('items') or [])
            meta = body.get('metadata') or {}
            rv = rv or meta.get('resourceVersion')
            token = meta.get('continue')
            if not token:
                break
        with self.view.cond:
            self.replace(items, rv)
            self.view.cond.notify_all()

    def _watch(self, client):
        seconds = (PROBE_WATCH_SECONDS if self.short_watch
                   else self.view.watch_seconds)
        params = {'resourceVersion': self.rv, 'allowWatchBookmarks': 'true',
                  'timeoutSeconds': seconds}
        if self.selector:
            params['labelSelector'] = self.selector
        for event in client.watch(self.kind, None, params, seconds + 15,
                                  self.metadata_only):
            if self.view.stopped.is_set():
                return
            event_type = event.get('type')
            obj = event.get('object') or {}
            if event_type == 'ERROR':
                if obj.get('code') == 410 or _too_large(obj):
                    raise _Expired()
                raise _failure(obj.get('code'), 'WATCH')
            with self.view.cond:
                self.apply(event_type, obj)
                self.short_watch = False
                self.view.cond.notify_all()


def _too_large(status_obj):
    causes = (status_obj.get('details') or {}).get('causes') or []
    return any(c.get('reason') == 'ResourceVersionTooLarge' for c in causes)


class _Reader(object):
    """The view, read with the verbs kube.cluster_objects uses."""

    def __init__(self, view):
        self._view = view

    def get(self, kind, namespace, name):
        return self._view.reflectors[kind].objects.get((namespace, name))

    def list(self, kind, namespace, label_selector=None):
        reflector = self._view.reflectors[kind]
        wanted = _selector_pairs(label_selector)
        owner = wanted.get(reflector.index_label)
        bucket = reflector.index.get((namespace, owner), {})
        return [obj for _, obj in sorted(bucket.items())
                if all(status.labels_of(obj).get(k) == v
                       for k, v in wanted.items()
                       if k != reflector.index_label)]

    list_metadata = list


class View(object):
    """The shared view; ``snapshot`` is what polls call."""

    def __init__(self, max_age, prefix):
        self.pid = os.getpid()
        self.max_age = max_age
        self.watch_seconds = watch_seconds(max_age)
        self.prefix = prefix + '-'
        self.cond = threading.Condition(threading.RLock())
        self.stopped = threading.Event()
        self.barriers = {}
        self.reflectors = {kind: _Reflector(self, kind, label, meta, sel)
                           for kind, label, meta, sel in WATCHED}

    @staticmethod
    def new_client():
        opts = CONF.capi_driver
        return kube.new_client(opts.kubeconfig_file, opts.kubeconfig_context)

    def start(self):
        for reflector in self.reflectors.values():
            reflector.thread = threading.Thread(
                target=reflector.run, name='capi-view-%s' % reflector.kind,
                daemon=True)
            reflector.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        with self.cond:
            self.cond.notify_all()

    def age(self):
        """Seconds since the view was last known current (None: never)."""
        with self.cond:
            reflectors = self.reflectors.values()
            if not all(r.synced and r.live for r in reflectors):
                return None
            return time.monotonic() - min(r.heard for r in reflectors)

    def wait_synced(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(r.synced for r in self.reflectors.values()):
                left = deadline - time.monotonic()
                if left <= 0 or self.stopped.is_set():
                    return False
                self.cond.wait(left)
            return True

    def wrote(self, key):
        """The driver changed this cluster: the next poll must see it."""
        with self.cond:
            self.barriers[key] = None

    def usable_for(self, key, namespace):
        """Whether a poll of this cluster may decide from the view now."""
        age = self.age()
        if age is None or age > self.max_age:
            return False
        with self.cond:
            if key not in self.barriers:
                return True
            barrier = self.barriers[key]
        if barrier is None:
            barrier = self._current_rv(namespace)
            with self.cond:
                if self.barriers.get(key, barrier) is None:
                    self.barriers[key] = barrier
        with self.cond:
            caught_up = all(int(r.rv) >= barrier
                            for r in self.reflectors.values())
            if caught_up and self.barriers.get(key) == barrier:
                del self.barriers[key]
            return caught_up

    @staticmethod
    def _current_rv(namespace):
        """The server's resourceVersion now, from a one-item LIST."""
        code, body = _direct_client().list_raw(
            'Secret', namespace, {'limit': 1,
                                  'labelSelector': kube.HELM_SELECTOR},
            metadata_only=True)
        rv = (body.get('metadata') or {}).get('resourceVersion')
        if code != 200 or not rv:
            raise exceptions.ManagementClusterError(
                action='read the resourceVersion in %s' % namespace,
                error='HTTP %s' % code)
        return int(rv)

    def snapshot(self, namespace, release, for_status):
        with self.cond:
            age = self.age() or 0.0
            return read(_Reader(self), namespace, release, for_status,
                        observed_at=_now() - datetime.timedelta(
                            seconds=age))


_view = None
_view_lock = threading.Lock()


def _direct_client():
    opts = CONF.capi_driver
    return kube.client(opts.kubeconfig_file, opts.kubeconfig_context)


def shared_view():
    """This process's view, started on first use; None when disabled."""
    global _view
    max_age = CONF.capi_driver.status_view_max_age
    if not max_age:
        return None
    with _view_lock:
        if _view is not None and _view.pid != os.getpid():
            _view = None
        if _view is None:
            _view = View(max_age, CONF.capi_driver.namespace_prefix).start()
            created = True
        else:
            created = False
        view = _view
    if created:
        view.wait_synced(min(INITIAL_SYNC_WAIT, max_age))
    return view


def reset():
    """Stop and forget the view (the next poll starts a new one)."""
    global _view
    with _view_lock:
        view, _view = _view, None
    if view is not None:
        view.stop()


def wrote(cluster):
    """Note a write of the driver to the cluster's objects or release."""
    with _view_lock:
        view = _view
    if view is not None:
        view.wrote(cluster.uuid)


def snapshot(cluster, for_status=True):
    """A Magnum cluster's Snapshot (see ``snapshot_of``)."""
    namespace = names.namespace_name(CONF.capi_driver.namespace_prefix,
                                     cluster.project_id)
    return snapshot_of(namespace, cluster.stack_id, cluster.uuid, for_status)


def snapshot_of(namespace, release, key, for_status=True):
    """The release's Snapshot, from the view when it may be used.

    ``key`` names the cluster for ``wrote``; ``for_status`` False reads
    only what the health decision needs.
    """
    view = shared_view()
    if view is not None:
        try:
            usable = view.usable_for(key, namespace)
        except exceptions.ManagementClusterError:
            usable = False
        if usable:
            return view.snapshot(namespace, release, for_status)
    return read(_direct_client(), namespace, release, for_status)
