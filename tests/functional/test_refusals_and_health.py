"""What the driver refuses, and what it reports, through Magnum's real code.

Refusals must name the field, the value and what is accepted, and leave
nothing behind: no release, no Secret, no application credential, no change
in Magnum's records.
"""

import logging

import pytest

from magnum.common import exception
from magnum.conductor.handlers import ca_conductor
from magnum import objects
from magnum.objects import fields
from magnum.service import periodic
from oslo_service import loopingcall

from magnum_capi_driver import names
from tests.fixtures import kube as kube_fixtures
from tests.fixtures import magnum as magnum_fixtures

Status = fields.ClusterStatus
Health = fields.ClusterHealthStatus


def _namespace(cluster):
    return 'magnum-%s' % cluster.project_id


def _objects(stack, group, plural, namespace=None, selector=''):
    """What the management cluster stores, read from the stand-in itself."""
    store = stack.mc.store
    items, _ = store.list(store.registry.get(group, plural), namespace,
                          selector)
    return items


def _release_revisions(stack, cluster):
    """Helm's release records of the cluster (one Secret per revision)."""
    return _objects(stack, '', 'secrets', _namespace(cluster),
                    'owner=helm,name=%s' % cluster.stack_id)


def _credentials_named(stack, text):
    sess = stack.keystone.user_session()
    creds = sess.get('/users/%s/application_credentials'
                     % stack.keystone.user_id,
                     endpoint_filter={'service_type': 'identity',
                                      'interface': 'public'}
                     ).json()['application_credentials']
    return [c for c in creds if text in c['name']]


def _health(stack, cluster_uuid):
    ctx = stack.admin_context()
    cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
    try:
        periodic.ClusterHealthUpdateJob(ctx, cluster).update_health_status()
    except loopingcall.LoopingCallDone:
        pass
    return objects.Cluster.get_by_uuid(ctx, cluster_uuid)


@pytest.fixture
def ready(stack):
    """A user context and a CREATE_COMPLETE cluster with 1 master, 1 node."""
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='ready')
    return ctx, stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)


@pytest.mark.parametrize('labels, named', [
    ({'kube_tag': 'v1.31.2', 'auto_healing_enabled': 'maybe'},
     'auto_healing_enabled'),
    ({'kube_tag': 'latest'}, 'kube_tag'),
    ({'kube_tag': 'v1.31.2', 'max_node_count': 'ten'}, 'max_node_count'),
])
def test_bad_label_fails_create_before_anything_exists(stack, labels, named):
    ctx = stack.user_context()
    cluster = magnum_fixtures.make_cluster(
        ctx, stack.template(ctx), name='bad', labels=labels)
    with pytest.raises(exception.InvalidParameterValue) as raised:
        stack.clusters.cluster_create(ctx, cluster, 1, 1, 60)
    message = str(raised.value)
    assert named in message and str(labels[named]) in message
    stored = stack.reload(cluster.uuid)
    assert stored.status == Status.CREATE_FAILED
    assert named in stored.status_reason
    release = names.release_name(cluster.name, cluster.uuid)
    assert _objects(stack, '', 'secrets', _namespace(cluster)) == []
    assert [c for c in _objects(stack, 'cluster.x-k8s.io', 'clusters')
            if c['metadata']['name'] == release] == []
    assert _credentials_named(stack, cluster.uuid) == []


def test_downgrade_is_refused_and_changes_nothing(stack, ready):
    ctx, cluster = ready
    revisions = len(_release_revisions(stack, cluster))
    old = stack.template(ctx, name='k8s-1.30',
                         labels={'kube_tag': 'v1.30.4'})
    worker = [g for g in objects.NodeGroup.list(ctx, cluster.uuid)
              if g.name == 'default-worker'][0]
    with pytest.raises(exception.MagnumException) as raised:
        stack.clusters.cluster_upgrade(ctx, stack.reload(cluster.uuid), old,
                                       1, worker)
    assert '1.30.4' in str(raised.value) and '1.31.2' in str(raised.value)
    stored = stack.reload(cluster.uuid)
    assert stored.cluster_template_id == cluster.cluster_template_id
    assert stored.labels['kube_tag'] == 'v1.31.2'
    assert len(_release_revisions(stack, cluster)) == revisions


