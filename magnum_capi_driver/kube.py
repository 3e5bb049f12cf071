"""Thin adapter over pykube-ng for the management cluster.

Cluster API objects are always read at an explicit API version (v1beta1:
CAPI v1.13 stores v1beta2 but still serves v1beta1), so a storage-version
change on the management cluster cannot change what the driver sees. Every
failure to talk to the management cluster becomes ManagementClusterError with
a message that names what was attempted, never a request body.
"""

import functools
import threading

import pykube
import requests

from magnum_capi_driver import exceptions
from magnum_capi_driver import status

# kind -> (apiVersion, plural, namespaced)
KINDS = {
    'Cluster': ('cluster.x-k8s.io/v1beta1', 'clusters'),
    'MachineDeployment': ('cluster.x-k8s.io/v1beta1', 'machinedeployments'),
    'Machine': ('cluster.x-k8s.io/v1beta1', 'machines'),
    'KubeadmControlPlane': ('controlplane.cluster.x-k8s.io/v1beta1',
                            'kubeadmcontrolplanes'),
    'OpenStackCluster': ('infrastructure.cluster.x-k8s.io/v1beta1',
                         'openstackclusters'),
    'Secret': ('v1', 'secrets'),
    'Namespace': ('v1', 'namespaces'),
    'Lease': ('coordination.k8s.io/v1', 'leases'),
}

DELETE_MACHINE_ANNOTATION = 'cluster.x-k8s.io/delete-machine'

_clients = {}
_clients_lock = threading.Lock()


def client(kubeconfig_file='', context=''):
    """One HTTP client (one keep-alive session) per kubeconfig and context."""
    key = (kubeconfig_file, context)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = Kube(_load_config(kubeconfig_file, context))
        return _clients[key]


def _load_config(kubeconfig_file, context):
    try:
        if kubeconfig_file:
            config = pykube.KubeConfig.from_file(kubeconfig_file)
        else:
            config = pykube.KubeConfig.from_env()
    except Exception as exc:
        raise exceptions.ManagementClusterError(
            action='load the kubeconfig %r' % (kubeconfig_file or '(default)'),
            error=exc.__class__.__name__)
    if context:
        config.set_current_context(context)
    return config


def _translate_errors(action_template):
    """Turn transport and HTTP failures into ManagementClusterError."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, kind, namespace, *args, **kwargs):
            try:
                return func(self, kind, namespace, *args, **kwargs)
            except requests.HTTPError as exc:
                status = exc.response.status_code
                reason = _status_reason(exc.response)
                raise exceptions.ManagementClusterError(
                    action=action_template % {'kind': kind, 'ns': namespace},
                    error='HTTP %s %s' % (status, reason))
            except requests.RequestException as exc:
                raise exceptions.ManagementClusterError(
                    action=action_template % {'kind': kind, 'ns': namespace},
                    error=exc.__class__.__name__)
        return wrapper
    return decorator


def _status_reason(response):
    try:
        body = response.json()
    except ValueError:
        return response.reason or ''
    return body.get('reason') or body.get('message') or ''


class Kube(object):
    """The few verbs the driver needs, over one pykube-ng HTTPClient."""

    def __init__(self, config):
        self.api = pykube.HTTPClient(config)

    def _call(self, method, kind, namespace, name='', params=None,
              **kwargs):
        version, plural = KINDS[kind]
        url = plural + ('/' + name if name else '')
        response = self.api.request(method, version=version,
                                    namespace=namespace, url=url,
                                    params=params, **kwargs)
        return response

    @_translate_errors('read %(kind)s in %(ns)s')
    def get(self, kind, namespace, name):
        """The object as a dict, or None if it does not exist."""
        response = self._call('GET', kind, namespace, name)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    @_translate_errors('list %(kind)s in %(ns)s')
    def list(self, kind, namespace, label_selector=None):
        params = {'labelSelector': label_selector} if label_selector else None
        response = self._call('GET', kind, namespace, params=params)
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return response.json().get('items') or []

    def ensure_namespace(self, namespace):
        """Create the project's namespace unless it exists."""
        if self.get('Namespace', None, namespace) is None:
            self.create('Namespace', None, {
                'apiVersion': 'v1', 'kind': 'Namespace',
                'metadata': {'name': namespace}})

    @_translate_errors('create %(kind)s in %(ns)s')
    def create(self, kind, namespace, obj):
        """Create obj; an object that already exists is left as it is."""
        response = self._call('POST', kind, namespace, json=obj)
        if response.status_code == 409:
            return None
        response.raise_for_status()
        return response.json()

    @_translate_errors('update %(kind)s in %(ns)s')
    def replace(self, kind, namespace, name, obj):
        """PUT obj; None on a resourceVersion conflict (read again)."""
        response = self._call('PUT', kind, namespace, name, json=obj)
        if response.status_code == 409:
            return None
        response.raise_for_status()
        return response.json()

    @_translate_errors('patch %(kind)s in %(ns)s')
    def merge_patch(self, kind, namespace, name, patch):
        response = self._call(
            'PATCH', kind, namespace, name, json=patch,
            headers={'Content-Type': 'application/merge-patch+json'})
        response.raise_for_status()
        return response.json()

    @_translate_errors('delete %(kind)s in %(ns)s')
    def delete(self, kind, namespace, name):
        """Delete the object; one already gone is fine."""
        response = self._call('DELETE', kind, namespace, name)
        if response.status_code != 404:
            response.raise_for_status()


