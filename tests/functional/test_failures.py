"""Failures CAPO retries against failures it gives up on, end to end.

Through Magnum's real periodic status job: an error CAPO retries is shown
in the status reason while the operation stays in progress, and fails it
only once its timeout has passed; a terminal one (failure fields) fails
the operation at the next poll. Time passing is simulated by ageing the
records the timeouts are measured from, never by waiting.
"""


from magnum import objects
from magnum.objects import fields

from magnum_capi_driver import names
from tests.fixtures import kube as kube_fixtures
from tests.fixtures import magnum as magnum_fixtures
from tests.fixtures import waiting

Status = fields.ClusterStatus

LB_QUOTA = 'failed to reconcile load balancer: quota exceeded'
SERVER_ERROR = 'instance state ERROR is unexpected'


def _namespace(cluster):
    return 'magnum-%s' % cluster.project_id


def _objects(stack, group, plural, namespace, selector=''):
    store = stack.mc.store
    items, _ = store.list(store.registry.get(group, plural), namespace,
                          selector)
    return items


def _until_stored(stack, what, found, timeout=60):
    """Wait (bounded) until the simulator has written what a test needs."""
    waiting.until(found, 'the simulator to write %s' % what, timeout)


def _osc_shows(stack, cluster, check):
    def found():
        return any(check(o.get('status') or {}) for o in _objects(
            stack, 'infrastructure.cluster.x-k8s.io', 'openstackclusters',
            _namespace(cluster)))
    return found


def _ready_condition(osc_status):
    return {c.get('type'): c for c in osc_status.get('conditions') or []
            }.get('Ready') or {}


def _machines_show(stack, cluster, deployment, check):
    def found():
        return any(check(m.get('status') or {}) for m in _objects(
            stack, 'cluster.x-k8s.io', 'machines', _namespace(cluster),
            'cluster.x-k8s.io/deployment-name=%s' % deployment))
    return found


def _create_with_provider_error(stack, name, terminal):
    ctx = stack.user_context()
    cluster = magnum_fixtures.make_cluster(ctx, stack.template(ctx),
                                           name=name)
    stack.mc.capi.provider_error(
        _namespace(cluster), names.release_name(cluster.name, cluster.uuid),
        reason='UpdateError', message=LB_QUOTA, terminal=terminal)
    stack.clusters.cluster_create(ctx, cluster, 1, 1, 60)
    return cluster


def test_retried_provider_error_fails_the_create_only_at_its_timeout(stack):
    cluster = _create_with_provider_error(stack, 'retried', terminal=False)
    _until_stored(stack, 'a retried error', _osc_shows(
        stack, cluster, lambda st: _ready_condition(st).get(
            'severity') == 'Warning' and not st.get('failureReason')))
    for _ in range(5):
        polled = stack.poll_once(cluster.uuid)
        assert polled.status == Status.CREATE_IN_PROGRESS
        assert polled.status_reason.startswith(
            'Waiting for: OpenStack network or load balancer, retrying: '
            + LB_QUOTA)

    # The create's hour passes.
    stack.age(cluster.uuid, 61)
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.CREATE_FAILED
    assert failed.status_reason.startswith('Timed out after 60 minutes')
    assert LB_QUOTA in failed.status_reason


def test_terminal_provider_error_fails_the_create_at_the_next_poll(stack):
    cluster = _create_with_provider_error(stack, 'fatal', terminal=True)
    _until_stored(stack, 'a terminal error', _osc_shows(
        stack, cluster, lambda st: st.get('failureReason')))
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.CREATE_FAILED
    assert failed.status_reason == (
        'OpenStack network or load balancer failed: ' + LB_QUOTA)
    groups = objects.NodeGroup.list(stack.admin_context(), cluster.uuid)
    assert {g.status for g in groups} == {Status.CREATE_FAILED}


def _nodegroup_with_machine_error(stack, cluster, name, terminal):
    ctx = stack.user_context()
    ng = magnum_fixtures.make_nodegroup(ctx, cluster, name)
    deployment = names.machine_deployment_name(
        cluster.stack_id, names.node_group_names([ng])[ng.uuid])
    stack.mc.capi.machine_error(_namespace(cluster), cluster.stack_id,
                                deployment, SERVER_ERROR, terminal)
    stack.nodegroups.nodegroup_create(ctx, stack.reload(cluster.uuid), ng)
    return ng, deployment


def _ready_cluster(stack):
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='ready')
    return stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)


def test_terminal_machine_failure_fails_the_nodegroup_at_the_next_poll(
        stack):
    cluster = _ready_cluster(stack)
    ng, deployment = _nodegroup_with_machine_error(stack, cluster, 'doomed',
                                                   terminal=True)
    _until_stored(stack, 'a failed Machine', _machines_show(
        stack, cluster, deployment, lambda st: st.get('failureReason')))
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.UPDATE_FAILED
    assert SERVER_ERROR in failed.status_reason
    group = objects.NodeGroup.get(stack.admin_context(), cluster.uuid,
                                  ng.uuid)
    assert group.status == Status.CREATE_FAILED
    assert 'failed: ' + SERVER_ERROR in group.status_reason


def test_retried_machine_error_fails_the_nodegroup_only_at_its_timeout(
        stack):
    cluster = _ready_cluster(stack)
    namespace = _namespace(cluster)
    ng, deployment = _nodegroup_with_machine_error(stack, cluster, 'patient',
                                                   terminal=False)
    _until_stored(stack, 'a retried Machine error', _machines_show(
        stack, cluster, deployment, lambda st: any(
            c.get('type') == 'InfrastructureReady'
            and c.get('severity') == 'Warning'
            for c in st.get('conditions') or [])))
    for _ in range(5):
        polled = stack.poll_once(cluster.uuid)
        assert polled.status == Status.UPDATE_IN_PROGRESS
        group = objects.NodeGroup.get(stack.admin_context(), cluster.uuid,
                                      ng.uuid)
        assert group.status == Status.CREATE_IN_PROGRESS
        assert 'retrying: ' + SERVER_ERROR in group.status_reason

    kube_fixtures.age_release(stack.mc.store, namespace, cluster.stack_id)
    failed = stack.poll_once(cluster.uuid)
    assert failed.status == Status.UPDATE_FAILED
    assert failed.status_reason.startswith('Timed out after')
    group = objects.NodeGroup.get(stack.admin_context(), cluster.uuid,
                                  ng.uuid)
    assert group.status == Status.CREATE_FAILED
    assert SERVER_ERROR in group.status_reason
