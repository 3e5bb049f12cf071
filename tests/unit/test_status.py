"""Table tests of status.decide over realistic v1beta1 CAPI objects."""

import dataclasses
import datetime

import pytest
import sqlalchemy

from magnum.objects import fields
from oslo_db.sqlalchemy import enginefacade

from magnum_capi_driver import nodegroup_rows
from magnum_capi_driver import replicas as rules
from magnum_capi_driver import status

CS = fields.ClusterStatus
UTC = datetime.timezone.utc
STARTED = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RELEASE = 'demo-abc'
OLD, NEW = 'v1.31.4', 'v1.32.2'


def minutes(n):
    return STARTED + datetime.timedelta(minutes=n)


# ------------------------------------------------------------- builders

def cond(kind, state='True', reason=None, message=None, severity=None):
    found = {'type': kind, 'status': state,
             'lastTransitionTime': '2026-03-01T12:00:00Z'}
    if reason:
        found['reason'] = reason
    if message:
        found['message'] = message
    if severity:
        found['severity'] = severity
    return found


def meta(name, generation=1, labels=None, annotations=None, deleting=False):
    found = {'name': name, 'namespace': 'magnum-p1', 'generation': generation,
             'labels': dict(labels or {})}
    if annotations:
        found['annotations'] = dict(annotations)
    if deleting:
        found['deletionTimestamp'] = '2026-03-01T12:01:00Z'
    return found


def make_cluster(phase='Provisioned', infra=True, cp=True, host='10.0.0.5',
                 port=6443, deleting=False):
    return {
        'apiVersion': 'cluster.x-k8s.io/v1beta1', 'kind': 'Cluster',
        'metadata': meta(RELEASE, deleting=deleting),
        'spec': {'controlPlaneEndpoint': {'host': host, 'port': port},
                 'controlPlaneRef': {'name': RELEASE + '-control-plane'}},
        'status': {'phase': phase, 'conditions': [
            cond('Ready', str(infra and cp)),
            cond('InfrastructureReady', str(infra),
                 None if infra else 'NetworkNotReady'),
            cond('ControlPlaneReady', str(cp),
                 None if cp else 'WaitingForControlPlane'),
        ]},
    }


def make_osc(failure_reason=None, failure_message=None, conditions=()):
    found = {'apiVersion': 'infrastructure.cluster.x-k8s.io/v1beta1',
             'kind': 'OpenStackCluster', 'metadata': meta(RELEASE),
             'status': {'ready': True,
                        'conditions': [cond('Ready')] + list(conditions)}}
    if failure_reason:
        found['status']['failureReason'] = failure_reason
    if failure_message:
        found['status']['failureMessage'] = failure_message
    return found


def make_kcp(replicas=3, ready=None, updated=None, current=None,
             unavailable=0, version=OLD, status_version=None,
             initialized=True, generation=1, observed=1, conditions=()):
    ready = replicas if ready is None else ready
    st = {'replicas': replicas if current is None else current,
          'readyReplicas': ready,
          'updatedReplicas': replicas if updated is None else updated,
          'unavailableReplicas': unavailable,
          'version': status_version or version,
          'initialized': initialized, 'ready': ready > 0,
          'observedGeneration': observed,
          'conditions': list(conditions)}
    return {'apiVersion': 'controlplane.cluster.x-k8s.io/v1beta1',
            'kind': 'KubeadmControlPlane',
            'metadata': meta(RELEASE + '-control-plane', generation),
            'spec': {'replicas': replicas, 'version': version},
            'status': st}


def make_md(group, replicas=2, ready=None, updated=None, current=None,
            available=None, version=OLD, autoscale=None, generation=1,
            observed=1, phase='Running', conditions=(), deleting=False):
    """A MachineDeployment; autoscale=(min, max) omits spec.replicas."""
    ready = replicas if ready is None else ready
    annotations = {}
    spec = {'clusterName': RELEASE,
            'template': {'spec': {'version': version,
                                  'clusterName': RELEASE}}}
    if autoscale:
        annotations = {rules.AUTOSCALER_MIN: str(autoscale[0]),
                       rules.AUTOSCALER_MAX: str(autoscale[1])}
    else:
        spec['replicas'] = replicas
    st = {'phase': phase, 'observedGeneration': observed,
          'conditions': list(conditions)}
    counts = {'replicas': replicas if current is None else current,
              'readyReplicas': ready,
              'updatedReplicas': replicas if updated is None else updated,
              'availableReplicas': ready if available is None else available}
    # Kubernetes omits zero counts.
    st.update({k: v for k, v in counts.items() if v})
    return {'apiVersion': 'cluster.x-k8s.io/v1beta1',
            'kind': 'MachineDeployment',
            'metadata': meta('%s-%s' % (RELEASE, group), generation,
                             annotations=annotations, deleting=deleting),
            'spec': spec, 'status': st}


def make_machine(name, group=None, version=OLD, internal='10.0.0.10',
                 external=None, healthy=True, deleting=False,
                 failure=None):
    """A Machine of the control plane (group None) or of a nodegroup."""
    labels = {'cluster.x-k8s.io/cluster-name': RELEASE}
    if group is None:
        labels[status.CONTROL_PLANE_LABEL] = ''
    else:
        labels[status.DEPLOYMENT_LABEL] = '%s-%s' % (RELEASE, group)
    addresses = [{'type': 'Hostname', 'address': name}]
    if external:
        addresses.append({'type': 'ExternalIP', 'address': external})
    if internal:
        addresses.append({'type': 'InternalIP', 'address': internal})
    st = {'phase': 'Running', 'addresses': addresses,
          'nodeRef': {'kind': 'Node', 'name': name},
          'conditions': [cond('NodeHealthy', str(healthy),
                              None if healthy else 'NodeConditionsFailed')]}
    if failure:
        st['failureReason'], st['failureMessage'] = failure
    return {'apiVersion': 'cluster.x-k8s.io/v1beta1', 'kind': 'Machine',
            'metadata': meta(name, labels=labels, deleting=deleting),
            'spec': {'clusterName': RELEASE, 'version': version},
            'status': st}


def machines(group, count, version=OLD, first=10):
    prefix = 'cp' if group is None else group
    return [make_machine('%s-%d' % (prefix, i), group, version,
                         '10.0.%d.%d' % (0 if group is None else 1, first + i))
            for i in range(count)]


def snapshot(cluster=True, osc=True, kcp=True, mds=None, extra_machines=(),
             masters=3, workers=2, version=OLD, **kw):
    """A fully ready cluster unless parts are overridden."""
    if mds is None:
        mds = [make_md('default-worker', workers, version=version)]
        extra_machines = (machines('default-worker', workers, version)
                          + list(extra_machines))
    return status.Snapshot(
        cluster=make_cluster() if cluster is True else cluster,
        openstack_cluster=make_osc() if osc is True else osc,
        control_plane=(make_kcp(masters, version=version) if kcp is True
                       else kcp),
        machine_deployments=tuple(mds),
        machines=tuple((machines(None, masters, version) if kcp is True
                        else []) + list(extra_machines)),
        release_exists=kw.pop('release_exists', True), **kw)


