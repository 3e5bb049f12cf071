"""What an interrupted operation leaves is found and removed, end to end.

Through Magnum's real conductor and periodic job, the real Keystone and
the Kubernetes API stand-in: every Secret the driver writes carries the
cluster's uuid as a label, and deleting the cluster removes everything so
labelled (Secrets, Leases) and every application credential named for
the cluster, including one a killed conductor never recorded anywhere.
"""

from magnum.objects import fields

from magnum_capi_driver import identity
from magnum_capi_driver import secrets

Status = fields.ClusterStatus
LEASES = ('coordination.k8s.io', 'leases')


def _namespace(cluster):
    return 'magnum-%s' % cluster.project_id


def _labelled(stack, group, plural, cluster):
    store = stack.mc.store
    items, _ = store.list(store.registry.get(group, plural),
                          _namespace(cluster),
                          secrets.cluster_selector(cluster.uuid))
    return sorted(o['metadata']['name'] for o in items)


def _credentials_named(stack, cluster):
    creds = stack.keystone.admin_session().get(
        '/users/%s/application_credentials' % stack.keystone.user_id,
        endpoint_filter={'service_type': 'identity', 'interface': 'public'}
    ).json()['application_credentials']
    return sorted(c['id'] for c in creds
                  if identity.is_cluster_credential(c['name'],
                                                    cluster.uuid))


def _stray_lease(stack, cluster, name):
    """A Lease labelled for the cluster, as the cluster lock writes it."""
    store = stack.mc.store
    store.create(store.registry.get(*LEASES), _namespace(cluster), {
        'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease',
        'metadata': {'name': name, 'namespace': _namespace(cluster),
                     'labels': {secrets.CLUSTER_UUID_LABEL: cluster.uuid}},
        'spec': {}})


def test_delete_leaves_nothing_labelled_nor_named_for_the_cluster(stack):
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='tidy')
    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    release = cluster.stack_id
    assert set(_labelled(stack, '', 'secrets', cluster)) == {
        release + '-cloud-credentials', release + '-ca', release + '-etcd',
        release + '-proxy', release + '-sa'}
    referenced = _credentials_named(stack, cluster)
    assert len(referenced) == 1

    # A credential rotation killed between Keystone and the Secret.
    orphan = identity.create_application_credential(
        identity.user_session(ctx), ctx.user_id, cluster)
    _stray_lease(stack, cluster, 'left-by-a-killed-conductor')
    assert _credentials_named(stack, cluster) == sorted(
        referenced + [orphan.id])

    stack.clusters.cluster_delete(ctx, cluster.uuid)
    assert stack.wait_for(cluster.uuid, None) is None
    assert _credentials_named(stack, cluster) == []
    assert _labelled(stack, '', 'secrets', cluster) == []
    assert _labelled(stack, *LEASES, cluster) == []
