"""The writes a reconcile asks for, and how a tick's writes are combined.

Reconcile functions return these instead of calling the API, so they can
be tested without a server.
"""

import copy
import dataclasses

from tests.kubeapi.capi import conditions
from tests.kubeapi.capi import objects


@dataclasses.dataclass
class Create:
    kind: object
    namespace: str
    body: dict


@dataclasses.dataclass
class Patch:
    """A JSON merge patch of the object, or of its status subresource.

    ``resource_version`` makes the write conditional, as finalizer
    changes must be.
    """

    kind: object
    namespace: str
    name: str
    body: dict
    status: bool = False
    resource_version: str = None


@dataclasses.dataclass
class Delete:
    kind: object
    namespace: str
    name: str


def patch(kind, obj, body, status=False, guarded=False):
    return Patch(kind, objects.namespace(obj), objects.name(obj), body,
                 status=status,
                 resource_version=(objects.meta(obj).get('resourceVersion')
                                   if guarded else None))


def delete(kind, obj):
    return Delete(kind, objects.namespace(obj), objects.name(obj))


def _merge(into, extra):
    for field, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(field), dict):
            _merge(into[field], value)
        else:
            into[field] = copy.deepcopy(value)


def coalesce(writes):
    """One patch per object and subresource, in first-seen order.

    Several controllers may patch the metadata of one object in one tick
    (a finalizer and an owner reference); sent apart, the guarded one
    would conflict with the other.
    """
    result = []
    patches = {}
    for write in writes:
        if not isinstance(write, Patch):
            result.append(write)
            continue
        target = (write.kind, write.namespace, write.name, write.status)
        if target not in patches:
            patches[target] = Patch(write.kind, write.namespace, write.name,
                                    copy.deepcopy(write.body), write.status,
                                    write.resource_version)
            result.append(patches[target])
            continue
        merged = patches[target]
        _merge(merged.body, write.body)
        merged.resource_version = (merged.resource_version
                                   or write.resource_version)
    return result


def ensure_owner(obj, kind, owner, owner_kind, controller=False):
    """A patch adding an ownerReference to ``owner``, or None if present.

    The whole list is written (merge patches replace lists), keeping the
    references others set.
    """
    if obj is None or objects.has_owner(obj, owner):
        return None
    refs = list(objects.meta(obj).get('ownerReferences') or [])
    refs.append(objects.owner_ref(owner, owner_kind, controller=controller))
    return patch(kind, obj, {'metadata': {'ownerReferences': refs}},
                 guarded=True)


def ensure_label(obj, kind, key, value):
    """A patch setting one label, or None if it is set already."""
    if obj is None or objects.labels(obj).get(key) == value:
        return None
    return patch(kind, obj, {'metadata': {'labels': {key: value}}})


def ensure_finalizer(obj, kind, finalizer):
    current = objects.finalizers(obj)
    if finalizer in current or objects.deleting(obj):
        return None
    return patch(kind, obj,
                 {'metadata': {'finalizers': current + [finalizer]}},
                 guarded=True)


def release_finalizer(obj, kind, finalizer):
    current = objects.finalizers(obj)
    if finalizer not in current:
        return None
    return patch(
        kind, obj,
        {'metadata': {'finalizers': [f for f in current if f != finalizer]}},
        guarded=True)


def status_write(kind, obj, desired, stamp):
    """A status patch bringing ``obj`` to ``desired``, or None if it is."""
    changes = conditions.status_changes(objects.status(obj), desired, stamp)
    if changes is None:
        return None
    return patch(kind, obj, {'status': changes}, status=True)