def ng(name, role='worker', count=2, state=CS.CREATE_IN_PROGRESS, **kw):
    return status.NodeGroupView(
        uuid='uuid-' + name, name=name, status=state, node_count=count,
        deployment_name=(None if role == 'master'
                         else '%s-%s' % (RELEASE, name)),
        **kw)


def view(state=CS.CREATE_IN_PROGRESS, groups=None, masters=3, workers=2,
         group_state=None, **kw):
    if groups is None:
        group_state = group_state or state
        groups = [ng('default-master', 'master', masters, group_state),
                  ng('default-worker', 'worker', workers, group_state)]
    kw.setdefault('create_timeout', 60)
    kw.setdefault('update_timeout', 3600)
    kw.setdefault('delete_timeout', 1800)
    return status.ClusterView(status=state, started_at=STARTED,
                              nodegroups=tuple(groups), **kw)


def decide(snap, v, at=5):
    return status.decide(snap, v, minutes(at))


# ----------------------------------------------------------------- create

CREATE_PROGRESS = [
    ('no Cluster yet after install',
     dict(cluster=None, osc=None, kcp=None, mds=[]),
     'Cluster object not created yet'),
    ('release not installed yet',
     dict(cluster=None, osc=None, kcp=None, mds=[], release_exists=False),
     'Helm release not installed yet'),
    ('network not ready',
     dict(cluster=make_cluster('Provisioning', infra=False, cp=False),
          kcp=None, mds=[]),
     'Cluster: phase Provisioning, InfrastructureReady False '
     '(NetworkNotReady), ControlPlaneReady False (WaitingForControlPlane)'),
    ('first control plane machine not ready',
     dict(kcp=make_kcp(3, ready=1, initialized=False, conditions=[
         cond('Ready', 'False', 'WaitingForKubeadmInit',
              severity='Info')])),
     'control plane: 1 of 3 machines ready (WaitingForKubeadmInit)'),
    ('workers not ready although phase Running',
     dict(mds=[make_md('default-worker', 2, ready=0, phase='Running')]),
     "nodegroup 'default-worker' (MachineDeployment "
     "demo-abc-default-worker): 0 of 2 replicas ready"),
    ('workers not available',
     dict(mds=[make_md('default-worker', 2, available=1)]),
     '1 of 2 replicas unavailable'),
    ('MachineDeployment change not observed',
     dict(mds=[make_md('default-worker', 2, generation=3, observed=2)]),
     'change not yet observed by its controller'),
    ('control plane change not observed',
     dict(kcp=make_kcp(3, generation=2, observed=1)),
     'control plane: change not yet observed by its controller'),
    ('MachineDeployment missing',
     dict(mds=[]),
     "nodegroup 'default-worker' (MachineDeployment "
     "demo-abc-default-worker): not created yet"),
    ('no endpoint yet',
     dict(cluster=make_cluster(host='', port=0)),
     'Cluster: no API endpoint'),
]


@pytest.mark.parametrize('case,parts,expected', CREATE_PROGRESS,
                         ids=[c[0] for c in CREATE_PROGRESS])
def test_create_in_progress(case, parts, expected):
    decision = decide(snapshot(**parts), view())
    assert decision.status == CS.CREATE_IN_PROGRESS
    assert 'status' not in decision.changes
    assert expected in decision.status_reason
    assert decision.status_reason.startswith('Waiting for: ')
    assert not decision.cleanup_ready


def test_create_complete_fills_in_observed_fields():
    snap = snapshot(extra_machines=[make_machine(
        'default-worker-7', 'default-worker', internal='10.0.1.77',
        deleting=True)])
    decision = decide(snap, view())
    assert decision.status == CS.CREATE_COMPLETE
    assert decision.status_reason is None
    assert decision.api_address == 'https://10.0.0.5:6443'
    assert decision.coe_version == OLD
    assert decision.changes == {
        'status': CS.CREATE_COMPLETE,
        'api_address': 'https://10.0.0.5:6443',
        'coe_version': OLD,
    }
    for group in decision.nodegroups:
        assert group.status == CS.CREATE_COMPLETE
        assert group.changes['status'] == CS.CREATE_COMPLETE
    # Magnum derives the cluster's addresses from its nodegroups'; the
    # deleting machine is not listed.
    assert decision.nodegroup('uuid-default-master').changes[
        'node_addresses'] == ['10.0.0.10', '10.0.0.11', '10.0.0.12']
    assert decision.nodegroup('uuid-default-worker').changes[
        'node_addresses'] == ['10.0.1.10', '10.0.1.11']


def test_nothing_changed_reports_no_changes():
    first = decide(snapshot(), view())
    settled = view(
        CS.CREATE_COMPLETE, api_address=first.api_address,
        coe_version=first.coe_version,
        groups=[dataclasses.replace(
            g, status=CS.CREATE_COMPLETE,
            node_addresses=first.nodegroup(g.uuid).node_addresses)
            for g in view().nodegroups])
    again = decide(snapshot(), settled, at=50)
    assert again.changes == {}
    assert all(g.changes == {} for g in again.nodegroups)


def test_addresses_prefer_internal_ip():
    extra = [make_machine('default-worker-0', 'default-worker',
                          internal=None, external='203.0.113.9')]
    snap = snapshot(mds=[make_md('default-worker', 1)],
                    extra_machines=extra)
    decision = decide(snap, view(workers=1))
    assert decision.nodegroup('uuid-default-worker').node_addresses == (
        '203.0.113.9',)
    both = [make_machine('default-worker-0', 'default-worker',
                         internal='10.0.1.5', external='203.0.113.9')]
    snap = snapshot(mds=[make_md('default-worker', 1)], extra_machines=both)
    assert decide(snap, view(workers=1)).nodegroup(
        'uuid-default-worker').node_addresses == ('10.0.1.5',)


def test_ipv6_endpoint_is_bracketed():
    snap = snapshot(cluster=make_cluster(host='2001:db8::5', port=443))
    assert decide(snap, view()).api_address == 'https://[2001:db8::5]:443'


def v1beta2_failed_machine(name, group, reason, message):
    """A Machine read at v1beta2: failure fields under status.deprecated."""
    found = make_machine(name, group)
    found['status']['deprecated'] = {'v1beta1': {
        'failureReason': reason, 'failureMessage': message}}
    return found


def retried_machine(name, group, severity='Warning'):
    found = make_machine(name, group)
    found['status'].pop('nodeRef')
    found['status']['conditions'].append(cond(
        'InfrastructureReady', 'False', 'InstanceCreateFailed',
        'Quota exceeded for instances', severity))
    return found


