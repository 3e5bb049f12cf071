"""A cluster's OpenStack identity on the management cluster, end to end.

Composes identity (Keystone application credentials) and secrets (the
clouds.yaml Secret and Magnum's CAs in the CAPI secrets) into the three steps
the driver takes: before the release exists, on rotation, and after the CAPI
Cluster and OpenStackCluster are gone (CAPO has no finalizer on the
credentials Secret, so deleting it earlier wedges the teardown).

Clean-up does not trust names alone: every Secret and Lease the driver
writes is labelled with the cluster's uuid, and every application
credential is named after it, so what an interrupted operation left behind
is found too.
"""

from oslo_log import log as logging

from magnum_capi_driver import identity
from magnum_capi_driver import kube as kube_api
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


# What the driver writes on the management cluster, besides the release.
LABELLED_KINDS = ('Secret', 'Lease')


def delete(context, cluster, kube, namespace):
    """Remove the cluster's application credentials, Secrets and Lease.

    Needs no user token: it runs from the periodic status poll. Runs even
    without a stack_id: a create interrupted before Magnum stored it may
    still have left a credential and Secrets.
    """
    result = identity.delete_cluster_credentials(
        kube.api, namespace, cluster.stack_id, cluster.uuid,
        cluster_uuid=cluster.uuid, owners=[cluster.user_id])
    if result is not None:
        LOG.info('Application credential %s of cluster %s: %s',
                 result.credential_id, cluster.uuid, result.outcome)
    if cluster.stack_id:
        secrets.delete_ca_secrets(kube.api, namespace, cluster.stack_id)
    deleted = kube_api.delete_labelled(kube, LABELLED_KINDS, namespace,
                                       secrets.cluster_selector(cluster.uuid))
    if deleted:
        LOG.info('Deleted what was left of cluster %s: %s', cluster.uuid,
                 '; '.join('%s %s' % (kind, ', '.join(names))
                           for kind, names in sorted(deleted.items())))