def test_unknown_node_to_remove_is_refused_before_helm(stack, ready):
    ctx, cluster = ready
    revisions = len(_release_revisions(stack, cluster))
    worker = [g for g in objects.NodeGroup.list(ctx, cluster.uuid)
              if g.name == 'default-worker'][0]
    with pytest.raises(exception.InvalidParameterValue) as raised:
        stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 1,
                                      ['no-such-node'], worker)
    assert 'no-such-node' in str(raised.value)
    assert len(_release_revisions(stack, cluster)) == revisions


def test_ca_rotation_is_refused_keeping_the_certificates(stack, ready):
    ctx, cluster = ready
    before = stack.reload(cluster.uuid)
    with pytest.raises(exception.NotSupported):
        ca_conductor.Handler().rotate_ca_certificate(ctx, before)
    after = stack.reload(cluster.uuid)
    assert after.ca_cert_ref == cluster.ca_cert_ref
    assert after.etcd_ca_cert_ref == cluster.etcd_ca_cert_ref


def test_health_follows_the_cluster_and_the_management_cluster(stack,
                                                               ready):
    ctx, cluster = ready
    healthy = _health(stack, cluster.uuid)
    assert healthy.health_status == Health.HEALTHY
    assert healthy.health_status_reason['api'] == 'ok'

    stack.mc.outage(seconds=30)
    try:
        # The shared view answers until it knows it is cut off (its
        # watches broke and cannot resume); then polls read directly.
        stack.wait_until_view_is_cut_off()
        unknown = _health(stack, cluster.uuid)
    finally:
        stack.mc.clear_faults()
    assert unknown.health_status == Health.UNKNOWN
    told = unknown.health_status_reason['api']
    assert 'could not be read' in told
    assert _namespace(cluster) not in told and stack.mc.url not in told


def test_failed_create_is_deleted_without_leftovers(stack, caplog):
    """Helm fails mid-create; deleting the CREATE_FAILED cluster cleans up.

    The tenant reads what failed; helm's output and the management
    cluster's address stay in the conductor log, under the cluster's uuid.
    """
    caplog.set_level(logging.INFO)
    ctx = stack.user_context()
    cluster = magnum_fixtures.make_cluster(ctx, stack.template(ctx),
                                           name='unlucky')
    stack.mc.fail(verb='*', resource='kubeadmcontrolplanes', status=500,
                  times=None)
    try:
        with pytest.raises(exception.MagnumException) as raised:
            stack.clusters.cluster_create(ctx, cluster, 1, 1, 60)
    finally:
        stack.mc.clear_faults()
    stored = stack.reload(cluster.uuid)
    assert stored.status == Status.CREATE_FAILED
    for told in (str(raised.value), stored.status_reason):
        assert 'Could not create cluster unlucky' in told
        assert cluster.uuid in told
        for internal in ('elm', stack.mc.url, '127.0.0.1', 'kubeadm',
                         _namespace(cluster), str(stack.mc.kubeconfig)):
            assert internal not in told
    logged = [r.getMessage() for r in caplog.records
              if cluster.uuid in r.getMessage()]
    assert any('Helm could not install or upgrade' in m and
               'KubeadmControlPlane' in m for m in logged), logged
    assert len(_credentials_named(stack, cluster.uuid)) == 1

    stack.clusters.cluster_delete(ctx, cluster.uuid)
    stack.wait_for(cluster.uuid, None)
    assert _credentials_named(stack, cluster.uuid) == []
    leftovers = [s['metadata']['name'] for s in _objects(
        stack, '', 'secrets', _namespace(cluster))
        if s['metadata']['name'].startswith(stored.stack_id)]
    assert leftovers == []
    assert [o for o in _objects(stack, 'cluster.x-k8s.io', 'clusters')
            if o['metadata']['name'] == stored.stack_id] == []


def test_refused_nodegroup_blocks_nothing_and_can_be_deleted(stack, ready):
    ctx, cluster = ready
    bad = magnum_fixtures.make_nodegroup(
        ctx, cluster, 'bad', labels={'auto_scaling_enabled': 'sometimes'})
    with pytest.raises(exception.InvalidParameterValue) as raised:
        stack.nodegroups.nodegroup_create(ctx, stack.reload(cluster.uuid),
                                          bad)
    assert 'auto_scaling_enabled' in str(raised.value)
    assert 'sometimes' in str(raised.value)
    stored = objects.NodeGroup.get(ctx, cluster.uuid, bad.uuid)
    assert stored.status == Status.CREATE_FAILED

    # Magnum leaves the cluster UPDATE_FAILED; a resize (allowed from
    # there) must still render and complete without the refused group.
    worker = [g for g in objects.NodeGroup.list(ctx, cluster.uuid)
              if g.name == 'default-worker'][0]
    stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 2, [],
                                  worker)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert len(cluster.node_addresses) == 2

    stack.nodegroups.nodegroup_delete(ctx, stack.reload(cluster.uuid),
                                      stored)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert 'bad' not in [ng.name for ng in
                         objects.NodeGroup.list(ctx, cluster.uuid)]