def delete_labelled(kube, kinds, namespace, selector):
    """Delete every object of these kinds in namespace matching selector.

    Listed, then deleted one by one (404 is fine), so a second call after
    a partial failure finishes the job. Returns the names deleted, by kind.
    """
    deleted = {}
    for kind in kinds:
        for obj in kube.list(kind, namespace, selector):
            name = obj['metadata']['name']
            kube.delete(kind, namespace, name)
            deleted.setdefault(kind, []).append(name)
    return deleted


def cluster_objects(kube, namespace, release):
    """Every CAPI object of one cluster, as raw v1beta1 dicts.

    Five requests whatever the cluster's size. Objects are matched by the
    Cluster name they declare (spec.clusterName), which CAPI requires, rather
    than by chart-specific labels.
    """
    cluster = kube.get('Cluster', namespace, release)
    spec = (cluster or {}).get('spec', {})
    cp_name = (spec.get('controlPlaneRef') or {}).get(
        'name', release + '-control-plane')
    infra_name = (spec.get('infrastructureRef') or {}).get('name')
    control_plane = kube.get('KubeadmControlPlane', namespace, cp_name)
    infra = [o for o in kube.list('OpenStackCluster', namespace)
             if _belongs(o, release, infra_name)]
    deployments = [o for o in kube.list('MachineDeployment', namespace)
                   if o.get('spec', {}).get('clusterName') == release]
    machines = [o for o in kube.list('Machine', namespace)
                if o.get('spec', {}).get('clusterName') == release]
    return dict(cluster=cluster, openstack_cluster=infra[0] if infra else None,
                control_plane=control_plane,
                machine_deployments=deployments, machines=machines)


def _belongs(obj, release, infra_name):
    meta = obj.get('metadata', {})
    if infra_name:
        return meta.get('name') == infra_name
    labels = meta.get('labels') or {}
    return (labels.get('cluster.x-k8s.io/cluster-name') == release
            or labels.get('capi.stackhpc.com/cluster') == release
            or meta.get('name') == release)


def release_started_at(kube, namespace, release):
    """When the newest Helm revision of the release was written.

    Helm stores each revision as a Secret; the newest one's creation time is
    when the current operation (install, upgrade) started, which is what
    update timeouts are measured from.
    """
    secrets = kube.list('Secret', namespace,
                        'owner=helm,name=%s' % release)
    if not secrets:
        return None
    newest = max(secrets, key=lambda s: int(
        (s['metadata'].get('labels') or {}).get('version', '0')))
    return status.parse_time(newest['metadata'].get('creationTimestamp'))


def note_delete_request(kube, namespace, release, moment):
    """Stamp the Cluster with when a delete was asked for (if it exists).

    Kubernetes keeps the first deletionTimestamp; this lets a delete
    retried after DELETE_FAILED be timed from the retry.
    """
    try:
        kube.merge_patch('Cluster', namespace, release, {'metadata': {
            'annotations': {status.DELETE_REQUESTED:
                            status.format_time(moment)}}})
    except exceptions.ManagementClusterError:
        if kube.get('Cluster', namespace, release) is not None:
            raise


def machine_matches(machine, node):
    """Whether a Magnum node reference (name, server id) names this Machine."""
    status = machine.get('status') or {}
    provider_id = machine.get('spec', {}).get('providerID') or ''
    candidates = {
        machine['metadata']['name'],
        (status.get('nodeRef') or {}).get('name'),
        provider_id.rsplit('/', 1)[-1] if provider_id else None,
    }
    candidates.update(a.get('address') for a in status.get('addresses', []))
    candidates.discard(None)
    candidates.discard('')
    return node in candidates


def mark_machines_for_deletion(kube, namespace, machines, nodes):
    """Annotate the Machines named by nodes so CAPI removes them first.

    Returns the node references that matched no Machine, so the caller can
    refuse the resize before anything changes.
    """
    unknown = [n for n in nodes
               if not any(machine_matches(m, n) for m in machines)]
    if unknown:
        return unknown
    for machine in machines:
        if any(machine_matches(machine, n) for n in nodes):
            kube.merge_patch('Machine', namespace,
                             machine['metadata']['name'],
                             {'metadata': {'annotations': {
                                 DELETE_MACHINE_ANNOTATION: 'true'}}})
    return []
