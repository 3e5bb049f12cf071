"""HTTP front of the API server stand-in: routing, bodies, discovery, watch.

The store does the work; this module turns requests into store calls and
answers in the JSON shapes client-go, helm, kubectl and pykube-ng expect.
"""

import base64
import copy
import http.server
import json
import select
import socket
import struct
import threading
import time
import urllib.parse

import yaml

from tests.kubeapi import errors
from tests.kubeapi import faults
from tests.kubeapi import patch as patching
from tests.kubeapi import protobuf
from tests.kubeapi import selectors

VERSION = {'major': '1', 'minor': '35', 'gitVersion': 'v1.35.0',
           'gitCommit': '0' * 40, 'gitTreeState': 'clean',
           'buildDate': '2026-01-01T00:00:00Z', 'goVersion': 'go1.25.0',
           'compiler': 'gc', 'platform': 'linux/amd64'}
MAX_WATCH_SECONDS = 1800
SUBRESOURCES = ('status', 'scale')
# A real API server sends a watch bookmark about once a minute, and one
# two seconds before the watch's timeout.
BOOKMARK_INTERVAL = 60.0
PRE_TIMEOUT_BOOKMARK = 2.0
# How long a request for a resourceVersion the server has not reached waits
# for it before "Too large resource version" (the watch cache waits 3 s).
TOO_LARGE_WAIT = 3.0
META_GROUP_VERSION = 'meta.k8s.io/v1'
# Metadata-only forms a verb may be asked for (Accept: ...;as=<form>).
PARTIAL_FORMS = {
    'get': ('PartialObjectMetadata',),
    'list': ('PartialObjectMetadataList',),
    'watch': ('PartialObjectMetadata', 'PartialObjectMetadataList'),
}


class Route:
    """What a resource path names."""

    def __init__(self, group, version, plural, namespace=None, name=None,
                 subresource=None):
        self.group, self.version, self.plural = group, version, plural
        self.namespace, self.name = namespace, name
        self.subresource = subresource


def parse_path(path):
    """A Route, or None for a discovery/non-resource path."""
    parts = [p for p in path.split('/') if p]
    if parts[:1] == ['api'] and len(parts) >= 3:
        group, version, rest = '', parts[1], parts[2:]
    elif parts[:1] == ['apis'] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == 'namespaces' and len(rest) >= 3 and \
            rest[2] not in SUBRESOURCES + ('finalize',):
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        raise errors.NotFound('the server could not find the requested '
                              'resource')
    return Route(group, version, rest[0], namespace,
                 rest[1] if len(rest) > 1 else None,
                 rest[2] if len(rest) > 2 else None)


def _verb(method, route, query):
    if method == 'GET':
        if route.name:
            return 'get'
        return 'watch' if query.get('watch') in ('true', '1') else 'list'
    if method == 'DELETE' and not route.name:
        return 'deletecollection'
    return {'POST': 'create', 'PUT': 'update', 'PATCH': 'patch',
            'DELETE': 'delete'}.get(method, method.lower())


def negotiate(accept, verb):
    """The metadata-only form asked for, or None for whole objects.

    Accept lists media types in order of preference; ``as=`` asks for a
    transformed form. Transforms this server does not offer (``Table``,
    protobuf) are skipped, as a real server falls back to the next one; a
    header offering only transforms it cannot serve is refused (406).
    """
    plain_refused = False
    for entry in (accept or '').split(','):
        parts = [p.strip() for p in entry.split(';')]
        media = parts[0].lower()
        params = dict(p.split('=', 1) for p in parts[1:] if '=' in p)
        json_like = media in ('application/json', '*/*', 'application/*',
                              '')
        if 'as' not in params:
            if json_like or media.startswith('application/vnd.kubernetes'):
                return None
            plain_refused = True
            continue
        if (json_like and params.get('g') == 'meta.k8s.io'
                and params.get('v') in ('v1', 'v1beta1')
                and params['as'] in PARTIAL_FORMS.get(verb, ())):
            return params['as']
    if accept and not plain_refused:
        raise errors.NotAcceptable(
            'only the following media types are accepted: application/json'
            ', application/json;as=PartialObjectMetadata(List);g=meta.k8s.io'
            ';v=v1')
    return None


