"""Watch, resourceVersion and metadata-only semantics of the stand-in.

What a real API server does and the driver's shared view relies on:
bookmarks when asked for, 410 Gone for a version compacted away, "too
large" for one never reached, PartialObjectMetadata on request, and a
restart that cuts watches and keeps (or loses) the store.
"""

import http.client
import json
import time

CM_PATH = '/api/v1/namespaces/default/configmaps'
META_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'
META_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'


def _request(mc, method, path, body=None, accept='application/json'):
    conn = http.client.HTTPConnection(mc.url[len('http://'):], timeout=10)
    headers = {'Accept': accept}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, json.loads(payload) if payload else None


def _watch(mc, query, accept='application/json'):
    conn = http.client.HTTPConnection(mc.url[len('http://'):], timeout=10)
    conn.request('GET', CM_PATH + '?watch=true&' + query,
                 headers={'Accept': accept})
    response = conn.getresponse()
    return conn, response


def _create(mc, name, size=0):
    status, body = _request(mc, 'POST', CM_PATH, {
        'metadata': {'name': name, 'labels': {'app': 'x'}},
        'data': {'blob': 'b' * size}})
    assert status == 201
    return body


def test_metadata_only_list_get_and_watch(management_cluster):
    mc = management_cluster
    created = _create(mc, 'big', 20000)
    status, listed = _request(mc, 'GET', CM_PATH + '?labelSelector=app%3Dx',
                              accept=META_LIST + ',application/json')
    assert status == 200
    assert (listed['kind'], listed['apiVersion']) == (
        'PartialObjectMetadataList', 'meta.k8s.io/v1')
    assert [set(item) - {'kind', 'apiVersion'} for item in listed['items']
            ] == [{'metadata'}]
    assert listed['items'][0]['metadata']['uid'] == created['metadata'][
        'uid']
    small = [r for r in mc.requests.filter(verb='list') if r.status == 200]
    assert small[-1].bytes < 2000
    status, one = _request(mc, 'GET', CM_PATH + '/big', accept=META_ONE)
    assert (status, one['kind'], set(one)) == (
        200, 'PartialObjectMetadata', {'kind', 'apiVersion', 'metadata'})
    conn, response = _watch(mc, 'timeoutSeconds=1', META_ONE)
    events = [json.loads(line) for line in response.read().splitlines()]
    conn.close()
    assert [(e['type'], e['object']['kind'], 'data' in e['object'])
            for e in events] == [('ADDED', 'PartialObjectMetadata', False)]


def test_accept_with_only_unknown_transforms_is_refused(management_cluster):
    status, body = _request(
        management_cluster, 'GET', CM_PATH,
        accept='application/json;as=Table;g=meta.k8s.io;v=v1')
    assert (status, body['reason']) == (406, 'NotAcceptable')
    status, body = _request(
        management_cluster, 'GET', CM_PATH,
        accept='application/json;as=Table;g=meta.k8s.io;v=v1,'
               'application/json')
    assert (status, body['kind']) == (200, 'ConfigMapList')


def test_bookmark_before_the_timeout_only_when_asked(management_cluster):
    mc = management_cluster
    rv = _create(mc, 'a')['metadata']['resourceVersion']
    _create(mc, 'b')
    conn, response = _watch(
        mc, 'resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=3'
        % rv)
    events = [json.loads(line) for line in response.read().splitlines()]
    conn.close()
    assert [e['type'] for e in events] == ['ADDED', 'BOOKMARK']
    assert events[1]['object']['metadata']['resourceVersion'] == \
        mc.store.resource_version
    conn, response = _watch(mc, 'resourceVersion=%s&timeoutSeconds=3' % rv)
    events = [json.loads(line) for line in response.read().splitlines()]
    conn.close()
    assert [e['type'] for e in events] == ['ADDED']


def test_compacted_resource_version_is_gone(management_cluster):
    mc = management_cluster
    first = _create(mc, 'a')
    _create(mc, 'b', 100)
    status, page = _request(mc, 'GET', CM_PATH + '?limit=1')
    token = page['metadata']['continue']
    _create(mc, 'c')
    mc.store.compact()
    old = first['metadata']['resourceVersion']
    conn, response = _watch(mc, 'resourceVersion=%s&timeoutSeconds=1' % old)
    assert response.status == 200
    events = [json.loads(line) for line in response.read().splitlines()]
    conn.close()
    assert [(e['type'], e['object']['code'], e['object']['reason'])
            for e in events] == [('ERROR', 410, 'Expired')]
    status, body = _request(
        mc, 'GET', CM_PATH + '?resourceVersion=%s&resourceVersionMatch='
        'Exact' % old)
    assert status == 410
    status, body = _request(mc, 'GET', CM_PATH + '?limit=1&continue=' +
                            token)
    assert status == 410
    status, body = _request(
        mc, 'GET', CM_PATH + '?resourceVersion=%s&resourceVersionMatch='
        'NotOlderThan' % old)
    assert status == 200 and len(body['items']) == 3


def test_resource_version_not_reached_is_too_large(management_cluster):
    mc = management_cluster
    mc.server.too_large_wait = 0.2
    ahead = int(mc.store.resource_version) + 1000
    conn, response = _watch(mc, 'resourceVersion=%d' % ahead)
    events = [json.loads(line) for line in response.read().splitlines()]
    conn.close()
    assert [(e['type'], e['object']['code']) for e in events] == [
        ('ERROR', 504)]
    assert events[0]['object']['details']['causes'][0]['reason'] == \
        'ResourceVersionTooLarge'


def test_restart_cuts_watches_and_keeps_or_loses_the_store(
        management_cluster):
    mc = management_cluster
    _create(mc, 'kept')
    conn, response = _watch(mc, 'resourceVersion=0')
    assert json.loads(response.readline())['object']['metadata'][
        'name'] == 'kept'
    mc.restart()
    deadline = time.monotonic() + 10
    while response.readline() and time.monotonic() < deadline:
        pass
    assert time.monotonic() < deadline
    conn.close()
    status, body = _request(mc, 'GET', CM_PATH + '/kept')
    assert status == 200
    mc.restart(fresh_store=True)
    status, body = _request(mc, 'GET', CM_PATH + '/kept')
    assert status == 404
    assert len(mc.requests) > 0


def test_request_log_counts_response_bytes(management_cluster):
    mc = management_cluster
    _create(mc, 'sized', 5000)
    conn = http.client.HTTPConnection(mc.url[len('http://'):], timeout=10)
    conn.request('GET', CM_PATH + '/sized')
    payload = conn.getresponse().read()
    conn.close()
    logged = mc.requests.filter(verb='get', name='sized')
    assert [r.bytes for r in logged] == [len(payload)]
    assert mc.requests.bytes(verb='get', name='sized') == len(payload)