def test_cluster_that_never_reached_the_driver_deletes(stack):
    """Magnum failed before calling create_cluster: no stack_id at all."""
    ctx = stack.user_context()
    cluster = magnum_fixtures.make_cluster(ctx, stack.template(ctx),
                                           name='early-failure',
                                           status=Status.CREATE_FAILED)
    cluster.create()
    assert _health(stack, cluster.uuid).health_status == Health.UNKNOWN
    stack.clusters.cluster_delete(ctx, cluster.uuid)
    assert stack.wait_for(cluster.uuid, None) is None


def test_refused_nodegroup_update_stores_only_the_failure(stack, ready):
    ctx, cluster = ready
    worker = [g for g in objects.NodeGroup.list(ctx, cluster.uuid)
              if g.name == 'default-worker'][0]
    worker.min_node_count = 3
    worker.max_node_count = 2
    with pytest.raises(exception.InvalidParameterValue) as raised:
        stack.nodegroups.nodegroup_update(ctx, stack.reload(cluster.uuid),
                                          worker)
    assert 'max_node_count' in str(raised.value)
    stored = objects.NodeGroup.get(ctx, cluster.uuid, worker.uuid)
    assert stored.status == Status.UPDATE_FAILED
    assert (stored.min_node_count, stored.max_node_count) == (0, None)


def test_update_times_out_from_the_helm_revision(stack, ready):
    """An update is timed from the newest Helm revision, not updated_at."""
    ctx, cluster = ready
    namespace = _namespace(cluster)
    ng = magnum_fixtures.make_nodegroup(ctx, cluster, 'never-ready')
    deployment = names.machine_deployment_name(
        cluster.stack_id, names.node_group_names([ng])[ng.uuid])
    stack.mc.capi.machines_never_ready(namespace, cluster.stack_id,
                                       deployment)
    stack.nodegroups.nodegroup_create(ctx, stack.reload(cluster.uuid), ng)
    for _ in range(10):
        assert stack.poll_once(cluster.uuid).status == \
            Status.UPDATE_IN_PROGRESS

    kube_fixtures.age_release(stack.mc.store, namespace, cluster.stack_id)
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.UPDATE_FAILED
    assert 'never-ready' in failed.status_reason
    group = objects.NodeGroup.get(ctx, cluster.uuid, ng.uuid)
    assert group.status == Status.CREATE_FAILED


def test_hung_delete_fails_keeps_credentials_then_retries(stack, ready):
    ctx, cluster = ready
    namespace = _namespace(cluster)
    stack.mc.capi.hang_deletion(namespace, cluster.stack_id)
    stack.clusters.cluster_delete(ctx, cluster.uuid)
    for _ in range(10):
        assert stack.poll_once(cluster.uuid).status == \
            Status.DELETE_IN_PROGRESS

    # Two hours pass for the Cluster being deleted.
    store = stack.mc.store
    with store.lock:
        stored = store.find(store.registry.get('cluster.x-k8s.io',
                                               'clusters'),
                            namespace, cluster.stack_id)
        stored['metadata']['deletionTimestamp'] = '2000-01-01T00:00:00Z'
        stored['metadata'].get('annotations', {}).pop(
            'magnum.openstack.org/delete-requested-at', None)
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.DELETE_FAILED
    assert 'Cluster' in failed.status_reason
    # CAPO still needs them: nothing of the identity is gone yet.
    assert len(_credentials_named(stack, cluster.uuid)) == 1

    # The operator fixes the cause and deletes again: a fresh clock.
    stack.clusters.cluster_delete(ctx, cluster.uuid)
    assert stack.poll_once(cluster.uuid).status == Status.DELETE_IN_PROGRESS
    stack.mc.capi.clear_faults()
    stack.wait_for(cluster.uuid, None)
    assert _credentials_named(stack, cluster.uuid) == []