LB_FILTER = ('failed to reconcile load balancer: filter matched more than '
             'one resource')

# CAPO records what it will not retry in the failure fields (terminal);
# False conditions with severity Warning or Error and no failure fields are
# errors it retries (transient). Rows: snapshot parts, terminal, text the
# reason must hold.
FAILURE_KINDS = [
    ('OpenStackCluster failure fields (fatal handleUpdateOSCError)',
     dict(osc=make_osc('UpdateError', LB_FILTER, conditions=[
         cond('Ready', 'False', 'OpenStackError', LB_FILTER, 'Error')]),
          kcp=None, mds=[]),
     True, 'OpenStack network or load balancer failed: ' + LB_FILTER),
    ('OpenStackCluster failureReason alone',
     dict(osc=make_osc('UpdateError'), kcp=None, mds=[]),
     True, 'OpenStack network or load balancer failed: UpdateError'),
    ('worker Machine failure fields (server ERROR before its Node)',
     dict(mds=[make_md('default-worker', 2, ready=1)],
          extra_machines=[make_machine(
              'default-worker-9', 'default-worker',
              failure=('UpdateError', 'instance state ERROR is '
                                      'unexpected'))]),
     True, 'machine default-worker-9 failed: instance state ERROR is '
           'unexpected'),
    ('control plane Machine failure fields',
     dict(kcp=make_kcp(3, ready=2), extra_machines=[make_machine(
         'cp-9', None, failure=('UpdateError',
                                'The server was unexpectedly deleted'))]),
     True, 'machine cp-9 failed: The server was unexpectedly deleted'),
    ('Machine read at v1beta2 (status.deprecated.v1beta1)',
     dict(mds=[make_md('default-worker', 2, ready=1)],
          extra_machines=[v1beta2_failed_machine(
              'default-worker-9', 'default-worker', 'UpdateError',
              'instance state ERROR is unexpected')]),
     True, 'machine default-worker-9 failed: instance state ERROR'),
    ('OpenStackError with severity Warning (retried)',
     dict(osc=make_osc(conditions=[cond(
         'Ready', 'False', 'OpenStackError',
         'failed to reconcile load balancer: quota exceeded', 'Warning')]),
          cluster=make_cluster('Provisioning', infra=False, cp=False),
          kcp=None, mds=[]),
     False, 'OpenStack network or load balancer, retrying: failed to '
            'reconcile load balancer: quota exceeded'),
    ('NetworkCreateFailed with severity Error (retried)',
     dict(osc=make_osc(conditions=[cond(
         'NetworkReady', 'False', 'NetworkCreateFailed',
         'Failed to reconcile network: 503 Service Unavailable',
         'Error')]), kcp=None, mds=[]),
     False, 'retrying: Failed to reconcile network: 503 Service '
            'Unavailable'),
    ('Machine InfrastructureReady Warning (retried)',
     dict(mds=[make_md('default-worker', 2, ready=1)],
          extra_machines=[retried_machine('default-worker-9',
                                          'default-worker')]),
     False, 'machine default-worker-9, retrying: Quota exceeded for '
            'instances'),
    ('failed Machine being deleted (remediation under way)',
     dict(mds=[make_md('default-worker', 2, ready=1)],
          extra_machines=[make_machine(
              'default-worker-9', 'default-worker', deleting=True,
              failure=('UpdateError', 'instance state ERROR'))]),
     False, '1 of 2 replicas ready'),
]


@pytest.mark.parametrize('case,parts,terminal,text', FAILURE_KINDS,
                         ids=[c[0] for c in FAILURE_KINDS])
def test_terminal_fails_at_once_retried_waits_for_the_timeout(
        case, parts, terminal, text):
    early = decide(snapshot(**parts), view(), at=1)
    late = decide(snapshot(**parts), view(), at=60)
    assert text in early.status_reason
    assert text in late.status_reason
    assert late.status == CS.CREATE_FAILED
    if terminal:
        assert early.status == CS.CREATE_FAILED
        assert not early.status_reason.startswith('Timed out')
        assert any(g.status == CS.CREATE_FAILED and text in g.status_reason
                   for g in early.nodegroups)
    else:
        assert early.status == CS.CREATE_IN_PROGRESS
        assert early.status_reason.startswith('Waiting for: ')
        assert all(g.status in (CS.CREATE_IN_PROGRESS, CS.CREATE_COMPLETE)
                   for g in early.nodegroups)
        assert late.status_reason.startswith('Timed out after 60 minutes')


def test_failure_fields_by_api_version():
    assert status.failure_fields({'status': {}}) is None
    assert status.failure_fields(None) is None
    assert status.failure_fields({'status': {'failureMessage': 'm'}}) == (
        None, 'm')
    assert status.failure_fields({'status': {'deprecated': {'v1beta1': {
        'failureReason': 'r'}}}}) == ('r', None)


def test_info_condition_is_neither_failure_nor_retry():
    osc = make_osc(conditions=[cond('APIServerIngressReady', 'False',
                                    'LoadBalancerPending', severity='Info')])
    snap = snapshot(osc=osc)
    assert status.infrastructure_problem(snap) is None
    assert decide(snap, view(), at=1).status == CS.CREATE_COMPLETE


def test_retried_problem_clears_and_the_create_completes():
    problem = make_osc(conditions=[cond('Ready', 'False', 'OpenStackError',
                                        'quota exceeded', 'Warning')])
    assert decide(snapshot(osc=problem), view(), at=30).status == \
        CS.CREATE_IN_PROGRESS
    assert decide(snapshot(), view(), at=31).status == CS.CREATE_COMPLETE


def test_machine_failure_fails_an_update_of_a_settled_group():
    """A group not in progress but held back by a failed machine."""
    snap = snapshot(mds=[make_md('default-worker', 2, ready=1, current=3)],
                    extra_machines=[make_machine(
                        'default-worker-9', 'default-worker',
                        failure=('UpdateError', 'instance ERROR'))])
    v = view(CS.UPDATE_IN_PROGRESS, group_state=CS.UPDATE_COMPLETE)
    decision = decide(snap, v, at=1)
    assert decision.status == CS.UPDATE_FAILED
    assert 'machine default-worker-9 failed' in decision.status_reason


