"""Field ownership (managedFields) and server-side apply, as pure functions.

A field path is a tuple of FieldsV1 elements: ``f:<name>`` for a map key and
``k:{"<key>":<value>}`` for an item of a list with a merge key. Other lists
are atomic: owned as one leaf.
"""

import copy
import json

from tests.kubeapi import errors
from tests.kubeapi import patch as patching

_SERVER_METADATA = {'name', 'namespace', 'uid', 'resourceVersion',
                    'generation', 'creationTimestamp', 'managedFields',
                    'deletionTimestamp', 'deletionGracePeriodSeconds',
                    'selfLink', 'generateName'}


def _scope(obj, subresource):
    """The part of an object a write through this endpoint may own."""
    if not obj:
        return {}
    if subresource == 'status':
        return {'status': obj['status']} if 'status' in obj else {}
    scoped = {k: v for k, v in obj.items()
              if k not in ('apiVersion', 'kind', 'status')}
    metadata = {k: v for k, v in (obj.get('metadata') or {}).items()
                if k not in _SERVER_METADATA}
    if metadata:
        scoped['metadata'] = metadata
    else:
        scoped.pop('metadata', None)
    return scoped


def _item_key(field, items):
    key = patching.merge_key(field, items)
    if key and all(isinstance(i, dict) and key in i for i in items):
        return key
    return None


def _item_element(key, item):
    return 'k:' + json.dumps({key: item[key]}, separators=(',', ':'))


def field_paths(value, prefix=(), field=None):
    """Every owned leaf path (and associative list item) of a value."""
    paths = set()
    if isinstance(value, dict) and value:
        for name, child in value.items():
            paths |= field_paths(child, prefix + ('f:' + name,), name)
        return paths
    key = _item_key(field, value) if isinstance(value, list) and value \
        else None
    if key:
        for item in value:
            element = prefix + (_item_element(key, item),)
            paths.add(element)
            paths |= field_paths(item, element)
        return paths
    return {prefix}


_MISSING = object()


def value_at(obj, path):
    for element in path:
        if element.startswith('f:') and isinstance(obj, dict):
            obj = obj.get(element[2:], _MISSING)
        elif element.startswith('k:') and isinstance(obj, list):
            want = json.loads(element[2:])
            obj = next((i for i in obj if isinstance(i, dict) and all(
                i.get(k) == v for k, v in want.items())), _MISSING)
        else:
            return _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


def remove_path(obj, path):
    parent = value_at(obj, path[:-1])
    last = path[-1]
    if last.startswith('f:') and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith('k:') and isinstance(parent, list):
        item = value_at(obj, path)
        if item is not _MISSING:
            parent.remove(item)


def to_fieldsv1(paths):
    tree = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in paths:
        node = value_at_tree(tree, path)
        if node:
            node['.'] = {}
    return tree


def value_at_tree(tree, path):
    for element in path:
        tree = tree[element]
    return tree


def from_fieldsv1(tree, prefix=()):
    paths = set()
    for element, child in (tree or {}).items():
        if element == '.':
            paths.add(prefix)
        elif child:
            paths |= from_fieldsv1(child, prefix + (element,))
        else:
            paths.add(prefix + (element,))
    return paths


def _entries(obj):
    """managedFields as [(manager, operation, subresource, apiVersion,
    time, paths)]."""
    result = []
    for entry in (obj or {}).get('metadata', {}).get('managedFields') or []:
        result.append([entry.get('manager', ''), entry.get('operation'),
                       entry.get('subresource', ''), entry.get('apiVersion'),
                       entry.get('time'),
                       from_fieldsv1(entry.get('fieldsV1'))])
    return result


def _store_entries(obj, entries):
    managed = []
    for manager, operation, subresource, api_version, when, paths in entries:
        if not paths:
            continue
        entry = {'manager': manager, 'operation': operation,
                 'apiVersion': api_version, 'time': when,
                 'fieldsType': 'FieldsV1', 'fieldsV1': to_fieldsv1(paths)}
        if subresource:
            entry['subresource'] = subresource
        managed.append(entry)
    obj.setdefault('metadata', {})['managedFields'] = managed


