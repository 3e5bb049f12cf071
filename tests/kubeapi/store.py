"""The object store: CRUD, resource versions, finalizers, GC, watch events.

All state sits behind one lock; a condition variable wakes watchers when an
event is appended. Garbage collection runs synchronously when an owner goes,
which is quicker and more deterministic than a real cluster's collector.
"""

import base64
import bisect
import copy
import datetime
import random
import string
import threading
import time
import uuid

from tests.kubeapi import crds as crd_defs
from tests.kubeapi import errors
from tests.kubeapi import fields
from tests.kubeapi import resources
from tests.kubeapi import selectors

EVENT_WINDOW = 50000
INITIAL_NAMESPACES = ('default', 'kube-system', 'kube-public',
                      'kube-node-lease')
_IMMUTABLE_METADATA = ('uid', 'creationTimestamp', 'deletionTimestamp',
                       'deletionGracePeriodSeconds', 'generation', 'name',
                       'namespace', 'managedFields')
CRD_KEY = ('apiextensions.k8s.io', 'customresourcedefinitions')
NS_KEY = ('', 'namespaces')
SECRET_KEY = ('', 'secrets')


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def _spec_part(obj, rtype):
    skip = {'metadata', 'apiVersion', 'kind'}
    if rtype.status:
        skip.add('status')
    return {k: v for k, v in obj.items() if k not in skip}


def _content(obj):
    """An object without what every write changes, to spot no-op writes."""
    result = dict(obj)
    metadata = dict(result.get('metadata') or {})
    metadata.pop('resourceVersion', None)
    metadata.pop('managedFields', None)
    result['metadata'] = metadata
    return result


class Event:
    __slots__ = ('rv', 'type', 'key', 'namespace', 'obj')

    def __init__(self, rv, type_, key, namespace, obj):
        self.rv, self.type, self.key = rv, type_, key
        self.namespace, self.obj = namespace, obj


