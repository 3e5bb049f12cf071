"""A cluster's OpenStack identity on the management cluster, end to end.

Composes identity (Keystone application credentials) and secrets (the
clouds.yaml Secret and Magnum's CAs in the CAPI secrets) into the three steps
the driver takes: before the release exists, on rotation, and after the CAPI
Cluster and OpenStackCluster are gone (CAPO has no finalizer on the
credentials Secret, so deleting it earlier wedges the teardown).
"""

from oslo_log import log as logging

from magnum_capi_driver import identity
from magnum_capi_driver import secrets

LOG = logging.getLogger(__name__)

secret_name = secrets.credentials_secret_name


def create(context, cluster, kube, namespace):
    """CA secrets and the credentials Secret, before anything else exists."""
    kube.ensure_namespace(namespace)
    secrets.apply_ca_secrets(kube.api, namespace, cluster.stack_id, cluster,
                             context)
    identity.create_cluster_credentials(context, kube.api, namespace,
                                        cluster.stack_id, cluster)


def rotate(context, cluster, kube, namespace):
    identity.rotate_cluster_credentials(context, kube.api, namespace,
                                        cluster.stack_id, cluster)


def delete(context, cluster, kube, namespace):
    """Remove the application credential and every Secret of the cluster.

    Needs no user token: it runs from the periodic status poll.
    """
    if not cluster.stack_id:
        return
    result = identity.delete_cluster_credentials(
        kube.api, namespace, cluster.stack_id, cluster.uuid)
    if result is not None:
        LOG.info('Application credential %s of cluster %s: %s',
                 result.credential_id, cluster.uuid, result.outcome)
    secrets.delete_ca_secrets(kube.api, namespace, cluster.stack_id)
