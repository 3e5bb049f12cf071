"""Read-only helpers over objects as plain dicts (decoded JSON)."""

from tests.kubeapi.capi import kinds


def meta(obj):
    return obj.get('metadata') or {}


def name(obj):
    return meta(obj).get('name')


def namespace(obj):
    return meta(obj).get('namespace')


def uid(obj):
    return meta(obj).get('uid')


def labels(obj):
    return meta(obj).get('labels') or {}


def annotations(obj):
    return meta(obj).get('annotations') or {}


def finalizers(obj):
    return list(meta(obj).get('finalizers') or [])


def generation(obj):
    return meta(obj).get('generation') or 1


def deleting(obj):
    return bool(meta(obj).get('deletionTimestamp'))


def spec(obj):
    return obj.get('spec') or {}


def status(obj):
    return obj.get('status') or {}


def key(obj):
    """Namespace and name: how references between objects are resolved."""
    return namespace(obj), name(obj)


def owner_ref(owner, kind, controller=True):
    """An ownerReference to ``owner`` as controllers write it."""
    ref = {'apiVersion': kind.api_version, 'kind': kind.kind,
           'name': name(owner), 'uid': uid(owner)}
    if controller:
        ref.update(controller=True, blockOwnerDeletion=True)
    return ref


def owned_by(obj, owner):
    """Whether ``owner`` is the controller of ``obj``."""
    return any(ref.get('uid') == uid(owner) and ref.get('controller')
               for ref in meta(obj).get('ownerReferences') or [])


def has_owner(obj, owner):
    return any(ref.get('uid') == uid(owner)
               for ref in meta(obj).get('ownerReferences') or [])


def cluster_name(obj):
    """The cluster an object belongs to, as CAPI resolves it."""
    found = (spec(obj).get('clusterName')
             or labels(obj).get(kinds.CLUSTER_NAME_LABEL))
    if found:
        return found
    for ref in meta(obj).get('ownerReferences') or []:
        if (ref.get('kind') == kinds.CLUSTER.kind
                and ref.get('apiVersion', '').startswith('cluster.x-k8s.io/')):
            return ref.get('name')
    return None


def condition(obj, type_, v1beta2=False):
    """The condition ``type_`` of ``obj`` (a dict), or an empty dict."""
    current = status(obj)
    if v1beta2:
        current = current.get('v1beta2') or {}
    for item in current.get('conditions') or []:
        if item.get('type') == type_:
            return item
    return {}


def is_true(obj, type_):
    return condition(obj, type_).get('status') == 'True'


def labels_match(obj, selector):
    """Whether ``obj`` carries every label of ``selector`` (matchLabels)."""
    mine = labels(obj)
    return all(mine.get(k) == v for k, v in selector.items())


def selector_string(selector):
    return ','.join('%s=%s' % item for item in sorted(selector.items()))
