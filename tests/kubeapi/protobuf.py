"""Decode Kubernetes protobuf request bodies into plain JSON-like dicts.

A body is the magic ``k8s\\0`` then a runtime.Unknown message: field 1 is
TypeMeta (apiVersion, kind), field 2 the raw bytes of the typed message.
Only the kinds clients send as protobuf here are described; unknown fields
are skipped.
"""

import base64
import struct

from tests.kubeapi import errors

MAGIC = b'k8s\x00'


def _varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise errors.BadRequest('truncated protobuf varint')
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7f) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """Yield (field number, wire type, value) of one message."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = struct.unpack('<q', data[pos:pos + 8])[0], pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack('<i', data[pos:pos + 4])[0], pos + 4
        else:
            raise errors.BadRequest('unsupported protobuf wire type %d'
                                    % wire)
        yield number, wire, value


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


# Schemas: field number -> (name, type, repeated). Types are 'string',
# 'bytes' (base64 in JSON), 'int', 'bool', a schema dict (sub-message), or
# ('map', value type).
OWNER_REFERENCE = {1: ('kind', 'string', False), 3: ('name', 'string', False),
                   4: ('uid', 'string', False),
                   5: ('apiVersion', 'string', False),
                   6: ('controller', 'bool', False),
                   7: ('blockOwnerDeletion', 'bool', False)}
OBJECT_META = {
    1: ('name', 'string', False), 2: ('generateName', 'string', False),
    3: ('namespace', 'string', False), 5: ('uid', 'string', False),
    6: ('resourceVersion', 'string', False), 7: ('generation', 'int', False),
    10: ('deletionGracePeriodSeconds', 'int', False),
    11: ('labels', ('map', 'string'), False),
    12: ('annotations', ('map', 'string'), False),
    13: ('ownerReferences', OWNER_REFERENCE, True),
    14: ('finalizers', 'string', True),
}
SECRET = {1: ('metadata', OBJECT_META, False),
          2: ('data', ('map', 'bytes'), False),
          3: ('type', 'string', False),
          4: ('stringData', ('map', 'string'), False),
          5: ('immutable', 'bool', False)}
CONFIG_MAP = {1: ('metadata', OBJECT_META, False),
              2: ('data', ('map', 'string'), False),
              3: ('binaryData', ('map', 'bytes'), False),
              4: ('immutable', 'bool', False)}
NAMESPACE = {1: ('metadata', OBJECT_META, False),
             2: ('spec', {1: ('finalizers', 'string', True)}, False)}
PRECONDITIONS = {1: ('uid', 'string', False),
                 2: ('resourceVersion', 'string', False)}
DELETE_OPTIONS = {1: ('gracePeriodSeconds', 'int', False),
                  2: ('preconditions', PRECONDITIONS, False),
                  3: ('orphanDependents', 'bool', False),
                  4: ('propagationPolicy', 'string', False),
                  5: ('dryRun', 'string', True)}
SCHEMAS = {'Secret': SECRET, 'ConfigMap': CONFIG_MAP,
           'Namespace': NAMESPACE, 'DeleteOptions': DELETE_OPTIONS}


def _scalar(kind, value):
    if kind == 'string':
        return value.decode('utf-8')
    if kind == 'bytes':
        return base64.b64encode(value).decode('ascii')
    if kind == 'int':
        return _signed(value)
    if kind == 'bool':
        return bool(value)
    return decode_message(value, kind)


def decode_message(data, schema):
    """Zero scalars are left out, as Go's omitempty JSON would."""
    result = {}
    for number, _, value in fields(data):
        if number not in schema:
            continue
        name, kind, repeated = schema[number]
        if isinstance(kind, tuple):
            entry = dict((n, v) for n, _, v in fields(value))
            key = entry.get(1, b'').decode('utf-8')
            result.setdefault(name, {})[key] = _scalar(kind[1],
                                                       entry.get(2, b''))
        elif not isinstance(kind, dict) and not value and kind != 'bytes':
            continue
        elif repeated:
            result.setdefault(name, []).append(_scalar(kind, value))
        else:
            result[name] = _scalar(kind, value)
    return result


def decode(body):
    """A protobuf request body as the dict its JSON form would give."""
    if not body.startswith(MAGIC):
        raise errors.BadRequest('protobuf body without the k8s magic prefix')
    unknown = dict((n, v) for n, _, v in fields(body[len(MAGIC):]))
    type_meta = dict((n, v) for n, _, v in fields(unknown.get(1, b'')))
    api_version = type_meta.get(1, b'').decode('utf-8')
    kind = type_meta.get(2, b'').decode('utf-8')
    if kind not in SCHEMAS:
        raise errors.UnsupportedMediaType(
            'protobuf bodies are accepted for %s, not %r'
            % (', '.join(sorted(SCHEMAS)), kind))
    obj = decode_message(unknown.get(2, b''), SCHEMAS[kind])
    obj['apiVersion'], obj['kind'] = api_version, kind
    return obj