class Store:
    def __init__(self, with_crds=True):
        self.registry = resources.Registry()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objects = {}
        self._uids = {}
        self._rv = 0
        self._events = []
        self._event_rvs = []
        self._oldest_rv = 0
        # How many events are kept for watches resuming from an older
        # resourceVersion; older ones get 410 Gone, as after a compaction.
        self.event_window = EVENT_WINDOW
        for name in INITIAL_NAMESPACES:
            self.create(self.registry.get(*NS_KEY), None,
                        {'apiVersion': 'v1', 'kind': 'Namespace',
                         'metadata': {'name': name}}, manager='kube-apiserver')
        if with_crds:
            crd_type = self.registry.get(*CRD_KEY)
            for crd in crd_defs.capi_crds():
                self.create(crd_type, None, crd, manager='clusterctl')

    # -- reading ---------------------------------------------------------

    @property
    def resource_version(self):
        with self.lock:
            return str(self._rv)

    def _bucket(self, rtype):
        return self._objects.setdefault(rtype.key, {})

    def get(self, rtype, namespace, name):
        with self.lock:
            obj = self._bucket(rtype).get((namespace or '', name))
            if obj is None:
                raise errors.not_found(self._resource_name(rtype), name)
            return copy.deepcopy(obj)

    def find(self, rtype, namespace, name):
        """The stored object or None; no copy, hold the lock."""
        return self._bucket(rtype).get((namespace or '', name))

    def list(self, rtype, namespace=None, label_selector='',
             field_selector=''):
        """Matching objects sorted by namespace and name, and the list RV."""
        labels = selectors.parse_labels(label_selector)
        field_reqs = selectors.parse_fields(field_selector)
        with self.lock:
            items = [copy.deepcopy(obj) for (ns, _), obj
                     in sorted(self._bucket(rtype).items())
                     if (not namespace or ns == namespace)
                     and selectors.match_labels(
                         labels, obj['metadata'].get('labels'))
                     and selectors.match_fields(field_reqs, obj)]
            return items, str(self._rv)

    @property
    def oldest_resource_version(self):
        """The oldest resourceVersion a watch or list may start from."""
        with self.lock:
            return self._oldest_rv

    def wait_for(self, rv, timeout):
        """Whether the store reaches ``rv`` within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while self._rv < rv:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True

    def compact(self):
        """Forget every event so far, like an etcd compaction."""
        with self.lock:
            self._oldest_rv = self._rv
            self._events, self._event_rvs = [], []
            self.changed.notify_all()

    def events_after(self, rv):
        """Events newer than ``rv``; Gone when they left the window."""
        with self.lock:
            if rv < self._oldest_rv:
                raise errors.Gone('too old resource version: %d (%d)'
                                  % (rv, self._oldest_rv))
            start = bisect.bisect_right(self._event_rvs, rv)
            return self._events[start:]

    @staticmethod
    def _resource_name(rtype):
        if rtype.group:
            return '%s.%s' % (rtype.plural, rtype.group)
        return rtype.plural

    # -- writing ---------------------------------------------------------

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def _emit(self, type_, rtype, obj):
        event = Event(int(obj['metadata']['resourceVersion']), type_,
                      rtype.key, obj['metadata'].get('namespace', ''),
                      copy.deepcopy(obj))
        self._events.append(event)
        self._event_rvs.append(event.rv)
        if len(self._events) > self.event_window:
            drop = len(self._events) - self.event_window // 2
            self._oldest_rv = self._events[drop - 1].rv
            del self._events[:drop]
            del self._event_rvs[:drop]
        self.changed.notify_all()

    def _check_namespace(self, rtype, namespace):
        if not rtype.namespaced:
            return
        ns = self.find(self.registry.get(*NS_KEY), None, namespace)
        if ns is None:
            raise errors.not_found('namespaces', namespace)
        if ns['metadata'].get('deletionTimestamp'):
            raise errors.Forbidden(
                'unable to create new content in namespace %s because it '
                'is being terminated' % namespace)

    def create(self, rtype, namespace, body, manager='', dry_run=False,
               api_version=None):
        obj = copy.deepcopy(body)
        meta = obj.setdefault('metadata', {})
        with self.lock:
            namespace = namespace or meta.get('namespace') or ''
            if not rtype.namespaced:
                namespace = ''
            if not meta.get('name'):
                if not meta.get('generateName'):
                    raise errors.Invalid(
                        '%s is invalid: metadata.name: Required value: name '
                        'or generateName is required'
                        % self._resource_name(rtype))
                meta['name'] = meta['generateName'] + ''.join(
                    random.choices(string.ascii_lowercase + string.digits,
                                   k=5))
            name = meta['name']
            if meta.get('namespace') and namespace and \
                    meta['namespace'] != namespace:
                raise errors.BadRequest(
                    'the namespace of the provided object does not match '
                    'the namespace sent on the request')
            self._check_namespace(rtype, namespace)
            if self.find(rtype, namespace, name) is not None:
                raise errors.AlreadyExists(
                    '%s "%s" already exists' % (self._resource_name(rtype),
                                                name),
                    {'name': name, 'kind': rtype.plural})
            if namespace:
                meta['namespace'] = namespace
            else:
                meta.pop('namespace', None)
            for key in ('deletionTimestamp', 'deletionGracePeriodSeconds',
                        'resourceVersion'):
                meta.pop(key, None)
            meta['uid'] = str(uuid.uuid4())
            meta['creationTimestamp'] = now()
            if rtype.tracks_generation:
                meta['generation'] = 1
            if rtype.status:
                obj.pop('status', None)
            obj['apiVersion'] = api_version or obj.get(
                'apiVersion') or rtype.api_version()
            obj['kind'] = rtype.kind
            self._on_write(rtype, obj)
            meta.pop('managedFields', None)
            fields.record_update(None, obj, manager, obj['apiVersion'],
                                 '', now())
            if dry_run:
                return obj
            return self._insert(rtype, obj)

    def _on_write(self, rtype, obj):
        """Behaviour of the few kinds the server itself acts on."""
        if rtype.key == SECRET_KEY:
            obj.setdefault('type', 'Opaque')
            for key, value in (obj.pop('stringData', None) or {}).items():
                obj.setdefault('data', {})[key] = base64.b64encode(
                    value.encode()).decode()
        elif rtype.key == NS_KEY:
            if not obj['metadata'].get('deletionTimestamp'):
                obj.setdefault('spec', {}).setdefault('finalizers',
                                                      ['kubernetes'])
                obj['status'] = {'phase': 'Active'}
        elif rtype.key == CRD_KEY:
            served = resources.from_crd(obj)
            if not (served.group and served.plural and served.kind
                    and served.versions):
                raise errors.Invalid(
                    'CustomResourceDefinition %r is invalid: spec.group, '
                    'spec.names.plural, spec.names.kind and a served '
                    'version are required' % obj['metadata'].get('name'))
            names = dict(obj['spec']['names'])
            names.setdefault('singular', served.singular)
            names.setdefault('listKind', served.kind + 'List')
            stored = [v['name'] for v in obj['spec']['versions']
                      if v.get('storage')] or served.versions[:1]
            obj['status'] = {
                'acceptedNames': names, 'storedVersions': stored,
                'conditions': [
                    {'type': t, 'status': 'True', 'reason': r,
                     'message': m, 'lastTransitionTime': now()}
                    for t, r, m in (
                        ('NamesAccepted', 'NoConflicts',
                         'no conflicts found'),
                        ('Established', 'InitialNamesAccepted',
                         'the initial names have been accepted'))]}

    def _serve(self, rtype, obj):
        """A stored CRD starts serving its resource type."""
        if rtype.key == CRD_KEY:
            served = resources.from_crd(obj)
            if not (self.registry.get(*served.key) or served).builtin:
                self.registry.add(served)

    def _prepare(self, rtype, old, body, subresource):
        """The object a PUT/PATCH of ``body`` leaves, from ``old``."""
        if subresource == 'status':
            new = copy.deepcopy(old)
            if 'status' in body:
                new['status'] = copy.deepcopy(body['status'])
            else:
                new.pop('status', None)
            return new
        new = copy.deepcopy(body)
        meta = new.setdefault('metadata', {})
        for key in _IMMUTABLE_METADATA:
            if key in old['metadata']:
                meta[key] = copy.deepcopy(old['metadata'][key])
            else:
                meta.pop(key, None)
        if rtype.status:
            if 'status' in old:
                new['status'] = copy.deepcopy(old['status'])
            else:
                new.pop('status', None)
        new['kind'] = rtype.kind
        if rtype.tracks_generation and _spec_part(
                new, rtype) != _spec_part(old, rtype):
            meta['generation'] = old['metadata'].get('generation', 1) + 1
        return new

    def update(self, rtype, namespace, name, body, subresource=None,
               manager='', dry_run=False, api_version=None):
        """PUT: replace the object, with optimistic concurrency."""
        with self.lock:
            old = self._existing(rtype, namespace, name)
            self._check_rv(rtype, old, body)
            new = self._prepare(rtype, old, body, subresource)
            return self._finish_write(rtype, old, new, manager, subresource,
                                      dry_run, api_version)

    def modify(self, rtype, namespace, name, change, subresource=None,
               manager='', dry_run=False, api_version=None):
        """PATCH: ``change(current)`` gives the body to write."""
        with self.lock:
            old = self._existing(rtype, namespace, name)
            body = change(copy.deepcopy(old))
            self._check_rv(rtype, old, body)
            new = self._prepare(rtype, old, body, subresource)
            return self._finish_write(rtype, old, new, manager, subresource,
                                      dry_run, api_version)

    def apply(self, rtype, namespace, name, config, manager, force=False,
              subresource=None, dry_run=False, api_version=None):
        """Server-side apply; returns (object, created)."""
        with self.lock:
            old = self.find(rtype, namespace, name)
            if old is None:
                if subresource:
                    raise errors.not_found(self._resource_name(rtype), name)
                created = fields.server_side_apply(
                    {}, config, manager, force, api_version, '', now())
                managed = created['metadata'].pop('managedFields')
                obj = self.create(rtype, namespace, created, manager,
                                  dry_run=True, api_version=api_version)
                obj['metadata']['managedFields'] = managed
                if dry_run:
                    return obj, True
                return self._insert(rtype, obj), True
            self._check_rv(rtype, old, config)
            merged = fields.server_side_apply(
                old, config, manager, force, api_version, subresource, now())
            new = self._prepare(rtype, old, merged, subresource)
            new['metadata']['managedFields'] = merged['metadata'][
                'managedFields']
            return self._finish_write(rtype, old, new, None, subresource,
                                      dry_run, api_version), False

    def _insert(self, rtype, obj):
        meta = obj['metadata']
        namespace = meta.get('namespace', '')
        meta['resourceVersion'] = self._next_rv()
        self._bucket(rtype)[(namespace, meta['name'])] = obj
        self._uids[meta['uid']] = (rtype, namespace, meta['name'])
        self._serve(rtype, obj)
        self._emit('ADDED', rtype, obj)
        return copy.deepcopy(obj)

    def _existing(self, rtype, namespace, name):
        old = self.find(rtype, namespace, name)
        if old is None:
            raise errors.not_found(self._resource_name(rtype), name)
        return old

    def _check_rv(self, rtype, old, body):
        wanted = (body.get('metadata') or {}).get('resourceVersion')
        if wanted and wanted != old['metadata']['resourceVersion']:
            raise errors.Conflict(
                'Operation cannot be fulfilled on %s "%s": the object has '
                'been modified; please apply your changes to the latest '
                'version and try again' % (self._resource_name(rtype),
                                           old['metadata']['name']),
                {'name': old['metadata']['name'], 'kind': rtype.plural})

    def _finish_write(self, rtype, old, new, manager, subresource, dry_run,
                      api_version):
        if api_version:
            new['apiVersion'] = api_version
        if new['metadata'].get('deletionTimestamp') is None:
            self._on_write(rtype, new)
        if manager is not None:
            fields.record_update(old, new, manager, new.get('apiVersion'),
                                 subresource, now())
        if _content(new) == _content(old) or dry_run:
            if dry_run:
                return new
            return copy.deepcopy(old)
        new['metadata']['resourceVersion'] = self._next_rv()
        meta = new['metadata']
        if meta.get('deletionTimestamp') and not meta.get('finalizers') \
                and not (new.get('spec') or {}).get('finalizers'):
            self._remove(rtype, new)
            return copy.deepcopy(new)
        self._bucket(rtype)[(meta.get('namespace', ''), meta['name'])] = new
        self._serve(rtype, new)
        self._emit('MODIFIED', rtype, new)
        return copy.deepcopy(new)

    # -- deleting --------------------------------------------------------

    def delete(self, rtype, namespace, name, propagation=None,
               preconditions=None, dry_run=False):
        with self.lock:
            obj = self._existing(rtype, namespace, name)
            preconditions = preconditions or {}
            for key in ('uid', 'resourceVersion'):
                if preconditions.get(key) and \
                        preconditions[key] != obj['metadata'][key]:
                    raise errors.Conflict(
                        'Precondition failed: %s in precondition: %s, %s '
                        'in object meta: %s' % (key, preconditions[key], key,
                                                obj['metadata'][key]))
            if dry_run:
                return copy.deepcopy(obj)
            return self._delete(rtype, obj, propagation or 'Background')

    def _delete(self, rtype, obj, propagation):
        meta = obj['metadata']
        if propagation == 'Orphan':
            self._orphan(meta['uid'])
        if rtype.key == NS_KEY:
            return self._delete_namespace(obj)
        if propagation == 'Foreground' and not meta.get('deletionTimestamp'):
            finalizers = meta.setdefault('finalizers', [])
            if 'foregroundDeletion' not in finalizers:
                finalizers.append('foregroundDeletion')
        if meta.get('finalizers'):
            if not meta.get('deletionTimestamp'):
                new = copy.deepcopy(obj)
                new['metadata']['deletionTimestamp'] = now()
                new['metadata']['deletionGracePeriodSeconds'] = 0
                new['metadata']['resourceVersion'] = self._next_rv()
                key = (meta.get('namespace', ''), meta['name'])
                self._bucket(rtype)[key] = new
                self._emit('MODIFIED', rtype, new)
                obj = new
            if 'foregroundDeletion' in obj['metadata']['finalizers']:
                for dependent in self._dependents(meta['uid']):
                    self._delete(*dependent, 'Background')
                self._finish_foreground(meta['uid'])
            return copy.deepcopy(self._current(rtype, obj) or obj)
        self._remove(rtype, obj)
        return copy.deepcopy(obj)

    def _current(self, rtype, obj):
        return self.find(rtype, obj['metadata'].get('namespace'),
                         obj['metadata']['name'])

    def _remove(self, rtype, obj):
        meta = obj['metadata']
        namespace = meta.get('namespace', '')
        if self._bucket(rtype).pop((namespace, meta['name']), None) is None:
            return
        self._uids.pop(meta['uid'], None)
        obj = copy.deepcopy(obj)
        obj['metadata']['resourceVersion'] = self._next_rv()
        self._emit('DELETED', rtype, obj)
        if rtype.key == CRD_KEY:
            self._drop_crd(obj)
        for dependent in self._dependents(meta['uid']):
            owners = [ref['uid'] for ref in
                      dependent[1]['metadata']['ownerReferences']]
            if not any(uid in self._uids for uid in owners):
                self._delete(*dependent, 'Background')
        for ref in meta.get('ownerReferences') or []:
            self._finish_foreground(ref.get('uid'))
        if namespace:
            self._finish_namespace(namespace)

    def _dependents(self, uid):
        return [(self.registry.get(*key), obj)
                for key, bucket in list(self._objects.items())
                for obj in list(bucket.values())
                if self.registry.get(*key) and any(
                    ref.get('uid') == uid for ref in
                    obj['metadata'].get('ownerReferences') or [])]

    def _orphan(self, uid):
        for rtype, obj in self._dependents(uid):
            new = copy.deepcopy(obj)
            new['metadata']['ownerReferences'] = [
                ref for ref in obj['metadata']['ownerReferences']
                if ref.get('uid') != uid]
            if not new['metadata']['ownerReferences']:
                del new['metadata']['ownerReferences']
            self._finish_write(rtype, obj, new, None, None, False, None)

    def _finish_foreground(self, uid):
        location = self._uids.get(uid)
        if not location:
            return
        rtype, namespace, name = location
        owner = self.find(rtype, namespace, name)
        finalizers = owner['metadata'].get('finalizers') or []
        if not owner['metadata'].get('deletionTimestamp') or \
                'foregroundDeletion' not in finalizers or \
                self._dependents(uid):
            return
        new = copy.deepcopy(owner)
        new['metadata']['finalizers'] = [f for f in finalizers
                                         if f != 'foregroundDeletion']
        self._finish_write(rtype, owner, new, None, None, False, None)

    def _delete_namespace(self, ns):
        name = ns['metadata']['name']
        if not ns['metadata'].get('deletionTimestamp'):
            new = copy.deepcopy(ns)
            new['metadata']['deletionTimestamp'] = now()
            new['status'] = {'phase': 'Terminating'}
            new['metadata']['resourceVersion'] = self._next_rv()
            self._bucket(self.registry.get(*NS_KEY))[('', name)] = new
            self._emit('MODIFIED', self.registry.get(*NS_KEY), new)
            for key, bucket in list(self._objects.items()):
                rtype = self.registry.get(*key)
                for (namespace, _), obj in list(bucket.items()):
                    if rtype and namespace == name and \
                            not obj['metadata'].get('deletionTimestamp'):
                        self._delete(rtype, obj, 'Background')
        self._finish_namespace(name)
        return copy.deepcopy(self.find(self.registry.get(*NS_KEY), None,
                                       name) or ns)

    def _finish_namespace(self, name):
        ns_type = self.registry.get(*NS_KEY)
        ns = self.find(ns_type, None, name)
        if ns is None or not ns['metadata'].get('deletionTimestamp'):
            return
        if any(namespace == name for bucket in self._objects.values()
               for (namespace, _) in bucket):
            return
        self._remove(ns_type, ns)

    def _drop_crd(self, crd):
        served = resources.from_crd(crd)
        current = self.registry.get(*served.key)
        if current is None or current.builtin:
            return
        for obj in list(self._bucket(served).values()):
            self._remove(served, obj)
        self.registry.remove(served.key)
        self._objects.pop(served.key, None)
