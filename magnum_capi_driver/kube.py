"""Thin adapter over pykube-ng for the management cluster.

Cluster API objects are always read at an explicit API version (v1beta1:
CAPI v1.13 stores v1beta2 but still serves v1beta1), so a storage-version
change on the management cluster cannot change what the driver sees. Every
failure to talk to the management cluster becomes ManagementClusterError with
a message that names what was attempted, never a request body.
"""

import functools
import json
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
HELM_SELECTOR = 'owner=helm'

# Ask for PartialObjectMetadata (metadata only); plain JSON if the server
# cannot transform.
METADATA_LIST = ('application/json;as=PartialObjectMetadataList;'
                 'g=meta.k8s.io;v=v1,application/json')
METADATA_WATCH = ('application/json;as=PartialObjectMetadata;'
                  'g=meta.k8s.io;v=v1,application/json')

_clients = {}
_clients_lock = threading.Lock()


def client(kubeconfig_file='', context=''):
    """One HTTP client (one keep-alive session) per kubeconfig and context."""
    key = (kubeconfig_file, context)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = new_client(kubeconfig_file, context)
        return _clients[key]


def new_client(kubeconfig_file='', context=''):
    """A client with a session of its own (a watch holds a connection)."""
    return Kube(_load_config(kubeconfig_file, context))


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

    @_translate_errors('list %(kind)s in %(ns)s')
    def list_metadata(self, kind, namespace, label_selector=None):
        """The metadata of the matching objects, without their bodies."""
        params = {'labelSelector': label_selector} if label_selector else None
        response = self._call('GET', kind, namespace, params=params,
                              headers={'Accept': METADATA_LIST})
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return [{'metadata': item.get('metadata') or {}}
                for item in response.json().get('items') or []]

    def list_raw(self, kind, namespace, params, metadata_only=False):
        """One LIST answer, unchecked: (HTTP status, decoded body)."""
        headers = {'Accept': METADATA_LIST} if metadata_only else None
        response = self._call('GET', kind, namespace, params=params,
                              headers=headers)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {}

    def watch(self, kind, namespace, params, read_timeout,
              metadata_only=False):
        """The events of one WATCH request, decoded, until it ends.

        A non-200 answer is turned into one ERROR event carrying its
        Status; transport failures raise requests exceptions.
        """
        params = dict(params, watch='true')
        headers = {'Accept': METADATA_WATCH} if metadata_only else None
        response = self._call('GET', kind, namespace, params=params,
                              headers=headers, stream=True,
                              timeout=(10, read_timeout))
        with response:
            if response.status_code != 200:
                try:
                    body = response.json()
                except ValueError:
                    body = {}
                yield {'type': 'ERROR', 'object': dict(
                    body, code=body.get('code', response.status_code))}
                return
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)

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
    def merge_patch(self, kind, namespace, name, patch, field_manager=None):
        params = {'fieldManager': field_manager} if field_manager else None
        response = self._call(
            'PATCH', kind, namespace, name, json=patch, params=params,
            headers={'Content-Type': 'application/merge-patch+json'})
        response.raise_for_status()
        return response.json()

    @_translate_errors('apply %(kind)s in %(ns)s')
    def apply(self, kind, namespace, name, config, field_manager):
        """Server-side apply of ``config`` as ``field_manager``, unforced.

        The fields this manager applied before and leaves out now are
        removed; a field another manager owns with another value is a
        conflict (HTTP 409), never taken over.
        """
        response = self._call(
            'PATCH', kind, namespace, name, data=json.dumps(config),
            params={'fieldManager': field_manager},
            headers={'Content-Type': 'application/apply-patch+yaml'})
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
    """The CAPI objects of one cluster, as raw v1beta1 dicts.

    Five requests, each by name or by CAPI's cluster-name label, so what
    is read does not grow with the other clusters of the namespace. The
    control plane and infrastructure are those the Cluster refers to;
    without a Cluster, those labelled with its name (CAPI labels what a
    Cluster refers to).
    """
    selector = '%s=%s' % (status.CLUSTER_NAME_LABEL, release)
    cluster = kube.get('Cluster', namespace, release)
    spec = (cluster or {}).get('spec') or {}

    def referred(kind, ref):
        name = (spec.get(ref) or {}).get('name')
        if cluster is not None and name:
            return kube.get(kind, namespace, name)
        found = kube.list(kind, namespace, selector)
        return found[0] if found else None

    return dict(
        cluster=cluster,
        openstack_cluster=referred('OpenStackCluster', 'infrastructureRef'),
        control_plane=referred('KubeadmControlPlane', 'controlPlaneRef'),
        machine_deployments=tuple(kube.list('MachineDeployment', namespace,
                                            selector)),
        machines=tuple(kube.list('Machine', namespace, selector)))


def release_revisions(kube, namespace, release):
    """Metadata of the Secrets in which Helm keeps the release's revisions.

    Metadata only: the labels say all the status needs, and a revision's
    payload (the whole rendered manifest) is tens of kilobytes.
    """
    return kube.list_metadata('Secret', namespace,
                              HELM_SELECTOR + ',name=%s' % release)


def note_request(kube, namespace, release, annotation, moment):
    """Stamp the Cluster with when an operation was asked for (if it exists).

    The status decision times operations from these stamps (see
    ``status.operation_start``): Kubernetes keeps the first
    deletionTimestamp, and a change waits for its Helm revision.
    """
    try:
        kube.merge_patch('Cluster', namespace, release, {'metadata': {
            'annotations': {annotation: status.format_time(moment)}}})
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
