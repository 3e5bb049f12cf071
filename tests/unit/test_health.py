"""Table tests of health.decide_health over v1beta1 CAPI objects."""

import dataclasses

from oslo_versionedobjects import fields as ovo_fields
import pytest

from magnum.objects import fields

from magnum_capi_driver import exceptions
from magnum_capi_driver import health
from magnum_capi_driver import status
from tests.unit import test_status as fx

HS = fields.ClusterHealthStatus


def with_v1beta2(cluster, **conds):
    """Add status.v1beta2 conditions, e.g. Available='True'."""
    cluster = dict(cluster, status=dict(cluster['status']))
    cluster['status']['v1beta2'] = {'conditions': [
        fx.cond(kind, *value) if isinstance(value, tuple)
        else fx.cond(kind, value)
        for kind, value in sorted(conds.items())]}
    return cluster


def healthy_cluster():
    return with_v1beta2(fx.make_cluster(), Available='True',
                        RemoteConnectionProbe='True',
                        WorkersAvailable='True')


def test_healthy_cluster():
    snap = fx.snapshot(cluster=healthy_cluster())
    state, reason = health.decide_health(snap)
    assert state == HS.HEALTHY
    assert reason == {
        'api': 'ok', 'cluster': 'ok', 'control_plane': 'ok',
        'workers': 'ok',
        'cp-0.Ready': 'True', 'cp-1.Ready': 'True', 'cp-2.Ready': 'True',
        'default-worker-0.Ready': 'True', 'default-worker-1.Ready': 'True'}


def test_healthy_without_v1beta2_conditions():
    state, reason = health.decide_health(fx.snapshot())
    assert state == HS.HEALTHY
    assert reason['workers'] == 'ok'


UNHEALTHY = [
    ('node not ready',
     dict(extra_machines=[fx.make_machine('default-worker-5',
                                          'default-worker',
                                          healthy=False)]),
     'default-worker-5.Ready', 'False'),
    ('API unreachable',
     dict(cluster=with_v1beta2(
         fx.make_cluster(), Available='True', WorkersAvailable='True',
         RemoteConnectionProbe=('False', 'ProbeFailed',
                                'Remote connection probe failed'))),
     'api', 'RemoteConnectionProbe False: ProbeFailed: Remote connection '
            'probe failed'),
    ('control plane not ready',
     dict(cluster=fx.make_cluster(cp=False)),
     'api', 'ControlPlaneReady False: WaitingForControlPlane'),
    ('workers unavailable (v1beta2)',
     dict(cluster=with_v1beta2(
         fx.make_cluster(), Available='True', RemoteConnectionProbe='True',
         WorkersAvailable=('False', 'NotAvailable',
                           '* MachineDeployment demo-abc-default-worker: '
                           '1 available replicas, at least 2 required'))),
     'workers', 'WorkersAvailable False: NotAvailable: * MachineDeployment '
                'demo-abc-default-worker: 1 available replicas, at least 2 '
                'required'),
    ('workers short (MachineDeployment counts)',
     dict(mds=[fx.make_md('default-worker', 2, ready=1)]),
     'workers', 'demo-abc-default-worker: 1 of 2 replicas ready'),
    ('control plane machine down',
     dict(kcp=fx.make_kcp(3, ready=2, unavailable=1)),
     'control_plane', '2 of 3 machines ready'),
    ('etcd unhealthy',
     dict(kcp=fx.make_kcp(3, conditions=[fx.cond(
         'EtcdClusterHealthy', 'False', 'EtcdClusterUnhealthy',
         'etcd member cp-1 is not healthy', 'Error')])),
     'control_plane', 'EtcdClusterHealthy False: EtcdClusterUnhealthy: '
                      'etcd member cp-1 is not healthy'),
    ('cluster not available',
     dict(cluster=with_v1beta2(fx.make_cluster(), Available=(
         'False', 'NotAvailable', 'ControlPlaneAvailable: false'),
         RemoteConnectionProbe='True', WorkersAvailable='True')),
     'cluster', 'Available False: NotAvailable: ControlPlaneAvailable: '
                'false'),
    ('control plane missing',
     dict(kcp=None),
     'control_plane', 'KubeadmControlPlane not found'),
    ('no endpoint',
     dict(cluster=fx.make_cluster(host='', port=0)),
     'api', 'no API endpoint'),
    ('terminal OpenStackCluster failure, conditions not caught up',
     dict(cluster=healthy_cluster(),
          osc=fx.make_osc('UpdateError', fx.LB_FILTER)),
     'cluster', 'OpenStack network or load balancer failed: '
                + fx.LB_FILTER),
    ('terminal worker Machine failure',
     dict(cluster=healthy_cluster(), extra_machines=[fx.make_machine(
         'default-worker-9', 'default-worker',
         failure=('UpdateError', 'instance state ERROR is unexpected'))]),
     'workers', 'machine default-worker-9 failed: instance state ERROR is '
                'unexpected'),
    ('terminal control plane Machine failure',
     dict(cluster=healthy_cluster(), extra_machines=[fx.make_machine(
         'cp-9', None, failure=('UpdateError', 'The server was '
                                               'unexpectedly deleted'))]),
     'control_plane', 'machine cp-9 failed: The server was unexpectedly '
                      'deleted'),
]