def _find(entries, manager, operation, subresource, api_version, now):
    for entry in entries:
        if entry[:3] == [manager, operation, subresource]:
            entry[3], entry[4] = api_version, now
            return entry
    entry = [manager, operation, subresource, api_version, now, set()]
    entries.append(entry)
    return entry


def record_update(old, new, manager, api_version, subresource, now):
    """Give ``manager`` the fields a non-apply write changed."""
    scoped_old, scoped_new = _scope(old, subresource), _scope(new,
                                                              subresource)
    new_paths = field_paths(scoped_new) - {()}
    changed = {p for p in new_paths
               if value_at(scoped_old, p) != value_at(scoped_new, p)}
    entries = _entries(old)
    for entry in entries:
        if entry[2] == (subresource or ''):
            entry[5] = {p for p in entry[5] - changed
                        if value_at(scoped_new, p) is not _MISSING}
    if changed:
        _find(entries, manager, 'Update', subresource or '', api_version,
              now)[5] |= changed
    _store_entries(new, entries)


def apply_merge(live, config, field=None):
    """Merge an applied configuration into the live object."""
    if isinstance(config, dict):
        result = copy.deepcopy(live) if isinstance(live, dict) else {}
        for name, value in config.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = apply_merge(result.get(name), value, name)
        return result
    if isinstance(config, list) and isinstance(live, list):
        key = _item_key(field, config + live)
        if key:
            result = copy.deepcopy(live)
            for item in config:
                index = next((n for n, old in enumerate(result)
                              if old.get(key) == item[key]), None)
                if index is None:
                    result.append(copy.deepcopy(item))
                else:
                    result[index] = apply_merge(result[index], item)
            return result
    return copy.deepcopy(config)


def _owned(paths, path):
    """Whether ``path`` or one of its ancestors is in ``paths``."""
    return any(path[:n] in paths for n in range(1, len(path) + 1))


def server_side_apply(live, config, manager, force, api_version,
                      subresource, now):
    """The object after ``manager`` applies ``config``; 409 on conflicts."""
    subresource = subresource or ''
    applied_scope = _scope(config, subresource)
    applied = field_paths(applied_scope) - {()}
    entries = _entries(live)
    live_scope = _scope(live, subresource)
    conflicts = []
    for entry in entries:
        if entry[0] == manager or entry[2] != subresource:
            continue
        for path in sorted(applied):
            if _owned(entry[5], path) and value_at(
                    live_scope, path) != value_at(applied_scope, path):
                conflicts.append((entry, path))
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for entry, path in conflicts:
        entry[5] = {p for p in entry[5] if p[:len(path)] != path and
                    path[:len(p)] != p}
    mine = _find(entries, manager, 'Apply', subresource, api_version, now)
    others = set()
    for entry in entries:
        if entry is not mine:
            others |= entry[5]
    result = copy.deepcopy(live)
    for path in sorted(mine[5] - applied, key=len, reverse=True):
        if not _owned(others, path) and not any(
                p[:len(path)] == path for p in others | applied):
            remove_path(result, path)
    if subresource == 'status':
        result['status'] = apply_merge(result.get('status'),
                                       config.get('status'), 'status')
    else:
        merged = apply_merge(result, {k: v for k, v in config.items()
                                      if k != 'status'})
        merged['metadata'] = dict(merged.get('metadata') or {})
        result = merged
    mine[5] = applied
    _store_entries(result, entries)
    return result


def _dotted(path):
    parts = []
    for element in path:
        if element.startswith('f:'):
            parts.append('.' + element[2:])
        else:
            parts.append('[%s]' % element[2:].strip('{}').replace('"', ''))
    return ''.join(parts)


def _conflict_error(conflicts):
    causes = [{'type': 'FieldManagerConflict',
               'message': 'conflict with "%s" using %s' % (entry[0],
                                                           entry[3]),
               'field': _dotted(path)} for entry, path in conflicts]
    lines = ['- %s: %s' % (c['message'], c['field']) for c in causes]
    message = 'Apply failed with %d conflict%s: %s' % (
        len(causes), '' if len(causes) == 1 else 's',
        '\n'.join(lines) if len(causes) > 1 else
        '%s: %s' % (causes[0]['message'], causes[0]['field']))
    return errors.Conflict(message, {'causes': causes})