def test_create_timeout_says_what_never_became_ready():
    snap = snapshot(kcp=make_kcp(3, ready=2),
                    mds=[make_md('default-worker', 2, ready=0)])
    still = decide(snap, view(), at=59)
    assert still.status == CS.CREATE_IN_PROGRESS
    decision = decide(snap, view(), at=60)
    assert decision.status == CS.CREATE_FAILED
    assert decision.status_reason == (
        'Timed out after 60 minutes waiting for: control plane: 2 of 3 '
        "machines ready; nodegroup 'default-worker' (MachineDeployment "
        'demo-abc-default-worker): 0 of 2 replicas ready')
    states = {g.name: (g.status, g.status_reason)
              for g in decision.nodegroups}
    assert states['default-master'][0] == CS.CREATE_FAILED
    assert 'control plane: 2 of 3' in states['default-master'][1]
    assert states['default-worker'][0] == CS.CREATE_FAILED


def test_create_timeout_completes_the_groups_that_are_done():
    snap = snapshot(mds=[make_md('default-worker', 2, ready=1)])
    decision = decide(snap, view(), at=61)
    assert decision.status == CS.CREATE_FAILED
    assert decision.nodegroup('uuid-default-master').status == (
        CS.CREATE_COMPLETE)
    assert decision.nodegroup('uuid-default-worker').status == (
        CS.CREATE_FAILED)


@pytest.mark.parametrize('timeout', [None, 0])
def test_no_create_timeout_means_no_limit(timeout):
    snap = snapshot(mds=[make_md('default-worker', 2, ready=1)])
    decision = decide(snap, view(create_timeout=timeout), at=60 * 24 * 7)
    assert decision.status == CS.CREATE_IN_PROGRESS


def test_pending_release_completes_nothing():
    decision = decide(snapshot(release_pending=True), view())
    assert decision.status == CS.CREATE_IN_PROGRESS
    assert 'Helm release operation pending' in decision.status_reason
    assert all(g.status == CS.CREATE_IN_PROGRESS
               for g in decision.nodegroups)


# ----------------------------------------------------------------- update

RESIZE = [
    ('spec not yet changed', make_md('default-worker', 2), 3,
     CS.UPDATE_IN_PROGRESS, 'waiting for 3 replicas (spec has 2)'),
    ('new machine not ready', make_md('default-worker', 3, ready=2), 3,
     CS.UPDATE_IN_PROGRESS, '2 of 3 replicas ready'),
    ('scaling down', make_md('default-worker', 1, current=2), 1,
     CS.UPDATE_IN_PROGRESS, '2 replicas for 1 wanted'),
    ('scaled', make_md('default-worker', 3), 3, CS.UPDATE_COMPLETE, None),
    ('scaled to zero', make_md('default-worker', 0), 0,
     CS.UPDATE_COMPLETE, None),
]


@pytest.mark.parametrize('case,md,count,expected,reason', RESIZE,
                         ids=[c[0] for c in RESIZE])
def test_update_node_count(case, md, count, expected, reason):
    workers = md['status'].get('readyReplicas', 0)
    snap = snapshot(mds=[md],
                    extra_machines=machines('default-worker', workers))
    # Magnum's cluster update changes the count, not the group's status.
    v = view(CS.UPDATE_IN_PROGRESS, workers=count,
             group_state=CS.UPDATE_COMPLETE)
    decision = decide(snap, v)
    assert decision.status == expected
    if reason is None:
        assert decision.status_reason is None
    else:
        assert reason in decision.status_reason
    worker = decision.nodegroup('uuid-default-worker')
    assert worker.status == CS.UPDATE_COMPLETE
    assert worker.node_count == count


def test_update_timeout_fails_update():
    snap = snapshot(mds=[make_md('default-worker', 3, ready=2)])
    v = view(CS.UPDATE_IN_PROGRESS, workers=3,
             group_state=CS.UPDATE_COMPLETE)
    assert decide(snap, v, at=59).status == CS.UPDATE_IN_PROGRESS
    decision = decide(snap, v, at=60)
    assert decision.status == CS.UPDATE_FAILED
    assert decision.status_reason.startswith(
        'Timed out after 60 minutes waiting for: nodegroup')
    assert '2 of 3 replicas ready' in decision.status_reason


def test_update_timeout_runs_from_the_newest_helm_revision():
    snap = snapshot(mds=[make_md('default-worker', 3, ready=2)],
                    release_started_at=minutes(40))
    v = view(CS.UPDATE_IN_PROGRESS, workers=3,
             group_state=CS.UPDATE_COMPLETE)
    assert decide(snap, v, at=99).status == CS.UPDATE_IN_PROGRESS
    assert decide(snap, v, at=100).status == CS.UPDATE_FAILED


@pytest.mark.parametrize('observed,expected', [
    (None, CS.UPDATE_FAILED),
    (minutes(59.5), CS.UPDATE_IN_PROGRESS),
    (minutes(60), CS.UPDATE_FAILED),
    (minutes(61), CS.UPDATE_FAILED),
])
def test_timeout_is_judged_when_the_objects_were_seen(observed, expected):
    """A view seen before the deadline cannot fail the operation."""
    snap = snapshot(mds=[make_md('default-worker', 3, ready=2)],
                    observed_at=observed)
    v = view(CS.UPDATE_IN_PROGRESS, workers=3,
             group_state=CS.UPDATE_COMPLETE)
    assert decide(snap, v, at=60.25).status == expected


@pytest.mark.parametrize('revision,requested,fails_at', [
    (None, 40, 100),
    (10, 40, 100),
    (40, 10, 100),
    (40, None, 100),
])
def test_update_timeout_runs_from_the_later_of_revision_and_request(
        revision, requested, fails_at):
    """A change noted before its Helm revision is timed from the note."""
    cluster = make_cluster()
    if requested is not None:
        cluster['metadata']['annotations'] = {
            status.CHANGE_REQUESTED: status.format_time(minutes(requested))}
    snap = snapshot(cluster=cluster,
                    mds=[make_md('default-worker', 3, ready=2)],
                    release_started_at=(None if revision is None
                                        else minutes(revision)))
    v = view(CS.UPDATE_IN_PROGRESS, workers=3,
             group_state=CS.UPDATE_COMPLETE)
    assert decide(snap, v, at=fails_at - 1).status == CS.UPDATE_IN_PROGRESS
    assert decide(snap, v, at=fails_at).status == CS.UPDATE_FAILED


def test_naive_database_times_are_utc():
    snap = snapshot(mds=[make_md('default-worker', 3, ready=2)])
    v = view(CS.UPDATE_IN_PROGRESS, workers=3,
             group_state=CS.UPDATE_COMPLETE)
    v = dataclasses.replace(v, started_at=STARTED.replace(tzinfo=None))
    assert decide(snap, v, at=60).status == CS.UPDATE_FAILED


def _upgrade_view():
    groups = [ng('default-master', 'master', 3, CS.UPDATE_COMPLETE),
              ng('default-worker', 'worker', 2, CS.UPDATE_IN_PROGRESS)]
    return view(CS.UPDATE_IN_PROGRESS, groups=groups, coe_version=OLD)