def partial(obj):
    """An object as PartialObjectMetadata: its metadata only."""
    return {'kind': 'PartialObjectMetadata',
            'apiVersion': META_GROUP_VERSION,
            'metadata': obj.get('metadata') or {}}


def _encode_continue(rv, key):
    raw = json.dumps({'rv': rv, 'after': list(key)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token):
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data['rv']), tuple(data['after'])
    except (ValueError, KeyError, TypeError):
        raise errors.BadRequest('continue token %r is not valid' % token)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True
    server_version = 'kubeapi-standin'

    def log_message(self, *args):
        pass

    # -- plumbing --------------------------------------------------------

    def parse_request(self):
        """A refused request on a kept-alive connection gets a reset."""
        if self.server.faults.refusing():
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.close_connection = True
            return False
        return super().parse_request()

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    @property
    def store(self):
        return self.server.store

    def _dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query,
                                                 keep_blank_values=True))
        self.status_sent = self.bytes_sent = 0
        self.form = self.route = self.verb = None
        self.url_path = url.path
        self.logged = False
        route = verb = resource = None
        try:
            body = self._read_body()
            route = self.route = parse_path(url.path)
            verb = self.verb = _verb(self.command, route, self.query) \
                if route else self.command.lower()
            resource = route.plural if route else None
            if route is not None and self.command == 'GET':
                self.form = negotiate(self.headers.get('Accept', ''), verb)
            delay, status = self.server.faults.check(verb, resource)
            if delay:
                time.sleep(delay)
            if status:
                raise errors.Injected(status)
            if route is None:
                self._non_resource(url.path)
            else:
                self._resource(route, verb, body)
        except errors.ApiError as exc:
            self._send(exc.code, exc.status())
        except OSError:  # the client, or an outage, cut the connection
            self.close_connection = True
        except Exception as exc:  # a bug here must not hang the client
            self._send(500, errors.ApiError(
                'internal error: %s: %s' % (exc.__class__.__name__,
                                            exc)).status())
        finally:
            self._log_request()

    def _log_request(self):
        """Log the request once, before its last bytes leave: a client
        that has read the answer finds it in the log."""
        if self.logged:
            return
        self.logged = True
        route = self.route
        self.server.requests.append(faults.Request(
            self.command, self.url_path, self.query,
            self.headers.get('User-Agent', ''), self.status_sent,
            time.time(), self.verb, route.plural if route else None,
            route.namespace if route else None,
            route.name if route else None,
            route.subresource if route else None,
            self.bytes_sent, self.headers.get('Accept', '')))

    def _read_body(self):
        self.content_type = ''
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        if not raw:
            return None
        ctype = (self.headers.get('Content-Type') or '').split(';')[0]
        self.content_type = ctype.strip()
        if self.content_type == 'application/vnd.kubernetes.protobuf':
            return protobuf.decode(raw)
        try:
            if self.content_type == 'application/apply-patch+yaml':
                return yaml.safe_load(raw)
            return json.loads(raw)
        except ValueError as exc:
            raise errors.BadRequest('request body is not valid: %s' % exc)

    def _send(self, code, body, content_type='application/json'):
        data = body if isinstance(body, bytes) else json.dumps(
            body, separators=(',', ':')).encode()
        self.status_sent = code
        self.bytes_sent += len(data)
        self.send_response(code)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.send_header('Cache-Control', 'no-cache, private')
        self.end_headers()
        self._log_request()
        self.wfile.write(data)

    # -- discovery and non-resource paths ---------------------------------

    def _non_resource(self, path):
        path = path.rstrip('/') or '/'
        registry = self.store.registry
        groups = registry.group_versions()
        if self.command != 'GET':
            raise errors.MethodNotAllowed('the server does not allow this '
                                          'method on the requested resource')
        if path == '/version':
            return self._send(200, VERSION)
        if path in ('/healthz', '/readyz', '/livez'):
            return self._send(200, b'ok', 'text/plain')
        if path == '/openapi/v2':
            return self._send(200, b'', 'application/octet-stream')
        if path == '/api':
            return self._send(200, {
                'kind': 'APIVersions', 'versions': ['v1'],
                'serverAddressByClientCIDRs': [{
                    'clientCIDR': '0.0.0.0/0',
                    'serverAddress': '%s:%d' % self.server.server_address}]})
        if path == '/apis':
            return self._send(200, {
                'kind': 'APIGroupList', 'apiVersion': 'v1',
                'groups': [self._group(g, v) for g, v in
                           sorted(groups.items()) if g]})
        parts = path.strip('/').split('/')
        if parts[0] == 'apis' and len(parts) == 2 and parts[1] in groups:
            return self._send(200, dict(
                self._group(parts[1], groups[parts[1]]),
                kind='APIGroup', apiVersion='v1'))
        if parts == ['api', 'v1']:
            return self._send(200, self._resource_list('', 'v1'))
        if parts[0] == 'apis' and len(parts) == 3 and \
                parts[2] in groups.get(parts[1], []):
            return self._send(200, self._resource_list(parts[1], parts[2]))
        raise errors.NotFound('the server could not find the requested '
                              'resource')

    @staticmethod
    def _group(name, versions):
        listed = [{'groupVersion': '%s/%s' % (name, v), 'version': v}
                  for v in versions]
        return {'name': name, 'versions': listed,
                'preferredVersion': listed[0]}

    def _resource_list(self, group, version):
        resources = []
        for rtype in sorted(self.store.registry.all(),
                            key=lambda r: r.plural):
            if rtype.group != group or version not in rtype.versions:
                continue
            entry = {'name': rtype.plural, 'singularName': rtype.singular,
                     'namespaced': rtype.namespaced, 'kind': rtype.kind,
                     'verbs': ['create', 'delete', 'deletecollection',
                               'get', 'list', 'patch', 'update', 'watch']}
            if rtype.short_names:
                entry['shortNames'] = rtype.short_names
            if rtype.categories:
                entry['categories'] = rtype.categories
            resources.append(entry)
            sub = {'singularName': '', 'namespaced': rtype.namespaced,
                   'verbs': ['get', 'patch', 'update']}
            if rtype.status:
                resources.append(dict(sub, name=rtype.plural + '/status',
                                      kind=rtype.kind))
            if rtype.scale:
                resources.append(dict(sub, name=rtype.plural + '/scale',
                                      kind='Scale', group='autoscaling',
                                      version='v1'))
        gv = '%s/%s' % (group, version) if group else version
        return {'kind': 'APIResourceList', 'apiVersion': 'v1',
                'groupVersion': gv, 'resources': resources}

    # -- resources -------------------------------------------------------

    def _resource(self, route, verb, body):
        rtype = self.store.registry.lookup(route.group, route.version,
                                           route.plural)
        if rtype is None:
            raise errors.NotFound('the server could not find the requested '
                                  'resource')
        if route.namespace and not rtype.namespaced:
            raise errors.NotFound('the server could not find the requested '
                                  'resource')
        if route.subresource and route.subresource not in ('status', 'scale',
                                                           'finalize') or (
                route.subresource == 'status' and not rtype.status) or (
                route.subresource == 'scale' and not rtype.scale):
            raise errors.NotFound('the server could not find the requested '
                                  'resource')
        api_version = rtype.api_version(route.version)
        handler = getattr(self, '_' + verb, None)
        if handler is None or (route.subresource and verb not in (
                'get', 'update', 'patch')):
            raise errors.MethodNotAllowed(
                'the server does not allow this method on the requested '
                'resource')
        handler(rtype, route, api_version, body)

    def _render(self, obj, api_version):
        obj['apiVersion'] = api_version
        return obj

    def _manager(self):
        agent = self.headers.get('User-Agent', '') or 'unknown'
        return self.query.get('fieldManager') or agent.split('/')[0]

    def _dry_run(self):
        return self.query.get('dryRun') == 'All'

    def _get(self, rtype, route, api_version, body):
        obj = self.store.get(rtype, route.namespace, route.name)
        if route.subresource == 'scale':
            return self._send(200, _scale(rtype, obj))
        if self.form and not route.subresource:
            return self._send(200, partial(obj))
        self._send(200, self._render(obj, api_version))

    def _requested_rv(self):
        """The request's resourceVersion as a number, None if unset/0."""
        rv = self.query.get('resourceVersion', '')
        if rv in ('', '0'):
            return None
        try:
            return int(rv)
        except ValueError:
            raise errors.BadRequest('resourceVersion %r is not valid' % rv)

    def _check_rv(self, rv, exact=True):
        """410 for a version already compacted away (when that version
        itself is wanted); wait, then 504, for one the server has not
        reached."""
        if rv is None:
            return
        if exact and rv < self.store.oldest_resource_version:
            raise errors.Gone('too old resource version: %d (%d)' % (
                rv, self.store.oldest_resource_version))
        if not self.store.wait_for(rv, self.server.too_large_wait):
            raise errors.TooLargeResourceVersion(
                rv, int(self.store.resource_version))

    def _list(self, rtype, route, api_version, body):
        self._check_rv(self._requested_rv(), exact=self.query.get(
            'resourceVersionMatch') == 'Exact')
        token = self.query.get('continue')
        after = None
        if token:
            token_rv, after = _decode_continue(token)
            if token_rv < self.store.oldest_resource_version:
                raise errors.Gone(
                    'The provided continue parameter is too old to display '
                    'a consistent list result. You can start a new list '
                    'without the continue parameter.')
        items, rv = self.store.list(rtype, route.namespace,
                                    self.query.get('labelSelector', ''),
                                    self.query.get('fieldSelector', ''))
        limit = int(self.query.get('limit') or 0)
        if after is not None:
            items = [o for o in items if _key(o) > after]
        metadata = {'resourceVersion': rv, 'continue': ''}
        if limit and len(items) > limit:
            metadata['remainingItemCount'] = len(items) - limit
            items = items[:limit]
            metadata['continue'] = _encode_continue(rv, _key(items[-1]))
        if self.form:
            return self._send(200, {
                'kind': 'PartialObjectMetadataList',
                'apiVersion': META_GROUP_VERSION, 'metadata': metadata,
                'items': [partial(o) for o in items]})
        self._send(200, {
            'kind': rtype.kind + 'List', 'apiVersion': api_version,
            'metadata': metadata,
            'items': [self._render(o, api_version) for o in items]})

    def _create(self, rtype, route, api_version, body):
        if not isinstance(body, dict):
            raise errors.BadRequest('a JSON object body is required')
        if body.get('kind') and body['kind'] != rtype.kind:
            raise errors.BadRequest('kind %r does not match the resource %s'
                                    % (body.get('kind'), rtype.plural))
        obj = self.store.create(rtype, route.namespace, body,
                                self._manager(), self._dry_run(),
                                api_version)
        self._send(201, self._render(obj, api_version))

    def _update(self, rtype, route, api_version, body):
        if not isinstance(body, dict):
            raise errors.BadRequest('a JSON object body is required')
        if route.subresource == 'scale':
            return self._scale_write(rtype, route, lambda _: body)
        name = (body.get('metadata') or {}).get('name')
        if name and name != route.name:
            raise errors.BadRequest('the name of the object (%s) does not '
                                    'match the name on the URL (%s)'
                                    % (name, route.name))
        obj = self.store.update(rtype, route.namespace, route.name, body,
                                route.subresource, self._manager(),
                                self._dry_run(), api_version)
        self._send(200, self._render(obj, api_version))

    def _patch(self, rtype, route, api_version, body):
        ctype = self.content_type
        if ctype == 'application/apply-patch+yaml':
            return self._apply(rtype, route, api_version, body)
        change = _patcher(ctype, rtype, body)
        if route.subresource == 'scale':
            return self._scale_write(rtype, route, change)
        obj = self.store.modify(rtype, route.namespace, route.name, change,
                                route.subresource, self._manager(),
                                self._dry_run(), api_version)
        self._send(200, self._render(obj, api_version))

    def _apply(self, rtype, route, api_version, body):
        if not isinstance(body, dict):
            raise errors.BadRequest('an apply body must be an object')
        if not self.query.get('fieldManager'):
            raise errors.BadRequest('fieldManager is required for apply '
                                    'requests')
        name = (body.get('metadata') or {}).get('name')
        if name != route.name:
            raise errors.BadRequest('the name of the object (%s) does not '
                                    'match the name on the URL (%s)'
                                    % (name, route.name))
        body = dict(body, apiVersion=api_version, kind=rtype.kind)
        obj, created = self.store.apply(
            rtype, route.namespace, route.name, body,
            self.query['fieldManager'],
            self.query.get('force') in ('true', '1'), route.subresource,
            self._dry_run(), api_version)
        self._send(201 if created else 200, self._render(obj, api_version))

    def _scale_write(self, rtype, route, change):
        current = _scale(rtype, self.store.get(rtype, route.namespace,
                                               route.name))
        replicas = change(copy.deepcopy(current)).get('spec', {}).get(
            'replicas')
        if not isinstance(replicas, int):
            raise errors.Invalid('Scale is invalid: spec.replicas must be '
                                 'an integer, got %r' % (replicas,))

        def set_replicas(obj):
            obj.setdefault('spec', {})['replicas'] = replicas
            return obj
        obj = self.store.modify(rtype, route.namespace, route.name,
                                set_replicas, None, self._manager(),
                                self._dry_run())
        self._send(200, _scale(rtype, obj))

    def _delete_options(self, body):
        body = body or {}
        propagation = self.query.get('propagationPolicy') or \
            body.get('propagationPolicy')
        if self.query.get('orphanDependents') == 'true' or \
                body.get('orphanDependents'):
            propagation = 'Orphan'
        if propagation not in (None, 'Orphan', 'Background', 'Foreground'):
            raise errors.BadRequest(
                'propagationPolicy %r: accepted are Orphan, Background, '
                'Foreground' % propagation)
        dry_run = self._dry_run() or 'All' in (body.get('dryRun') or [])
        return propagation, body.get('preconditions'), dry_run

    def _delete(self, rtype, route, api_version, body):
        propagation, preconditions, dry_run = self._delete_options(body)
        obj = self.store.delete(rtype, route.namespace, route.name,
                                propagation, preconditions, dry_run)
        self._send(200, self._render(obj, api_version))

    def _deletecollection(self, rtype, route, api_version, body):
        propagation, _, dry_run = self._delete_options(body)
        items, rv = self.store.list(rtype, route.namespace,
                                    self.query.get('labelSelector', ''),
                                    self.query.get('fieldSelector', ''))
        deleted = []
        for obj in items:
            meta = obj['metadata']
            try:
                deleted.append(self.store.delete(
                    rtype, meta.get('namespace'), meta['name'], propagation,
                    None, dry_run))
            except errors.NotFound:
                continue
        self._send(200, {'kind': rtype.kind + 'List',
                         'apiVersion': api_version,
                         'metadata': {'resourceVersion': rv,
                                      'continue': ''},
                         'items': [self._render(o, api_version)
                                   for o in deleted]})

    # -- watch -----------------------------------------------------------

    def _watch(self, rtype, route, api_version, body):
        """Events as a real watch serves them.

        From resourceVersion unset or "0" (or with sendInitialEvents) the
        current objects come first as ADDED; from a given version, the
        events after it. A version already compacted away gets an ERROR
        event with a 410 Status, one not reached yet an ERROR with 504
        (Too large resource version). With allowWatchBookmarks, BOOKMARK
        events carry the current resourceVersion once a minute and two
        seconds before the timeout.
        """
        labels = selectors.parse_labels(self.query.get('labelSelector', ''))
        field_reqs = selectors.parse_fields(
            self.query.get('fieldSelector', ''))
        timeout = min(int(self.query.get('timeoutSeconds') or
                          MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
        deadline = time.monotonic() + timeout
        initial_events = self.query.get('sendInitialEvents') == 'true'
        bookmarks = self.query.get('allowWatchBookmarks') == 'true'
        requested = self._requested_rv()
        render = (lambda obj: partial(obj)) if self.form else (
            lambda obj: self._render(obj, api_version))

        def wanted(event):
            return (event.key == rtype.key
                    and (not route.namespace
                         or event.namespace == route.namespace)
                    and selectors.match_labels(
                        labels, event.obj['metadata'].get('labels'))
                    and selectors.match_fields(field_reqs, event.obj))

        error = None
        initial = []
        if initial_events or requested is None:
            with self.store.lock:
                initial, list_rv = self.store.list(
                    rtype, route.namespace,
                    self.query.get('labelSelector', ''),
                    self.query.get('fieldSelector', ''))
            cursor = int(list_rv)
        else:
            cursor = requested
            try:
                self._check_rv(requested)
            except errors.ApiError as exc:
                error = exc
        self.status_sent = 200
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Transfer-Encoding', 'chunked')
        self.send_header('Cache-Control', 'no-cache, private')
        self.end_headers()
        with self.server.watching_lock:
            self.server.watching.add(self.connection)
        try:
            self._stream(rtype, route, api_version, error, initial, cursor,
                         deadline, initial_events, bookmarks, wanted, render)
        finally:
            with self.server.watching_lock:
                self.server.watching.discard(self.connection)

    def _stream(self, rtype, route, api_version, error, initial, cursor,
                deadline, initial_events, bookmarks, wanted, render):
        if error is not None:
            self._chunk({'type': 'ERROR', 'object': error.status()})
            return self._end_chunks()
        for obj in initial:
            self._chunk({'type': 'ADDED', 'object': render(obj)})
        if initial_events:
            self._chunk({'type': 'BOOKMARK', 'object': self._bookmark(
                rtype, api_version, cursor, {
                    'k8s.io/initial-events-end': 'true'})})
        next_bookmark = _next_bookmark(time.monotonic(), deadline) \
            if bookmarks else None
        while time.monotonic() < deadline and self._client_alive() \
                and not self.server.stopping:
            with self.store.changed:
                try:
                    events = self.store.events_after(cursor)
                except errors.Gone as exc:
                    self._chunk({'type': 'ERROR', 'object': exc.status()})
                    break
                now = time.monotonic()
                due = next_bookmark is not None and now >= next_bookmark
                if not events and not due:
                    wake = min(1.0, max(0.0, deadline - now))
                    if next_bookmark is not None:
                        wake = min(wake, max(0.0, next_bookmark - now))
                    self.store.changed.wait(wake)
                    continue
                if not events:
                    cursor = int(self.store.resource_version)
            if events:
                cursor = events[-1].rv
                for event in events:
                    if wanted(event):
                        self._chunk({'type': event.type, 'object': render(
                            copy.deepcopy(event.obj))})
                continue
            self._chunk({'type': 'BOOKMARK', 'object': self._bookmark(
                rtype, api_version, cursor)})
            next_bookmark = _next_bookmark(time.monotonic(), deadline)
        self._end_chunks()

    def _bookmark(self, rtype, api_version, rv, annotations=None):
        meta = {'resourceVersion': str(rv)}
        if annotations:
            meta['annotations'] = annotations
        if self.form:
            return {'kind': 'PartialObjectMetadata',
                    'apiVersion': META_GROUP_VERSION, 'metadata': meta}
        return {'kind': rtype.kind, 'apiVersion': api_version,
                'metadata': meta}

    def _chunk(self, event):
        data = json.dumps(event, separators=(',', ':')).encode() + b'\n'
        self.bytes_sent += len(data)
        self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
        self.wfile.flush()

    def _end_chunks(self):
        self._log_request()
        try:
            self.wfile.write(b'0\r\n\r\n')
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _client_alive(self):
        """A watching client sends nothing; readable means it hung up."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                return self.connection.recv(1, socket.MSG_PEEK) != b''
        except OSError:
            return False
        return True


def _next_bookmark(now, deadline):
    """When the next bookmark is due (None: no more before the end)."""
    due = min(now + BOOKMARK_INTERVAL, deadline - PRE_TIMEOUT_BOOKMARK)
    return due if due > now else None


def _key(obj):
    return (obj['metadata'].get('namespace', ''), obj['metadata']['name'])


def _scale(rtype, obj):
    meta = obj['metadata']
    return {'kind': 'Scale', 'apiVersion': 'autoscaling/v1',
            'metadata': {k: meta[k] for k in (
                'name', 'namespace', 'uid', 'resourceVersion',
                'creationTimestamp') if k in meta},
            'spec': {'replicas': (obj.get('spec') or {}).get('replicas', 0)},
            'status': {
                'replicas': (obj.get('status') or {}).get('replicas', 0),
                'selector': (obj.get('status') or {}).get('selector', '')}}


def _patcher(content_type, rtype, body):
    """The function a PATCH of this content type applies to an object."""
    if content_type == 'application/merge-patch+json':
        return lambda obj: patching.merge_patch(obj, body)
    if content_type == 'application/strategic-merge-patch+json':
        if not rtype.builtin:
            raise errors.UnsupportedMediaType(
                'the body of the request was in an unknown format - '
                'accepted media types include: application/json-patch+json,'
                ' application/merge-patch+json, application/apply-patch+yaml')
        return lambda obj: patching.strategic_merge_patch(obj, body)
    if content_type == 'application/json-patch+json':
        return lambda obj: patching.json_patch(obj, body)
    raise errors.UnsupportedMediaType(
        'the body of the request was in an unknown format - accepted media '
        'types include: application/json-patch+json, '
        'application/merge-patch+json, application/apply-patch+yaml, '
        'application/strategic-merge-patch+json')


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, store, address=('127.0.0.1', 0), fault_rules=None,
                 request_log=None):
        self.store = store
        self.faults = fault_rules or faults.Faults()
        self.requests = request_log if request_log is not None \
            else faults.RequestLog()
        self.too_large_wait = TOO_LARGE_WAIT
        self.stopping = False
        self._connections = set()
        self._connections_lock = threading.Lock()
        self.watching = set()
        self.watching_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def end_watches(self):
        """Cut the connections that stream watches, as an outage does."""
        with self.watching_lock:
            connections = list(self.watching)
        _cut(connections)

    def drop_connections(self):
        """End every open connection (watches included), as a stopping
        API server does."""
        self.stopping = True
        with self._connections_lock:
            connections = list(self._connections)
        _cut(connections)
        with self.store.changed:
            self.store.changed.notify_all()

    def verify_request(self, request, client_address):
        """A refused connection is reset at once, before any request."""
        if self.faults.refusing():
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                               struct.pack('ii', 1, 0))
            return False
        return True


def _cut(connections):
    for connection in connections:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
