"""What is left after crashes and refusals is recovered, through Magnum.

A release left pending by a helm that was killed, a refused upgrade, a
refused nodegroup, a nodegroup whose helm apply failed, and master nodes
named for removal: each leaves a cluster that the next operation, or the
next health poll, brings back to a usable state.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from magnum.common import exception
from magnum import objects
from magnum.objects import fields

from tests.fixtures import cloud as cloud_fixtures
from tests.fixtures import magnum as magnum_fixtures
from tests.functional import test_refusals_and_health as common

Status = fields.ClusterStatus
NEW_IMAGE = cloud_fixtures.IMAGES[1]


@pytest.fixture
def ready(stack):
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='sturdy')
    return ctx, stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)


def _groups(ctx, cluster):
    return {ng.name: ng for ng in objects.NodeGroup.list(ctx, cluster.uuid)}


def _helm(stack, *args):
    """The real helm binary the driver uses, against the stand-in."""
    env = dict(os.environ, HOME=os.path.dirname(str(stack.mc.kubeconfig)))
    return subprocess.run(
        [stack.conf.capi_driver.helm_executable, *args,
         '--kubeconfig', str(stack.mc.kubeconfig)],
        env=env, check=True, capture_output=True, text=True).stdout


def _release(stack, cluster):
    """(status, node group names) of the release's current revision.

    The chart's group names are the nodegroup names' slugs with a suffix
    (a hash of the nodegroup's uuid), which is left out here.
    """
    namespace = common._namespace(cluster)
    status = json.loads(_helm(stack, 'status', cluster.stack_id, '-n',
                              namespace, '-o', 'json'))['info']['status']
    values = json.loads(_helm(stack, 'get', 'values', cluster.stack_id,
                              '-n', namespace, '-o', 'json'))
    return status, sorted(g['name'].rsplit('-', 1)[0]
                          for g in values.get('nodeGroups', []))


def _kill_helm_mid_upgrade(stack, cluster):
    """Start an upgrade with helm and SIGKILL it while it is pending."""
    namespace = common._namespace(cluster)
    values = _helm(stack, 'get', 'values', cluster.stack_id, '-n',
                   namespace, '-o', 'json')
    stack.mc.latency(0.5, verb='*', resource='machinedeployments')
    env = dict(os.environ, HOME=os.path.dirname(str(stack.mc.kubeconfig)))
    helm = subprocess.Popen(
        [stack.conf.capi_driver.helm_executable, 'upgrade',
         cluster.stack_id, stack.conf.capi_driver.chart_name, '-n',
         namespace, '--values', '-', '--kubeconfig',
         str(stack.mc.kubeconfig)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, text=True)
    helm.stdin.write(values)
    helm.stdin.close()
    try:
        deadline = time.monotonic() + 120
        while not [s for s in common._release_revisions(stack, cluster)
                   if s['metadata']['labels'].get('status') ==
                   'pending-upgrade']:
            assert helm.poll() is None, 'helm finished before the kill'
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        helm.send_signal(signal.SIGKILL)
        helm.wait()
        stack.mc.clear_faults()


def test_pending_upgrade_is_recovered_by_the_next_resize(stack, ready):
    ctx, cluster = ready
    _kill_helm_mid_upgrade(stack, cluster)
    assert _release(stack, cluster)[0] == 'pending-upgrade'

    worker = _groups(ctx, cluster)['default-worker']
    stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 2, [],
                                  worker)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert len(cluster.node_addresses) == 2
    assert _release(stack, cluster)[0] == 'deployed'
    history = json.loads(_helm(stack, 'history', cluster.stack_id, '-n',
                               common._namespace(cluster), '-o', 'json'))
    assert any('Rollback' in h.get('description', '') for h in history)


def test_refused_upgrade_is_not_supported_and_records_nothing(stack, ready):
    ctx, cluster = ready
    older = stack.template(ctx, name='k8s-1.30',
                           labels={'kube_tag': 'v1.30.4'})
    worker = _groups(ctx, cluster)['default-worker']
    with pytest.raises(exception.NotSupported) as raised:
        stack.clusters.cluster_upgrade(ctx, stack.reload(cluster.uuid),
                                       older, 1, worker)
    assert 'v1.30.4' in str(raised.value) or '1.30.4' in str(raised.value)
    stored = stack.reload(cluster.uuid)
    assert stored.status == Status.CREATE_COMPLETE
    assert _groups(ctx, stored)['default-worker'].status == \
        Status.CREATE_COMPLETE


def test_refused_nodegroup_leaves_the_cluster_upgradable(stack, ready):
    ctx, cluster = ready
    bad = magnum_fixtures.make_nodegroup(
        ctx, cluster, 'bad', labels={'auto_scaling_enabled': 'sometimes'})
    with pytest.raises(exception.InvalidParameterValue):
        stack.nodegroups.nodegroup_create(ctx, stack.reload(cluster.uuid),
                                          bad)
    assert stack.reload(cluster.uuid).status == Status.UPDATE_FAILED

    # Magnum's health job runs for UPDATE_FAILED clusters too.
    common._health(stack, cluster.uuid)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    refused = _groups(ctx, cluster)['bad']
    assert refused.status == Status.CREATE_FAILED
    assert 'sometimes' in refused.status_reason

    newer = stack.template(ctx, name='k8s-1.32',
                           image_id=NEW_IMAGE['name'],
                           labels={'kube_tag': 'v1.32.1'})
    stack.clusters.cluster_upgrade(ctx, stack.reload(cluster.uuid), newer,
                                   1, _groups(ctx, cluster)['default-worker'])
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert cluster.coe_version == 'v1.32.1'
    assert _release(stack, cluster)[1] == ['default-worker']


def test_failed_create_is_not_in_the_release_nor_brought_back(stack, ready):
    ctx, cluster = ready
    doomed = magnum_fixtures.make_nodegroup(ctx, cluster, 'doomed')
    stack.mc.fail(verb='*', resource='machinedeployments', times=None)
    try:
        with pytest.raises(exception.MagnumException) as raised:
            stack.nodegroups.nodegroup_create(
                ctx, stack.reload(cluster.uuid), doomed)
    finally:
        stack.mc.clear_faults()
    assert 'elm' not in str(raised.value)
    stored = _groups(ctx, cluster)['doomed']
    assert (stored.status, stored.stack_id) == (Status.CREATE_FAILED, None)

    worker = _groups(ctx, cluster)['default-worker']
    stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 2, [],
                                  worker)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert _release(stack, cluster) == ('deployed', ['default-worker'])

    # Deleting the failed create is a retryable, finishing operation.
    stack.nodegroups.nodegroup_delete(ctx, stack.reload(cluster.uuid),
                                      stored)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert 'doomed' not in _groups(ctx, cluster)


def test_master_resize_removes_the_named_master(stack):
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='trio',
                                   master_count=3)
    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    masters = [m for m in common._objects(
        stack, 'cluster.x-k8s.io', 'machines', common._namespace(cluster))
        if 'cluster.x-k8s.io/control-plane' in m['metadata']['labels']]
    assert len(masters) == 3
    victim = sorted(m['metadata']['name'] for m in masters)[1]
    master = _groups(ctx, cluster)['default-master']
    stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 1,
                                  [victim], master)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    left = [m['metadata']['name'] for m in common._objects(
        stack, 'cluster.x-k8s.io', 'machines', common._namespace(cluster))
        if 'cluster.x-k8s.io/control-plane' in m['metadata']['labels']]
    assert len(left) == 1 and victim not in left
    assert _groups(ctx, cluster)['default-master'].node_count == 1

    with pytest.raises(exception.InvalidParameterValue) as raised:
        stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 1,
                                      ['not-a-master'],
                                      _groups(ctx, cluster)[
                                          'default-master'])
    assert 'not-a-master' in str(raised.value)
