"""Secrets of a cluster on the management cluster.

Two kinds: the cloud credentials Secret that the openstack-cluster chart
reads through ``cloudCredentialsSecretName`` (clouds.yaml with the cloud
named ``openstack``, optional ``cacert``), and the four CA Secrets that
Cluster API would otherwise generate itself. Writing Magnum's CAs there, before
the control plane exists, is what lets ``openstack coe cluster config`` (which
signs client certificates with Magnum's CA) work on a CAPI cluster.

The builders are pure functions over plain data. The functions at the end
are thin pykube-ng calls; they take a ``pykube.HTTPClient`` and raise
ManagementClusterError naming the Secret, never its content.
"""

import base64

from cryptography.hazmat.primitives import serialization
import requests
import yaml

from magnum_capi_driver import exceptions

CLOUD_NAME = 'openstack'
CAPI_SECRET_TYPE = 'cluster.x-k8s.io/secret'
CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name'
# The addon provider re-renders add-ons that use a Secret with this label
# when it changes, so the workload cluster picks up a rotated credential.
ADDONS_WATCH_LABEL = 'addons.stackhpc.com/watch'
MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
MANAGED_BY = 'magnum-capi-driver'

ANNOTATION_PREFIX = 'magnum.openstack.org/'
CREDENTIAL_ID = ANNOTATION_PREFIX + 'application-credential-id'
CREDENTIAL_USER_ID = ANNOTATION_PREFIX + 'application-credential-user-id'
CREDENTIAL_NAME = ANNOTATION_PREFIX + 'application-credential-name'
CLUSTER_UUID = ANNOTATION_PREFIX + 'cluster-uuid'
# Every object the driver writes on the management cluster (Secrets, the
# lock's Lease) carries the Magnum cluster's uuid under this label, so that
# deleting the cluster finds them all, whatever their names, even those
# written by an operation that crashed before Magnum stored the cluster's
# stack_id.
CLUSTER_UUID_LABEL = CLUSTER_UUID


def cluster_selector(cluster_uuid):
    """The label selector of everything the driver wrote for a cluster."""
    return '%s=%s' % (CLUSTER_UUID_LABEL, cluster_uuid)


# Secret suffix -> which of Magnum's certificates goes there.
CA_SECRETS = {
    'ca': 'cluster CA',
    'etcd': 'etcd CA',
    'proxy': 'front-proxy CA',
    'sa': 'service-account key pair',
}


def credentials_secret_name(release):
    """Name of the cloud credentials Secret of the cluster's release."""
    return '%s-cloud-credentials' % release


def ca_secret_name(release, kind):
    """CAPI's name for a CA Secret: <Cluster name>-<ca|etcd|proxy|sa>."""
    if kind not in CA_SECRETS:
        raise ValueError('CA secret kind %r is not one of %s'
                         % (kind, ', '.join(CA_SECRETS)))
    return '%s-%s' % (release, kind)


def clouds_yaml(auth_url, region_name, interface, credential_id,
                credential_secret, verify=True):
    """clouds.yaml text with one cloud, ``openstack``, for an app credential.

    A YAML dumper writes it, so any region name (spaces, quotes, non-ASCII,
    words YAML would read as booleans) comes back exactly as given.
    """
    cloud = {
        'auth_type': 'v3applicationcredential',
        'auth': {
            'auth_url': auth_url,
            'application_credential_id': credential_id,
            'application_credential_secret': credential_secret,
        },
        'region_name': region_name,
        'interface': interface,
        'identity_api_version': 3,
        'verify': bool(verify),
    }
    return yaml.safe_dump({'clouds': {CLOUD_NAME: cloud}},
                          allow_unicode=True, default_flow_style=False,
                          sort_keys=False)


def credentials_secret(namespace, release, clouds, credential, cluster_uuid,
                       cacert=''):
    """The cloud credentials Secret manifest.

    ``credential`` is a mapping with ``id``, ``user_id`` and ``name``: kept in
    annotations so the credential can be found and deleted later, by an
    operator or by the periodic task that has no user token.
    """
    data = {'clouds.yaml': clouds}
    if cacert:
        data['cacert'] = cacert
    return {
        'apiVersion': 'v1',
        'kind': 'Secret',
        'type': 'Opaque',
        'metadata': {
            'name': credentials_secret_name(release),
            'namespace': namespace,
            'labels': {
                CLUSTER_NAME_LABEL: release,
                MANAGED_BY_LABEL: MANAGED_BY,
                ADDONS_WATCH_LABEL: '',
                CLUSTER_UUID_LABEL: cluster_uuid,
            },
            'annotations': {
                CREDENTIAL_ID: credential['id'],
                CREDENTIAL_USER_ID: credential['user_id'],
                CREDENTIAL_NAME: credential['name'],
                CLUSTER_UUID: cluster_uuid,
            },
        },
        'data': _encode(data),
    }


def credential_reference(secret):
    """(credential id, owning user id) recorded in a credentials Secret.

    None when the Secret is absent or records no credential.
    """
    annotations = ((secret or {}).get('metadata') or {}).get(
        'annotations') or {}
    if not annotations.get(CREDENTIAL_ID):
        return None
    return annotations[CREDENTIAL_ID], annotations.get(CREDENTIAL_USER_ID)


