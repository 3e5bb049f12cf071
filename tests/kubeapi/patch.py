"""JSON merge patch, strategic merge patch and JSON patch, as pure functions.

The strategic merge patch knows the merge keys of the lists that built-in
kinds use most; any other list is replaced, as for a list without a
``patchMergeKey`` in the Go types.
"""

import copy

from tests.kubeapi import errors

# list field name -> merge key; "ports" depends on what the items carry.
MERGE_KEYS = {
    'containers': 'name', 'initContainers': 'name',
    'ephemeralContainers': 'name', 'env': 'name', 'volumes': 'name',
    'volumeMounts': 'mountPath', 'imagePullSecrets': 'name',
    'envFrom': None, 'ports': ('containerPort', 'port'),
    'conditions': 'type', 'hostAliases': 'ip', 'tolerations': None,
    'ownerReferences': 'uid', 'subsets': None,
}


def merge_key(field, items):
    """The merge key of list ``field`` for these items, or None (atomic)."""
    key = MERGE_KEYS.get(field)
    if isinstance(key, tuple):
        for candidate in key:
            if items and all(isinstance(i, dict) and candidate in i
                             for i in items):
                return candidate
        return None
    return key


def merge_patch(target, patch):
    """RFC 7386: maps merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch):
    """Strategic merge: merge-keyed lists merge item by item."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get('$patch')
    if directive == 'replace':
        return {k: copy.deepcopy(v) for k, v in patch.items()
                if k != '$patch'}
    if directive == 'delete':
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith('$setElementOrder/') or key in ('$patch',
                                                          '$retainKeys'):
            continue
        if key.startswith('$deleteFromPrimitiveList/'):
            field = key.split('/', 1)[1]
            result[field] = [v for v in result.get(field) or []
                             if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value)
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    if '$retainKeys' in patch:
        keep = set(patch['$retainKeys'])
        result = {k: v for k, v in result.items() if k in keep}
    return result


def _merge_list(field, current, patch_items):
    current = current if isinstance(current, list) else []
    replace = [i for i in patch_items
               if isinstance(i, dict) and i.get('$patch') == 'replace']
    if replace:
        return [copy.deepcopy(i) for i in patch_items
                if not (isinstance(i, dict) and '$patch' in i)]
    key = merge_key(field, [i for i in patch_items + current
                            if not (isinstance(i, dict) and '$patch' in i
                                    and len(i) <= 2)])
    if key is None:
        return copy.deepcopy(patch_items)
    result = copy.deepcopy(current)
    for item in patch_items:
        if not isinstance(item, dict) or key not in item:
            raise errors.BadRequest(
                'list %r items need the merge key %r' % (field, key))
        index = next((n for n, old in enumerate(result)
                      if isinstance(old, dict)
                      and old.get(key) == item[key]), None)
        if item.get('$patch') == 'delete':
            if index is not None:
                del result[index]
        elif index is None:
            result.append(strategic_merge_patch({}, item))
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def _pointer(path):
    if path == '':
        return []
    if not path.startswith('/'):
        raise errors.BadRequest('JSON pointer %r must start with "/"' % path)
    return [p.replace('~1', '/').replace('~0', '~')
            for p in path[1:].split('/')]


def _walk(doc, parts, path):
    for part in parts:
        if isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError):
                raise errors.Invalid('JSON patch path %r not found' % path)
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise errors.Invalid('JSON patch path %r not found' % path)
    return doc


def _remove(doc, path):
    parts = _pointer(path)
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    try:
        if isinstance(parent, list):
            return parent.pop(int(last))
        return parent.pop(last)
    except (ValueError, IndexError, KeyError):
        raise errors.Invalid('JSON patch path %r not found' % path)


def _add(doc, path, value):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _walk(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, list):
        if last == '-':
            parent.append(value)
        else:
            try:
                index = int(last)
            except ValueError:
                raise errors.Invalid('bad list index in %r' % path)
            if index > len(parent):
                raise errors.Invalid('index out of range in %r' % path)
            parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise errors.Invalid('JSON patch path %r not found' % path)
    return doc


def json_patch(target, operations):
    """RFC 6902: add, remove, replace, move, copy, test."""
    if not isinstance(operations, list):
        raise errors.BadRequest('a JSON patch must be a list of operations')
    doc = copy.deepcopy(target)
    for op in operations:
        kind, path = op.get('op'), op.get('path', '')
        if kind == 'add':
            doc = _add(doc, path, copy.deepcopy(op.get('value')))
        elif kind == 'remove':
            _remove(doc, path)
        elif kind == 'replace':
            _remove(doc, path)
            doc = _add(doc, path, copy.deepcopy(op.get('value')))
        elif kind == 'move':
            value = _remove(doc, op['from'])
            doc = _add(doc, path, value)
        elif kind == 'copy':
            value = copy.deepcopy(_walk(doc, _pointer(op['from']),
                                        op['from']))
            doc = _add(doc, path, value)
        elif kind == 'test':
            if _walk(doc, _pointer(path), path) != op.get('value'):
                raise errors.Invalid('JSON patch test failed at %r' % path)
        else:
            raise errors.BadRequest(
                'JSON patch op %r: accepted are add, remove, replace, move,'
                ' copy, test' % kind)
    return doc
