"""The resource types the server knows: built-in kinds and served CRDs.

A resource type is keyed by (group, plural) and may be served at several
versions. Objects are stored once, as given; serving another version only
rewrites ``apiVersion`` (no conversion webhooks: a simplification that is
enough while the stored fields are the same in every served version).
"""

import dataclasses
import re
import threading

VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch',
         'update', 'watch']


@dataclasses.dataclass
class ResourceType:
    group: str
    versions: list
    kind: str
    plural: str
    namespaced: bool = True
    short_names: list = dataclasses.field(default_factory=list)
    categories: list = dataclasses.field(default_factory=list)
    status: bool = False
    scale: dict = None
    builtin: bool = True

    @property
    def singular(self):
        return self.kind.lower()

    @property
    def key(self):
        return (self.group, self.plural)

    def api_version(self, version=None):
        version = version or self.versions[0]
        return '%s/%s' % (self.group, version) if self.group else version

    @property
    def tracks_generation(self):
        return not self.builtin or self.status


def _builtin(group, version, kind, plural, namespaced=True, short=(),
             status=False):
    return ResourceType(group, [version], kind, plural, namespaced,
                        list(short), ['all'] if kind in _ALL else [],
                        status)


_ALL = {'Pod', 'Service', 'Deployment', 'ReplicaSet', 'StatefulSet',
        'DaemonSet', 'Job'}

BUILTINS = [
    _builtin('', 'v1', 'Namespace', 'namespaces', False, ['ns'], True),
    _builtin('', 'v1', 'Secret', 'secrets'),
    _builtin('', 'v1', 'ConfigMap', 'configmaps', short=['cm']),
    _builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', short=['sa']),
    _builtin('', 'v1', 'Service', 'services', short=['svc'], status=True),
    _builtin('', 'v1', 'Event', 'events', short=['ev']),
    _builtin('', 'v1', 'Pod', 'pods', short=['po'], status=True),
    _builtin('', 'v1', 'Endpoints', 'endpoints', short=['ep']),
    _builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims',
             short=['pvc'], status=True),
    _builtin('', 'v1', 'Node', 'nodes', False, ['no'], True),
    _builtin('apps', 'v1', 'Deployment', 'deployments', short=['deploy'],
             status=True),
    _builtin('apps', 'v1', 'ReplicaSet', 'replicasets', short=['rs'],
             status=True),
    _builtin('apps', 'v1', 'StatefulSet', 'statefulsets', short=['sts'],
             status=True),
    _builtin('apps', 'v1', 'DaemonSet', 'daemonsets', short=['ds'],
             status=True),
    _builtin('batch', 'v1', 'Job', 'jobs', status=True),
    _builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets',
             short=['pdb'], status=True),
    _builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies',
             short=['netpol']),
    _builtin('networking.k8s.io', 'v1', 'Ingress', 'ingresses',
             short=['ing'], status=True),
    _builtin('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses',
             False, ['sc']),
    _builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
    _builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding',
             'rolebindings'),
    _builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole',
             'clusterroles', False),
    _builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding',
             'clusterrolebindings', False),
    _builtin('coordination.k8s.io', 'v1', 'Lease', 'leases'),
    _builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition',
             'customresourcedefinitions', False, ['crd', 'crds'], True),
]


def from_crd(crd):
    """The resource type a CustomResourceDefinition object serves."""
    spec = crd.get('spec', {})
    names = spec.get('names', {})
    served = [v for v in spec.get('versions', []) if v.get('served', True)]
    subresources = {}
    for version in served:
        subresources.update(version.get('subresources') or {})
    return ResourceType(
        group=spec.get('group', ''),
        versions=_by_priority([v['name'] for v in served]),
        kind=names.get('kind', ''),
        plural=names.get('plural', ''),
        namespaced=spec.get('scope', 'Namespaced') == 'Namespaced',
        short_names=list(names.get('shortNames') or []),
        categories=list(names.get('categories') or []),
        status='status' in subresources,
        scale=subresources.get('scale'),
        builtin=False)


def _version_priority(name):
    """Kubernetes version ordering: GA > beta > alpha, then by number."""
    match = re.match(r'^v(\d+)(?:(alpha|beta)(\d+))?$', name)
    if not match:
        return (0, 0, 0, name)
    stage = {'alpha': 1, 'beta': 2, None: 3}[match.group(2)]
    return (stage, int(match.group(1)), int(match.group(3) or 0), '')


def _by_priority(names):
    return sorted(names, key=_version_priority, reverse=True)


class Registry:
    """Thread-safe map of served resource types, changed by CRDs."""

    def __init__(self):
        self._lock = threading.Lock()
        self._types = {rt.key: rt for rt in BUILTINS}

    def add(self, rtype):
        with self._lock:
            self._types[rtype.key] = rtype

    def remove(self, key):
        with self._lock:
            self._types.pop(key, None)

    def get(self, group, plural):
        with self._lock:
            return self._types.get((group, plural))

    def lookup(self, group, version, plural):
        rtype = self.get(group, plural)
        if rtype and version in rtype.versions:
            return rtype
        return None

    def by_kind(self, group, kind):
        with self._lock:
            for rtype in self._types.values():
                if rtype.group == group and rtype.kind == kind:
                    return rtype
        return None

    def all(self):
        with self._lock:
            return list(self._types.values())

    def group_versions(self):
        """{group: [versions by priority]} for everything served."""
        groups = {}
        for rtype in self.all():
            versions = groups.setdefault(rtype.group, [])
            for version in rtype.versions:
                if version not in versions:
                    versions.append(version)
        return {g: _by_priority(v) for g, v in groups.items()}