# Magnum's template version is not an input: the applied objects carry the
# new version, and the rollout shows in generations and replica counts.
UPGRADE = [
    ('control plane change not observed',
     dict(kcp=make_kcp(3, version=NEW, generation=2, observed=1)),
     'control plane: change not yet observed by its controller'),
    ('control plane rolling',
     dict(kcp=make_kcp(3, version=NEW, updated=1, current=4)),
     'control plane: 1 of 3 machines up to date'),
    ('control plane status version behind',
     dict(kcp=make_kcp(3, version=NEW, status_version=OLD)),
     'control plane: running v1.31.4, not v1.32.2'),
    ('worker template change not observed',
     dict(mds=[make_md('default-worker', 2, version=NEW, generation=2,
                       observed=1)]),
     "nodegroup 'default-worker' (MachineDeployment "
     'demo-abc-default-worker): change not yet observed by its controller'),
    ('one worker machine still old',
     dict(extra_machines=[make_machine('default-worker-0', 'default-worker',
                                       version=OLD),
                          make_machine('default-worker-1', 'default-worker',
                                       version=NEW)],
          mds=[make_md('default-worker', 2, version=NEW, updated=1)]),
     '1 of 2 replicas up to date'),
]


@pytest.mark.parametrize('case,parts,expected', UPGRADE,
                         ids=[c[0] for c in UPGRADE])
def test_upgrade_in_progress(case, parts, expected):
    parts.setdefault('kcp', make_kcp(3, version=NEW))
    snap = snapshot(version=NEW, **parts)
    decision = decide(snap, _upgrade_view())
    assert decision.status == CS.UPDATE_IN_PROGRESS
    assert expected in decision.status_reason


def test_upgrade_complete():
    decision = decide(snapshot(version=NEW), _upgrade_view())
    assert decision.status == CS.UPDATE_COMPLETE
    assert decision.coe_version == NEW
    assert decision.changes['coe_version'] == NEW
    assert decision.nodegroup('uuid-default-worker').status == (
        CS.UPDATE_COMPLETE)


# ------------------------------------------------------------- autoscaling

AUTOSCALE = [
    ('autoscaler grew the group', make_md('default-worker', 4,
                                          autoscale=(1, 5)),
     CS.UPDATE_COMPLETE, 4, None),
    ('autoscaled group scaling', make_md('default-worker', 4, ready=3,
                                         autoscale=(1, 5)),
     CS.UPDATE_IN_PROGRESS, 4, '3 of 4 replicas ready'),
    ('outside the range', make_md('default-worker', 6, autoscale=(1, 5)),
     CS.UPDATE_IN_PROGRESS, 6, '6 replicas outside autoscaling range 1-5'),
    ('autoscaled down to zero', make_md('default-worker', 0,
                                        autoscale=(0, 5)),
     CS.UPDATE_COMPLETE, 0, None),
]


@pytest.mark.parametrize('case,md,expected,count,reason', AUTOSCALE,
                         ids=[c[0] for c in AUTOSCALE])
def test_autoscaled_group(case, md, expected, count, reason):
    ready = md['status'].get('readyReplicas', 0)
    snap = snapshot(mds=[md], extra_machines=machines('default-worker',
                                                      ready))
    v = view(CS.UPDATE_IN_PROGRESS, workers=2,
             group_state=CS.UPDATE_COMPLETE)
    decision = decide(snap, v)
    assert decision.status == expected
    worker = decision.nodegroup('uuid-default-worker')
    assert worker.node_count == count
    assert worker.changes.get('node_count') == (count if count != 2
                                                else None)
    if reason:
        assert reason in decision.status_reason


def test_autoscaled_spec_replicas_set_by_autoscaler_is_the_count():
    md = make_md('default-worker', 3, autoscale=(1, 5))
    md['spec']['replicas'] = 3
    snap = snapshot(mds=[md], extra_machines=machines('default-worker', 3))
    decision = decide(snap, view(CS.UPDATE_IN_PROGRESS, workers=2,
                                 group_state=CS.UPDATE_COMPLETE))
    assert decision.status == CS.UPDATE_COMPLETE
    assert decision.nodegroup('uuid-default-worker').node_count == 3


def test_non_autoscaled_count_is_never_overwritten():
    snap = snapshot(mds=[make_md('default-worker', 4)],
                    extra_machines=machines('default-worker', 4))
    decision = decide(snap, view(CS.UPDATE_IN_PROGRESS, workers=2,
                                 group_state=CS.UPDATE_COMPLETE))
    worker = decision.nodegroup('uuid-default-worker')
    assert worker.node_count == 2
    assert 'node_count' not in worker.changes
    assert decision.status == CS.UPDATE_IN_PROGRESS


# ------------------------------------------------------ nodegroup operations

def _with_gpu(state, **kw):
    groups = [ng('default-master', 'master', 3, CS.CREATE_COMPLETE),
              ng('default-worker', 'worker', 2, CS.CREATE_COMPLETE),
              ng('gpu', 'worker', 2, state, **kw)]
    return view(CS.UPDATE_IN_PROGRESS, groups=groups)


def _gpu_snapshot(md=None, gpu_machines=()):
    mds = [make_md('default-worker', 2)] + ([md] if md else [])
    return snapshot(mds=mds, extra_machines=machines('default-worker', 2)
                    + list(gpu_machines))


NODEGROUP_OPS = [
    ('create: MachineDeployment missing', CS.CREATE_IN_PROGRESS, None, (),
     CS.CREATE_IN_PROGRESS, CS.UPDATE_IN_PROGRESS, False,
     "nodegroup 'gpu' (MachineDeployment demo-abc-gpu): not created yet"),
    ('create: not ready', CS.CREATE_IN_PROGRESS,
     make_md('gpu', 2, ready=0), (),
     CS.CREATE_IN_PROGRESS, CS.UPDATE_IN_PROGRESS, False,
     "nodegroup 'gpu' (MachineDeployment demo-abc-gpu): 0 of 2 replicas "
     'ready'),
    ('create: done', CS.CREATE_IN_PROGRESS, make_md('gpu', 2),
     machines('gpu', 2), CS.CREATE_COMPLETE, CS.UPDATE_COMPLETE, False,
     None),
    ('update: done', CS.UPDATE_IN_PROGRESS, make_md('gpu', 2),
     machines('gpu', 2), CS.UPDATE_COMPLETE, CS.UPDATE_COMPLETE, False,
     None),
    ('delete: MachineDeployment deleting', CS.DELETE_IN_PROGRESS,
     make_md('gpu', 2, deleting=True), machines('gpu', 2),
     CS.DELETE_IN_PROGRESS, CS.UPDATE_IN_PROGRESS, False,
     'Deleting: still present: MachineDeployment demo-abc-gpu, 2 Machines'),
    ('delete: machines remain', CS.DELETE_IN_PROGRESS, None,
     machines('gpu', 1), CS.DELETE_IN_PROGRESS, CS.UPDATE_IN_PROGRESS,
     False, 'Deleting: still present: 1 Machine'),
    ('delete: gone', CS.DELETE_IN_PROGRESS, None, (),
     CS.DELETE_IN_PROGRESS, CS.UPDATE_COMPLETE, True, None),
]


