"""The stand-in's pure parts (table tests) and its raw HTTP protocol."""

import http.client
import json
import threading
import time

import pytest

from tests.kubeapi import errors
from tests.kubeapi import fields
from tests.kubeapi import patch
from tests.kubeapi import protobuf
from tests.kubeapi import selectors

LABELS = {'app': 'web', 'tier': 'gold'}


@pytest.mark.parametrize('selector,matches', [
    ('', True), ('app=web', True), ('app==web', True), ('app!=web', False),
    ('app in (web,db)', True), ('app notin (web)', False),
    ('tier', True), ('!tier', False), ('missing', False),
    ('!missing', True), ('app=web,tier in (silver)', False),
    ('missing!=x', True),
])
def test_label_selectors(selector, matches):
    assert selectors.match_labels(selectors.parse_labels(selector),
                                  LABELS) is matches


@pytest.mark.parametrize('selector,matches', [
    ('metadata.name=a', True), ('metadata.name!=a', False),
    ('metadata.namespace==ns', True), ('spec.paused=true', True),
    ('status.phase=Running', False),
])
def test_field_selectors(selector, matches):
    obj = {'metadata': {'name': 'a', 'namespace': 'ns'},
           'spec': {'paused': True}}
    assert selectors.match_fields(selectors.parse_fields(selector),
                                  obj) is matches


def test_bad_selector_names_the_term():
    with pytest.raises(errors.BadRequest, match='a b c'):
        selectors.parse_labels('a b c')


@pytest.mark.parametrize('target,body,expected', [
    ({'a': 1, 'b': {'c': 2}}, {'b': {'c': None, 'd': 3}},
     {'a': 1, 'b': {'d': 3}}),
    ({'l': [1, 2]}, {'l': [3]}, {'l': [3]}),
])
def test_merge_patch(target, body, expected):
    assert patch.merge_patch(target, body) == expected


def test_strategic_merge_patch_merges_by_key():
    target = {'containers': [
        {'name': 'a', 'image': 'x', 'env': [{'name': 'E', 'value': '1'}]},
        {'name': 'b', 'image': 'y'}], 'args': ['1']}
    body = {'containers': [
        {'name': 'a', 'env': [{'name': 'F', 'value': '2'}]},
        {'name': 'b', '$patch': 'delete'}, {'name': 'c', 'image': 'z'}],
        'args': ['2'], '$setElementOrder/containers': [{'name': 'a'}]}
    assert patch.strategic_merge_patch(target, body) == {
        'containers': [
            {'name': 'a', 'image': 'x',
             'env': [{'name': 'E', 'value': '1'},
                     {'name': 'F', 'value': '2'}]},
            {'name': 'c', 'image': 'z'}],
        'args': ['2']}


def test_strategic_merge_patch_replace_directive():
    assert patch.strategic_merge_patch(
        {'spec': {'a': 1, 'b': 2}},
        {'spec': {'$patch': 'replace', 'c': 3}}) == {'spec': {'c': 3}}


def test_json_patch():
    doc = {'a': {'b': [1, 2]}, 'c': 1}
    result = patch.json_patch(doc, [
        {'op': 'add', 'path': '/a/b/-', 'value': 3},
        {'op': 'replace', 'path': '/c', 'value': 2},
        {'op': 'move', 'from': '/c', 'path': '/d'},
        {'op': 'copy', 'from': '/d', 'path': '/e'},
        {'op': 'remove', 'path': '/a/b/0'},
        {'op': 'test', 'path': '/e', 'value': 2}])
    assert result == {'a': {'b': [2, 3]}, 'd': 2, 'e': 2}
    with pytest.raises(errors.Invalid):
        patch.json_patch(doc, [{'op': 'test', 'path': '/c', 'value': 9}])


def test_apply_ownership_and_conflicts():
    now = '2026-01-01T00:00:00Z'
    config = {'metadata': {'name': 'x', 'labels': {'a': '1'}},
              'spec': {'replicas': 1, 'paused': True}}
    obj = fields.server_side_apply({}, config, 'helm', False, 'v1', '', now)
    obj = fields.server_side_apply(
        obj, {'metadata': {'name': 'x'}, 'spec': {'replicas': 1}},
        'other', False, 'v1', '', now)
    with pytest.raises(errors.Conflict, match='conflict with "helm"'):
        fields.server_side_apply(
            obj, {'metadata': {'name': 'x'}, 'spec': {'replicas': 5}},
            'other', False, 'v1', '', now)
    obj = fields.server_side_apply(
        obj, {'metadata': {'name': 'x'}, 'spec': {'replicas': 1}},
        'helm', False, 'v1', '', now)
    assert obj['metadata']['labels'] == {}
    assert obj['spec'] == {'replicas': 1}
    managers = {e['manager']: e['fieldsV1']
                for e in obj['metadata']['managedFields']}
    assert managers['other'] == {'f:spec': {'f:replicas': {}}}