def test_retried_infrastructure_error_alone_keeps_the_cluster_healthy():
    """CAPO retries it; the Cluster's conditions say whether it matters."""
    osc = fx.make_osc(conditions=[fx.cond(
        'Ready', 'False', 'OpenStackError', 'failed to reconcile '
        'bastion: 503', 'Warning')])
    state, reason = health.decide_health(fx.snapshot(
        cluster=healthy_cluster(), osc=osc))
    assert state == HS.HEALTHY
    assert reason['cluster'] == 'ok'


def test_failed_machine_being_replaced_is_not_a_failure():
    machine = fx.make_machine('default-worker-9', 'default-worker',
                              deleting=True,
                              failure=('UpdateError', 'instance ERROR'))
    state, reason = health.decide_health(fx.snapshot(
        cluster=healthy_cluster(), extra_machines=[machine]))
    assert reason['workers'] == 'ok'
    assert state == HS.HEALTHY


@pytest.mark.parametrize('case,parts,key,expected', UNHEALTHY,
                         ids=[c[0] for c in UNHEALTHY])
def test_unhealthy(case, parts, key, expected):
    state, reason = health.decide_health(fx.snapshot(**parts))
    assert state == HS.UNHEALTHY
    assert reason[key] == expected


def test_deleting_machine_is_not_reported():
    extra = [fx.make_machine('default-worker-5', 'default-worker',
                             healthy=False, deleting=True)]
    state, reason = health.decide_health(fx.snapshot(extra_machines=extra))
    assert state == HS.HEALTHY
    assert 'default-worker-5.Ready' not in reason


UNKNOWN = [
    ('management cluster unreachable',
     exceptions.ManagementClusterError(action='list Machines',
                                       error='connection refused'),
     {'api': 'The state of the cluster could not be read from the '
             'cluster management service; it is checked again at the '
             'next poll.'}),
    ('Cluster missing', status.Snapshot(),
     {'api': 'Cluster object not found on the management cluster'}),
    ('Cluster deleting',
     fx.snapshot(cluster=fx.make_cluster('Deleting', deleting=True)),
     {'api': 'Cluster is being deleted'}),
]


@pytest.mark.parametrize('case,given,expected', UNKNOWN,
                         ids=[c[0] for c in UNKNOWN])
def test_unknown(case, given, expected):
    assert health.decide_health(given) == (HS.UNKNOWN, expected)


def test_conditions_not_reported_yet_is_unknown():
    cluster = fx.make_cluster()
    cluster['status']['conditions'] = []
    machine = fx.make_machine('default-worker-0', 'default-worker')
    machine['status']['conditions'] = []
    snap = fx.snapshot(cluster=cluster, mds=[fx.make_md('default-worker', 1)],
                       extra_machines=[machine])
    state, reason = health.decide_health(snap)
    assert state == HS.UNKNOWN
    assert reason['api'] == 'ControlPlaneReady not reported'
    assert reason['default-worker-0.Ready'] == 'Unknown'


def test_unhealthy_wins_over_unknown():
    cluster = fx.make_cluster(cp=False)
    cluster['status']['conditions'] = [
        c for c in cluster['status']['conditions'] if c['type'] != 'Ready']
    state, _ = health.decide_health(fx.snapshot(cluster=cluster))
    assert state == HS.UNHEALTHY


def test_reason_fits_magnum_field_and_is_short():
    message = 'x' * 1000
    cluster = with_v1beta2(fx.make_cluster(), Available=(
        'False', 'NotAvailable', message))
    snap = dataclasses.replace(fx.snapshot(), cluster=cluster)
    state, reason = health.decide_health(snap)
    assert state == HS.UNHEALTHY
    # Magnum stores health_status_reason as a DictOfStringsField.
    field = ovo_fields.DictOfStringsField(nullable=True)
    assert field.coerce(None, 'health_status_reason', reason) == reason
    assert all(len(v) <= status.MAX_REASON for v in reason.values())
    assert reason['cluster'].endswith('...')