@pytest.mark.parametrize(
    'case,state,md,gpu_machines,ng_status,cluster_status,destroy,reason',
    NODEGROUP_OPS, ids=[c[0] for c in NODEGROUP_OPS])
def test_nodegroup_operations(case, state, md, gpu_machines, ng_status,
                              cluster_status, destroy, reason):
    decision = decide(_gpu_snapshot(md, gpu_machines), _with_gpu(state))
    gpu = decision.nodegroup('uuid-gpu')
    assert gpu.status == ng_status
    assert gpu.destroy is destroy
    assert decision.status == cluster_status
    if reason is None:
        assert gpu.status_reason is None
        assert decision.status_reason is None
    else:
        assert reason in gpu.status_reason
        assert reason in decision.status_reason


def test_nodegroup_machines_only_count_for_their_group():
    # Other groups' machines do not keep a deleted group alive.
    decision = decide(_gpu_snapshot(), _with_gpu(CS.DELETE_IN_PROGRESS))
    assert decision.nodegroup('uuid-gpu').destroy


def test_nodegroup_delete_timeout():
    snap = _gpu_snapshot(make_md('gpu', 2, deleting=True),
                         machines('gpu', 2))
    decision = decide(snap, _with_gpu(CS.DELETE_IN_PROGRESS), at=30)
    gpu = decision.nodegroup('uuid-gpu')
    assert gpu.status == CS.DELETE_FAILED
    assert gpu.status_reason == (
        'Deletion timed out after 30 minutes: still present: '
        'MachineDeployment demo-abc-gpu, 2 Machines')
    assert decision.status == CS.UPDATE_FAILED


def test_nodegroup_create_times_out_with_the_cluster_update():
    """A nodegroup's operation is timed from its cluster's start."""
    groups = [ng('default-master', 'master', 3, CS.CREATE_COMPLETE),
              ng('default-worker', 'worker', 2, CS.CREATE_COMPLETE),
              ng('gpu', 'worker', 2, CS.CREATE_IN_PROGRESS)]
    snap = _gpu_snapshot(make_md('gpu', 2, ready=0))
    v = view(CS.UPDATE_IN_PROGRESS, groups=groups)
    before = decide(snap, v, at=59)
    assert before.nodegroup('uuid-gpu').status == CS.CREATE_IN_PROGRESS
    assert before.status == CS.UPDATE_IN_PROGRESS
    decision = decide(snap, v, at=60)
    gpu = decision.nodegroup('uuid-gpu')
    assert gpu.status == CS.CREATE_FAILED
    assert gpu.status_reason.startswith('Timed out after 60 minutes: ')
    assert decision.status == CS.UPDATE_FAILED
    assert decision.status_reason == (
        "Timed out after 60 minutes waiting for: nodegroup 'gpu' "
        '(MachineDeployment demo-abc-gpu): 0 of 2 replicas ready')


def test_failed_nodegroup_does_not_block_the_cluster():
    decision = decide(_gpu_snapshot(), _with_gpu(
        CS.CREATE_FAILED, status_reason='helm said no'))
    assert decision.status == CS.UPDATE_COMPLETE
    gpu = decision.nodegroup('uuid-gpu')
    assert gpu.status == CS.CREATE_FAILED
    assert gpu.status_reason == 'helm said no'
    assert 'status' not in gpu.changes


def test_complete_group_still_changing_blocks_the_cluster():
    groups = [ng('default-master', 'master', 3, CS.CREATE_COMPLETE),
              ng('default-worker', 'worker', 2, CS.CREATE_COMPLETE)]
    snap = snapshot(mds=[make_md('default-worker', 2, generation=2)])
    decision = decide(snap, view(CS.UPDATE_IN_PROGRESS, groups=groups))
    assert decision.status == CS.UPDATE_IN_PROGRESS


def test_group_left_in_progress_reopens_a_completed_cluster():
    # The nodegroup's status was saved after a poll completed the cluster.
    groups = [ng('default-master', 'master', 3, CS.UPDATE_COMPLETE),
              ng('default-worker', 'worker', 2, CS.UPDATE_COMPLETE),
              ng('gpu', 'worker', 3, CS.UPDATE_IN_PROGRESS)]
    v = view(CS.UPDATE_COMPLETE, groups=groups)
    snap = _gpu_snapshot(make_md('gpu', 2), machines('gpu', 2))
    decision = decide(snap, v)
    assert decision.status == CS.UPDATE_IN_PROGRESS
    assert decision.changes['status'] == CS.UPDATE_IN_PROGRESS
    assert 'waiting for 3 replicas (spec has 2)' in decision.status_reason
    # Once the group is done, it completes and the cluster is left alone.
    snap = _gpu_snapshot(make_md('gpu', 3), machines('gpu', 3))
    decision = decide(snap, v)
    assert decision.nodegroup('uuid-gpu').status == CS.UPDATE_COMPLETE
    assert decision.status == CS.UPDATE_COMPLETE
    assert 'status' not in decision.changes


def test_group_left_in_progress_by_failed_cluster_fails():
    v = view(CS.CREATE_FAILED, status_reason='Helm could not install',
             group_state=CS.CREATE_IN_PROGRESS)
    decision = decide(snapshot(cluster=None, osc=None, kcp=None, mds=[]), v)
    assert decision.status == CS.CREATE_FAILED
    assert decision.status_reason == 'Helm could not install'
    for group in decision.nodegroups:
        assert group.status == CS.CREATE_FAILED
        assert group.status_reason.startswith('Cluster operation failed: ')


# ----------------------------------------------------------------- delete

def _deleting(**kw):
    return view(CS.DELETE_IN_PROGRESS, group_state=CS.CREATE_COMPLETE,
                api_address='https://10.0.0.5:6443', **kw)