def _varint(value):
    out = b''
    while True:
        byte, value = value & 0x7f, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def _field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_protobuf_secret():
    meta = (_field(1, 'sh.helm.release.v1.r.v1') + _field(3, 'ns') +
            _field(11, _field(1, 'owner') + _field(2, 'helm')) +
            _field(14, 'f1'))
    secret = (_field(1, meta) + _field(2, _field(1, 'release') +
                                       _field(2, b'\x00\xff')) +
              _field(3, 'helm.sh/release.v1'))
    body = protobuf.MAGIC + _field(1, _field(1, 'v1') + _field(2, 'Secret')) \
        + _field(2, secret)
    assert protobuf.decode(body) == {
        'apiVersion': 'v1', 'kind': 'Secret', 'type': 'helm.sh/release.v1',
        'metadata': {'name': 'sh.helm.release.v1.r.v1', 'namespace': 'ns',
                     'labels': {'owner': 'helm'}, 'finalizers': ['f1']},
        'data': {'release': 'AP8='}}


def test_protobuf_rejects_other_kinds():
    body = protobuf.MAGIC + _field(1, _field(1, 'v1') + _field(2, 'Pod'))
    with pytest.raises(errors.UnsupportedMediaType, match='Pod'):
        protobuf.decode(body)


def _request(mc, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(mc.url[len('http://'):], timeout=10)
    conn.request(method, path, body=json.dumps(body) if body else None,
                 headers=dict({'Content-Type': 'application/json'},
                              **(headers or {})))
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b'null')


CM_PATH = '/api/v1/namespaces/default/configmaps'


def test_errors_are_status_objects(management_cluster):
    status, body = _request(management_cluster, 'GET', CM_PATH + '/nope')
    assert (status, body['kind'], body['reason']) == (404, 'Status',
                                                      'NotFound')
    cm = {'metadata': {'generateName': 'cm-'}, 'data': {'a': 'b'}}
    status, created = _request(management_cluster, 'POST', CM_PATH, cm)
    assert status == 201 and created['metadata']['name'].startswith('cm-')
    status, body = _request(management_cluster, 'POST', CM_PATH, created)
    assert (status, body['reason']) == (409, 'AlreadyExists')
    status, body = _request(management_cluster, 'POST', CM_PATH,
                            {'metadata': {}})
    assert (status, body['reason']) == (422, 'Invalid')
    status, body = _request(
        management_cluster, 'PATCH',
        CM_PATH + '/' + created['metadata']['name'], {},
        {'Content-Type': 'text/plain'})
    assert (status, body['reason']) == (415, 'UnsupportedMediaType')
    status, body = _request(management_cluster, 'POST', CM_PATH + '/x/status')
    assert status in (404, 405)
    status, body = _request(management_cluster, 'GET', '/openapi/v3')
    assert status == 404


def test_crd_creation_serves_new_group(management_cluster):
    crd = {'apiVersion': 'apiextensions.k8s.io/v1',
           'kind': 'CustomResourceDefinition',
           'metadata': {'name': 'widgets.example.com'},
           'spec': {'group': 'example.com', 'scope': 'Namespaced',
                    'names': {'kind': 'Widget', 'plural': 'widgets'},
                    'versions': [{'name': 'v1', 'served': True,
                                  'storage': True}]}}
    status, _ = _request(management_cluster, 'GET', '/apis/example.com/v1')
    assert status == 404
    status, created = _request(
        management_cluster, 'POST',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
    conditions = {c['type']: c['status']
                  for c in created['status']['conditions']}
    assert conditions == {'Established': 'True', 'NamesAccepted': 'True'}
    status, listed = _request(management_cluster, 'GET',
                              '/apis/example.com/v1')
    assert [r['name'] for r in listed['resources']] == ['widgets']
    status, body = _request(
        management_cluster, 'GET',
        '/apis/example.com/v1/namespaces/default/widgets')
    assert body['metadata']['continue'] == '' and body['items'] == []


def _watch_lines(mc, query):
    conn = http.client.HTTPConnection(mc.url[len('http://'):], timeout=10)
    conn.request('GET', CM_PATH + '?watch=true&' + query)
    return conn, conn.getresponse()


def test_watch_list_protocol_and_gone_clients(management_cluster):
    _request(management_cluster, 'POST', CM_PATH,
             {'metadata': {'name': 'first'}})
    threads = threading.active_count()
    conn, response = _watch_lines(
        management_cluster, 'sendInitialEvents=true&allowWatchBookmarks=true'
        '&resourceVersionMatch=NotOlderThan')
    first = json.loads(response.readline())
    assert (first['type'], first['object']['metadata']['name']) == (
        'ADDED', 'first')
    bookmark = json.loads(response.readline())
    assert bookmark['type'] == 'BOOKMARK'
    assert bookmark['object']['metadata']['annotations'] == {
        'k8s.io/initial-events-end': 'true'}
    _request(management_cluster, 'POST', CM_PATH,
             {'metadata': {'name': 'second'}})
    live = json.loads(response.readline())
    assert (live['type'], live['object']['metadata']['name']) == (
        'ADDED', 'second')
    conn.close()
    deadline = time.monotonic() + 5
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.1)
    assert threading.active_count() <= threads


def test_watch_from_resource_version_and_timeout(management_cluster):
    _, created = _request(management_cluster, 'POST', CM_PATH,
                          {'metadata': {'name': 'w'}})
    rv = created['metadata']['resourceVersion']
    _request(management_cluster, 'DELETE', CM_PATH + '/w')
    started = time.monotonic()
    conn, response = _watch_lines(management_cluster,
                                  'resourceVersion=%s&timeoutSeconds=1' % rv)
    events = [json.loads(line) for line in response.read().splitlines()]
    assert [e['type'] for e in events] == ['DELETED']
    assert 0.9 < time.monotonic() - started < 3
    conn.close()