def ca_secret(namespace, release, cluster_uuid, kind, certificate,
              private_key):
    """One CAPI CA Secret (PEM text in, manifest out)."""
    return {
        'apiVersion': 'v1',
        'kind': 'Secret',
        'type': CAPI_SECRET_TYPE,
        'metadata': {
            'name': ca_secret_name(release, kind),
            'namespace': namespace,
            'labels': {
                CLUSTER_NAME_LABEL: release,
                MANAGED_BY_LABEL: MANAGED_BY,
                CLUSTER_UUID_LABEL: cluster_uuid,
            },
        },
        'data': _encode({'tls.crt': certificate, 'tls.key': private_key}),
    }


def ca_secrets(namespace, release, cluster_uuid, certificates):
    """The four CA Secrets from {kind: (certificate PEM, key PEM)}.

    Every kind must be present: a missing one would let Cluster API
    generate its own CA, and the cluster would not trust Magnum's.
    """
    missing = sorted(set(CA_SECRETS) - set(certificates))
    if missing:
        raise ValueError('certificates for %s are missing; all of %s are '
                         'needed'
                         % (', '.join(missing), ', '.join(CA_SECRETS)))
    return [ca_secret(namespace, release, cluster_uuid, kind,
                      *certificates[kind])
            for kind in CA_SECRETS]


def public_key_pem(private_key_pem):
    """The public half of a PEM private key, as PEM.

    Cluster API keeps the service-account public key (not a certificate) in
    tls.crt of the -sa Secret; kubeadm writes it to sa.pub.
    """
    key = serialization.load_pem_private_key(_bytes(private_key_pem), None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')


def decode_data(secret):
    """A Secret's data as text, for readers of what the builders wrote."""
    return {key: base64.b64decode(value).decode('utf-8')
            for key, value in ((secret or {}).get('data') or {}).items()}


def _bytes(value):
    return value.encode('utf-8') if isinstance(value, str) else value


def _encode(data):
    return {key: base64.b64encode(_bytes(value)).decode('ascii')
            for key, value in data.items()}


# Magnum adapter: the cluster's certificates, with keys decrypted.

def magnum_certificates(cluster, context):
    """Magnum's four certificates of a cluster as {kind: (cert, key)} PEM.

    The service-account key pair is Magnum's client key pair of the
    cluster, as Magnum's own Kubernetes drivers used it.
    """
    from magnum.conductor.handlers.common import cert_manager

    def pem(cert):
        return (_text(cert.get_certificate()),
                _text(cert.get_decrypted_private_key()))

    certificates = {
        'ca': pem(cert_manager.get_cluster_ca_certificate(cluster, context)),
        'etcd': pem(cert_manager.get_cluster_ca_certificate(
            cluster, context, ca_cert_type='etcd')),
        'proxy': pem(cert_manager.get_cluster_ca_certificate(
            cluster, context, ca_cert_type='front_proxy')),
    }
    _, sa_key = pem(cert_manager.get_cluster_magnum_cert(cluster, context))
    certificates['sa'] = (public_key_pem(sa_key), sa_key)
    return certificates


def _text(value):
    return value.decode('utf-8') if isinstance(value, bytes) else value


# Kubernetes adapter (pykube-ng).

def apply_secret(api, manifest):
    """Create the Secret, or replace it whole if it exists (idempotent)."""
    namespace = manifest['metadata']['namespace']
    name = manifest['metadata']['name']
    action = 'write Secret %s/%s' % (namespace, name)
    response = _request(api, action, 'POST', namespace, json=manifest)
    if response.status_code == 409:
        response = _request(api, action, 'PUT', namespace, name,
                            json=manifest)
    _check(response, action)
    return response.json()


def apply_ca_secrets(api, namespace, release, cluster, context):
    """Write Magnum's four CAs of the cluster where Cluster API looks."""
    for manifest in ca_secrets(namespace, release, cluster.uuid,
                               magnum_certificates(cluster, context)):
        apply_secret(api, manifest)


def delete_ca_secrets(api, namespace, release):
    """Remove the CA Secrets once the cluster is gone (CAPI may have)."""
    for kind in CA_SECRETS:
        delete_secret(api, namespace, ca_secret_name(release, kind))


def read_secret(api, namespace, name):
    """The Secret as a dict, or None if it does not exist."""
    action = 'read Secret %s/%s' % (namespace, name)
    response = _request(api, action, 'GET', namespace, name)
    if response.status_code == 404:
        return None
    _check(response, action)
    return response.json()


def delete_secret(api, namespace, name):
    """Delete the Secret; one that is already gone is fine."""
    action = 'delete Secret %s/%s' % (namespace, name)
    response = _request(api, action, 'DELETE', namespace, name)
    if response.status_code != 404:
        _check(response, action)


def _request(api, action, method, namespace, name='', **kwargs):
    try:
        return api.request(method, version='v1', namespace=namespace,
                           url='secrets' + ('/' + name if name else ''),
                           **kwargs)
    except requests.RequestException as exc:
        raise exceptions.ManagementClusterError(
            action=action, error=exc.__class__.__name__)


def _check(response, action):
    if response.status_code >= 400:
        try:
            reason = response.json().get('reason') or ''
        except ValueError:
            reason = response.reason or ''
        raise exceptions.ManagementClusterError(
            action=action, error='HTTP %s %s' % (response.status_code,
                                                 reason))