DELETE = [
    ('helm release not yet uninstalled', snapshot(),
     CS.DELETE_IN_PROGRESS, False,
     'Deleting: still present: Helm release, Cluster (Provisioned), '
     'OpenStackCluster, KubeadmControlPlane, 1 MachineDeployment, '
     '5 Machines'),
    ('cluster deleting',
     status.Snapshot(cluster=make_cluster('Deleting', deleting=True),
                     openstack_cluster=make_osc(),
                     machines=tuple(machines('default-worker', 2)),
                     release_exists=False),
     CS.DELETE_IN_PROGRESS, False,
     'Deleting: still present: Cluster (Deleting), OpenStackCluster, '
     '2 Machines'),
    ('only the OpenStackCluster left',
     status.Snapshot(openstack_cluster=make_osc(), release_exists=False),
     CS.DELETE_IN_PROGRESS, False,
     'Deleting: still present: OpenStackCluster'),
    ('stale provider error does not fail the delete',
     status.Snapshot(openstack_cluster=make_osc('CreateError', 'quota'),
                     release_exists=False),
     CS.DELETE_IN_PROGRESS, False,
     'Deleting: OpenStack network or load balancer failed: quota; still '
     'present: OpenStackCluster'),
    ('retried delete error is shown',
     status.Snapshot(openstack_cluster=make_osc(conditions=[cond(
         'Ready', 'False', 'OpenStackError',
         'failed to delete router: 409', 'Warning')]),
         release_exists=False),
     CS.DELETE_IN_PROGRESS, False,
     'Deleting: OpenStack network or load balancer, retrying: failed to '
     'delete router: 409; still present: OpenStackCluster'),
    ('objects gone, release still there',
     status.Snapshot(release_exists=True),
     CS.DELETE_IN_PROGRESS, False, 'Deleting: still present: Helm release'),
    ('everything gone', status.Snapshot(release_exists=False),
     CS.DELETE_COMPLETE, True, None),
    ('everything gone, release unknown', status.Snapshot(),
     CS.DELETE_COMPLETE, True, None),
]


@pytest.mark.parametrize('case,snap,expected,cleanup,reason', DELETE,
                         ids=[c[0] for c in DELETE])
def test_delete(case, snap, expected, cleanup, reason):
    decision = decide(snap, _deleting())
    assert decision.status == expected
    assert decision.cleanup_ready is cleanup
    assert decision.status_reason == reason
    # Deletion keeps what Magnum shows about the cluster.
    assert decision.api_address == 'https://10.0.0.5:6443'
    assert 'api_address' not in decision.changes
    assert all(g.changes == {} for g in decision.nodegroups)


def test_delete_timeout():
    snap = status.Snapshot(cluster=make_cluster('Deleting', deleting=True),
                           machines=tuple(machines('default-worker', 2)),
                           release_exists=False)
    # Measured from the Cluster's deletionTimestamp (minute 1), which does
    # not move when Magnum saves a new reason.
    assert decide(snap, _deleting(), at=30).status == CS.DELETE_IN_PROGRESS
    decision = decide(snap, _deleting(), at=31)
    assert decision.status == CS.DELETE_FAILED
    assert not decision.cleanup_ready
    assert decision.status_reason == (
        'Deletion timed out after 30 minutes: still present: '
        'Cluster (Deleting), 2 Machines')


def test_retried_delete_is_timed_from_the_retry():
    cluster = make_cluster('Deleting', deleting=True)
    cluster['metadata']['annotations'] = {
        status.DELETE_REQUESTED: status.format_time(minutes(40))}
    snap = status.Snapshot(cluster=cluster, openstack_cluster=None,
                           control_plane=None, release_exists=False)
    assert decide(snap, _deleting(), at=69).status == CS.DELETE_IN_PROGRESS
    assert decide(snap, _deleting(), at=71).status == CS.DELETE_FAILED


def test_a_delete_request_before_the_deletion_does_not_extend_it():
    cluster = make_cluster('Deleting', deleting=True)
    cluster['metadata']['annotations'] = {
        status.DELETE_REQUESTED: '2026-03-01T11:00:00Z'}
    snap = status.Snapshot(cluster=cluster, openstack_cluster=None,
                           control_plane=None, release_exists=False)
    assert decide(snap, _deleting(), at=31).status == CS.DELETE_FAILED


# ---------------------------------------------------------------- reasons

def test_reasons_are_short_sorted_and_complete_parts():
    names = ['group-%02d' % i for i in range(30)]
    groups = ([ng('default-master', 'master', 3, CS.CREATE_IN_PROGRESS)]
              + [ng(n, 'worker', 2, CS.CREATE_IN_PROGRESS)
                 for n in reversed(names)])
    snap = snapshot(mds=[make_md(n, 2, ready=0) for n in names])
    decision = decide(snap, view(groups=groups))
    reason = decision.status_reason
    assert len(reason) <= status.MAX_REASON
    assert reason.startswith(
        "Waiting for: nodegroup 'group-00' (MachineDeployment "
        'demo-abc-group-00): 0 of 2 replicas ready; ')
    assert reason.endswith('more')
    # Same input, same reason.
    assert decide(snap, view(groups=list(reversed(groups)))).status_reason \
        == reason


JOIN = [
    ([], '', 20, None),
    (['a', 'b'], 'P: ', 20, 'P: a; b'),
    (['aaaa', 'bbbb', 'cccc', 'dddd'], '', 20, 'aaaa; and 3 more'),
    (['one two three four five six seven'], '', 20, 'one two three...'),
]


@pytest.mark.parametrize('parts,prefix,limit,expected', JOIN)
def test_join_reasons(parts, prefix, limit, expected):
    text = status.join_reasons(parts, prefix, limit)
    assert text == expected
    assert text is None or len(text) <= limit


def test_missing_objects_never_raise():
    empty = status.Snapshot()
    groups = [ng('default-master', 'master', 3, CS.UPDATE_IN_PROGRESS),
              ng('gpu', 'worker', 2, CS.DELETE_IN_PROGRESS),
              ng('cpu', 'worker', 2, CS.UPDATE_IN_PROGRESS)]
    for state in (CS.CREATE_IN_PROGRESS, CS.UPDATE_IN_PROGRESS,
                  CS.UPDATE_COMPLETE, CS.ROLLBACK_IN_PROGRESS):
        decision = decide(empty, view(state, groups=groups))
        assert decision.nodegroup('uuid-gpu').destroy
        assert decision.nodegroup('uuid-cpu').status == (
            CS.UPDATE_IN_PROGRESS)


def test_control_plane_checked_without_a_master_nodegroup():
    groups = [ng('default-worker', 'worker', 2, CS.UPDATE_IN_PROGRESS)]
    snap = snapshot(kcp=make_kcp(3, ready=2))
    decision = decide(snap, view(CS.UPDATE_IN_PROGRESS, groups=groups))
    assert decision.status == CS.UPDATE_IN_PROGRESS
    assert 'control plane: 2 of 3 machines ready' in decision.status_reason


# ------------------------------------------- adapters on Magnum's objects

def test_view_of_and_record_on_magnum_objects(magnum_db):
    from magnum import objects

    from tests.fixtures import magnum as mf

    ctx = mf.user_context()
    template = mf.make_template(ctx)
    cluster = mf.make_cluster(ctx, template, status=CS.UPDATE_IN_PROGRESS,
                              stack_id=RELEASE)
    cluster.create()
    groups = {}
    for name, role, state in (('default-master', 'master',
                               CS.CREATE_COMPLETE),
                              ('default-worker', 'worker',
                               CS.CREATE_COMPLETE),
                              ('gpu', 'worker', CS.DELETE_IN_PROGRESS),
                              ('cpu', 'worker', CS.CREATE_IN_PROGRESS)):
        group = mf.make_nodegroup(ctx, cluster, name, 3 if role == 'master'
                                  else 2, role=role, status=state,
                                  is_default=name.startswith('default'))
        group.create()
        groups[name] = group
    deployments = {g.uuid: '%s-%s' % (RELEASE, n)
                   for n, g in groups.items() if n != 'default-master'}
    timeouts = {'create': 3600, 'update': 3600, 'delete': 1800}
    nodegroups = nodegroup_rows.of_cluster(cluster.uuid)

    v = status.view_of(cluster, nodegroups, timeouts, deployments)
    assert v.create_timeout == 60
    assert v.started_at.tzinfo is not None
    assert {g.name: g.deployment_name for g in v.nodegroups} == {
        'default-master': None,
        'default-worker': 'demo-abc-default-worker',
        'gpu': 'demo-abc-gpu', 'cpu': 'demo-abc-cpu'}

    snap = snapshot(mds=[make_md('default-worker', 2), make_md('cpu', 2)],
                    extra_machines=machines('default-worker', 2)
                    + machines('cpu', 2, first=20))
    decision = status.decide(snap, v, datetime.datetime.now(UTC))
    loaded = []
    load = nodegroup_rows.loader(ctx, cluster.uuid)
    status.record(decision, cluster, lambda uuid: loaded.append(uuid)
                  or load(uuid))
    assert sorted(loaded) == sorted(d.uuid for d in decision.nodegroups
                                    if d.changes or d.destroy)

    stored = objects.Cluster.get_by_uuid(ctx, cluster.uuid)
    assert stored.status == CS.UPDATE_COMPLETE
    assert stored.api_address == 'https://10.0.0.5:6443'
    assert stored.coe_version == OLD
    assert stored.master_addresses == ['10.0.0.10', '10.0.0.11',
                                       '10.0.0.12']
    assert sorted(stored.node_addresses) == ['10.0.1.10', '10.0.1.11',
                                             '10.0.1.20', '10.0.1.21']
    left = {g.name: g for g in objects.NodeGroup.list(ctx, cluster.uuid)}
    assert sorted(left) == ['cpu', 'default-master', 'default-worker']
    assert left['cpu'].status == CS.CREATE_COMPLETE
    assert left['cpu'].node_addresses == ['10.0.1.20', '10.0.1.21']

    # A second pass over the same rows has nothing to write, and
    # building its view reads nothing more from the database.
    nodegroups = nodegroup_rows.of_cluster(cluster.uuid)
    engine = enginefacade.writer.get_engine()
    statements = []

    def count(*args):
        statements.append(args[2])
    sqlalchemy.event.listen(engine, 'before_cursor_execute', count)
    try:
        v = status.view_of(stored, nodegroups, timeouts, deployments)
    finally:
        sqlalchemy.event.remove(engine, 'before_cursor_execute', count)
    assert statements == []
    again = status.decide(snap, v, datetime.datetime.now(UTC))
    assert again.changes == {}
    assert all(g.changes == {} for g in again.nodegroups)
    loaded.clear()
    status.record(again, stored, lambda uuid: loaded.append(uuid))
    assert loaded == []


def test_nodegroup_rows_read_what_magnum_objects_hold(magnum_db):
    from magnum import objects

    from tests.fixtures import magnum as mf

    ctx = mf.user_context()
    template = mf.make_template(ctx)
    clusters = []
    for name in ('one', 'other'):
        cluster = mf.make_cluster(ctx, template, name=name,
                                  status=CS.CREATE_IN_PROGRESS)
        cluster.create()
        clusters.append(cluster)
        for group, role, addresses in (
                ('default-master', 'master', ['10.0.0.1']),
                ('default-worker', 'worker', []),
                ('gpu', 'worker', None)):
            mf.make_nodegroup(ctx, cluster, group, 1, role=role,
                              node_addresses=addresses,
                              status_reason='why %s' % group).create()
    fields = nodegroup_rows.Row._fields
    objs = objects.NodeGroup.list(ctx, clusters[0].uuid)
    expected = [tuple(tuple(getattr(ng, f) or ()) if f == 'node_addresses'
                      else getattr(ng, f) for f in fields) for ng in objs]

    assert [tuple(r) for r in nodegroup_rows.of_cluster(
        clusters[0].uuid)] == expected
    assert nodegroup_rows.of_cluster('no-such-cluster') == ()
    load = nodegroup_rows.loader(ctx, clusters[0].uuid)
    assert load(objs[1].uuid).name == 'default-worker'
    objs[1].destroy()
    assert load(objs[1].uuid) is None
    # The reason this read exists: SQLAlchemy can cache its compilation.
    assert nodegroup_rows.QUERY._generate_cache_key() is not None


@pytest.mark.parametrize('synchronous_reader,expected', [
    (True, ['written']), (False, [])])
def test_nodegroup_rows_are_read_where_magnum_reads(tmp_path,
                                                    synchronous_reader,
                                                    expected):
    """With a replica configured, the rows come from where Magnum's
    readers go: the primary, unless synchronous_reader is off."""
    from magnum.db.sqlalchemy import models

    urls = {name: 'sqlite:///%s' % (tmp_path / name)
            for name in ('primary.db', 'replica.db')}
    for url in urls.values():
        engine = sqlalchemy.create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
    engine = sqlalchemy.create_engine(urls['primary.db'])
    with engine.begin() as connection:
        connection.execute(models.NodeGroup.__table__.insert().values(
            uuid='u1', name='written', cluster_id='c1', role='worker',
            node_count=1))
    engine.dispose()
    facade = enginefacade.transaction_context()
    facade.configure(connection=urls['primary.db'],
                     slave_connection=urls['replica.db'],
                     synchronous_reader=synchronous_reader)

    rows = nodegroup_rows.of_cluster('c1', reader=facade.reader)

    assert [r.name for r in rows] == expected


@pytest.mark.parametrize('text,expected', [
    ('2026-12-01T23:00:00Z', (23, 0, 0, 0)),
    ('2026-12-01T23:00:00.250000Z', (23, 0, 0, 250000)),
    ('2026-12-02T00:00:00+01:00', (23, 0, 0, 0)),
    ('garbage', None), ('', None), (None, None)])
def test_parse_time_reads_rfc3339_as_utc(text, expected):
    found = status.parse_time(text)
    if expected is None:
        assert found is None
        return
    assert found.tzinfo is not None and found.utcoffset().total_seconds() == 0
    assert (found.day, found.hour, found.minute, found.second,
            found.microsecond) == (1,) + expected
