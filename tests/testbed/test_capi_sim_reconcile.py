"""Table tests of the CAPI simulator's pure reconcile functions (no
server): objects in, writes out."""

import itertools

import pytest

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import cluster as cluster_ctl
from tests.kubeapi.capi import conditions
from tests.kubeapi.capi import context
from tests.kubeapi.capi import controlplane
from tests.kubeapi.capi import deployment
from tests.kubeapi.capi import faults
from tests.kubeapi.capi import fleet
from tests.kubeapi.capi import infra
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import machine as machine_ctl
from tests.kubeapi.capi import plan
from tests.kubeapi.capi import samples
from tests.kubeapi.capi import timing

NS = 'ns1'
_uids = itertools.count(1)


def stored(obj, status=None, deleting=False, **meta):
    """``obj`` as the server would return it."""
    obj = dict(obj)
    obj['metadata'] = dict(obj['metadata'], uid='uid-%d' % next(_uids),
                           resourceVersion='7', generation=1, **meta)
    if deleting:
        obj['metadata']['deletionTimestamp'] = '2026-01-01T00:00:00Z'
    obj['status'] = dict(status or {})
    return obj


def env(ages=None, fault_set=None, **timings):
    counter = itertools.count()
    return context.Env(ages=ages or {},
                       timings=timing.Timings(**timings),
                       faults=fault_set or faults.FaultSet(),
                       new_name=lambda prefix: '%s-n%d' % (prefix,
                                                           next(counter)))


def machine(owner=None, hash_='h1', phase='Running', annotated=False,
            deleting=False, cp=False, name=None, created='2026-01-01T00:00:0'
            '0Z', version='v1.31.4'):
    labels = {kinds.CLUSTER_NAME_LABEL: 'c1',
              kinds.TEMPLATE_HASH_LABEL: hash_}
    if cp:
        labels[kinds.CONTROL_PLANE_LABEL] = ''
    else:
        labels[kinds.DEPLOYMENT_NAME_LABEL] = 'c1-small'
    obj = {'apiVersion': kinds.MACHINE.api_version, 'kind': 'Machine',
           'metadata': {'name': name or 'm-%d' % next(_uids),
                        'namespace': NS, 'labels': labels,
                        'creationTimestamp': created,
                        'finalizers': [kinds.MACHINE_FINALIZER]},
           'spec': {'clusterName': 'c1', 'version': version}}
    if annotated:
        obj['metadata']['annotations'] = {
            kinds.DELETE_MACHINE_ANNOTATION: ''}
    if owner is not None:
        obj['metadata']['ownerReferences'] = [
            {'uid': owner['metadata']['uid'], 'controller': True}]
    return stored(obj, {'phase': phase} if phase else {}, deleting)


def names(items):
    return sorted(m['metadata']['name'] for m in items)


# Machines.

@pytest.mark.parametrize('phase,infra_ready,initialized,cp,age,stuck,want', [
    (None, False, False, False, 0, False, 'Pending'),
    ('Pending', False, False, True, 99, False, None),
    ('Pending', True, False, True, 99, False, 'Provisioning'),
    ('Pending', True, False, True, 1, False, None),
    ('Pending', True, False, False, 99, False, None),
    ('Pending', True, True, False, 99, False, 'Provisioning'),
    ('Provisioning', True, True, False, 59, False, None),
    ('Provisioning', True, True, False, 60, False, 'Provisioned'),
    ('Provisioning', True, True, False, 9999, True, None),
    ('Provisioned', True, True, False, 45, False, 'Running'),
    ('Running', True, True, False, 9999, False, None),
])
def test_machine_phases(phase, infra_ready, initialized, cp, age, stuck,
                        want):
    cluster = stored(samples.cluster(NS, 'c1'), {
        'infrastructureReady': infra_ready,
        'conditions': [conditions.v1beta1('ControlPlaneInitialized',
                                          initialized)]})
    m = machine(phase=phase, cp=cp)
    stuck_set = faults.FaultSet(never_ready=frozenset(
        {(NS, 'c1', None if cp else 'c1-small')} if stuck else set()))
    got = machine_ctl.next_phase(m, cluster,
                                 env({m['metadata']['uid']: age}, stuck_set))
    assert got == want


def test_running_machine_reports_node_and_address():
    m = machine(phase='Provisioned')
    cluster = stored(samples.cluster(NS, 'c1'))
    writes = machine_ctl.reconcile(m, cluster,
                                   env({m['metadata']['uid']: 1000}))
    status = [w for w in writes if w and w.status][0].body['status']
    assert status['phase'] == 'Running'
    assert status['nodeRef'] == {'apiVersion': 'v1', 'kind': 'Node',
                                 'name': m['metadata']['name']}
    assert status['addresses'][0]['type'] == 'InternalIP'
    assert status['addresses'][0]['address'].startswith('10.0.')
    assert {c['type']: c['status'] for c in status['conditions']} == {
        'Ready': 'True', 'BootstrapReady': 'True',
        'InfrastructureReady': 'True', 'NodeHealthy': 'True'}
    spec = [w for w in writes if w and not w.status][0].body['spec']
    assert spec['providerID'].startswith('openstack:///')


@pytest.mark.parametrize('terminal,reason,severity,failure', [
    (True, 'InstanceStateError', 'Error', ('UpdateError', 'no host')),
    (False, 'OpenStackError', 'Warning', (None, None)),
])
def test_machine_error(terminal, reason, severity, failure):
    """A failed server keeps the machine Provisioning, as CAPI shows it."""
    m = machine(phase='Provisioning')
    cluster = stored(samples.cluster(NS, 'c1'))
    fault_set = faults.FaultSet(machine_errors={
        (NS, 'c1', 'c1-small'): ('no host', terminal)})
    writes = machine_ctl.reconcile(
        m, cluster, env({m['metadata']['uid']: 9999}, fault_set))
    status = [w for w in writes if w and w.status][0].body['status']
    assert 'phase' not in status    # stays Provisioning
    assert (status.get('failureReason'),
            status.get('failureMessage')) == failure
    conds = {c['type']: c for c in status['conditions']}
    infra_cond = conds['InfrastructureReady']
    assert (infra_cond['status'], infra_cond['reason'],
            infra_cond['severity'], infra_cond['message']) == (
        'False', reason, severity, 'no host')
    assert conds['Ready']['severity'] == severity


@pytest.mark.parametrize('phase,age,hung,releases', [
    ('Running', 999, False, False),    # first marks it Deleting
    ('Deleting', 5, False, False),
    ('Deleting', 20, False, True),
    ('Deleting', 999, True, False),
])
def test_machine_deletion(phase, age, hung, releases):
    m = machine(phase=phase, deleting=True)
    fault_set = faults.FaultSet(
        hung_deletions=frozenset({(NS, 'c1')} if hung else set()))
    writes = [w for w in machine_ctl.reconcile(
        m, None, env({m['metadata']['uid']: age}, fault_set)) if w]
    released = [w for w in writes if not w.status and
                w.body['metadata']['finalizers'] == []]
    assert bool(released) == releases
    if released:
        assert released[0].resource_version == '7'


# MachineDeployments.

@pytest.mark.parametrize('spec_replicas,annotations,status_replicas,want', [
    (3, {}, None, None),
    (0, {kinds.AUTOSCALER_MIN: '2'}, None, None),
    (None, {kinds.AUTOSCALER_MIN: '2'}, 5, 2),
    (None, {}, 5, 5),
    (None, {}, None, 1),
    (None, {kinds.AUTOSCALER_MIN: 'x'}, None, 1),
])
def test_replicas_defaulting(spec_replicas, annotations, status_replicas,
                             want):
    md = stored(samples.machine_deployment(
        NS, 'c1', 'small', spec_replicas, annotations=annotations),
        {'replicas': status_replicas} if status_replicas else {})
    assert deployment.defaulted_replicas(md) == want


@pytest.mark.parametrize('strategy,desired,want', [
    (None, 3, (1, 0)),
    ({'rollingUpdate': {'maxSurge': 2, 'maxUnavailable': 1}}, 3, (2, 1)),
    ({'rollingUpdate': {'maxSurge': '50%', 'maxUnavailable': '50%'}}, 3,
     (2, 1)),
    ({'rollingUpdate': {'maxSurge': 0, 'maxUnavailable': 0}}, 3, (1, 0)),
    ({'rollingUpdate': {'maxSurge': 0, 'maxUnavailable': 1}}, 3, (0, 1)),
])
def test_rollout_budget(strategy, desired, want):
    assert fleet.rollout_budget(strategy, desired) == want


def _md(replicas):
    return stored(samples.machine_deployment(NS, 'c1', 'small', replicas))


# Each machine: (up to date, phase, annotated).
@pytest.mark.parametrize('desired,fleet_spec,create,deleted', [
    (2, [], 2, []),
    (0, [], 0, []),
    (2, [(True, 'Running', False)] * 2, 0, []),
    (3, [(True, 'Running', False)], 2, []),
    # Scale down prefers the annotated machine, then not ready ones.
    (1, [(True, 'Running', False), (True, 'Running', True),
         (True, 'Running', False)], 0, [1, 2]),
    (1, [(True, 'Running', False), (True, 'Pending', False)], 0, [1]),
    (0, [(True, 'Running', False)] * 2, 0, [0, 1]),
    # Rollout: surge one new machine, keep the old ones.
    (2, [(False, 'Running', False)] * 2, 1, []),
    # The new one is not ready yet: nothing else happens.
    (2, [(False, 'Running', False)] * 2 + [(True, 'Provisioning', False)],
     0, []),
    # The new one is ready: one old machine goes.
    (2, [(False, 'Running', False)] * 2 + [(True, 'Running', False)],
     0, [0]),
    # An outdated machine that is not ready goes first.
    (2, [(False, 'Running', False), (False, 'Pending', False),
         (True, 'Running', False)], 0, [1]),
])
def test_deployment_plan(desired, fleet_spec, create, deleted):
    md = _md(desired)
    current = deployment.current_hash(md)
    machines = [machine(md, current if new else 'old', phase, annotated,
                        name='m%d' % i)
                for i, (new, phase, annotated) in enumerate(fleet_spec)]
    got_create, doomed = deployment.plan_machines(md, machines)
    assert (got_create, names(doomed)) == (
        create, sorted('m%d' % i for i in deleted))


def test_deployment_status_counts():
    md = _md(3)
    current = deployment.current_hash(md)
    machines = [machine(md, current, 'Running'),
                machine(md, current, 'Provisioning'),
                machine(md, 'old', 'Running'),
                machine(md, 'old', 'Running', deleting=True)]
    status = deployment.desired_status(md, machines)
    assert {k: status[k] for k in (
        'phase', 'replicas', 'updatedReplicas', 'readyReplicas',
        'availableReplicas', 'unavailableReplicas', 'observedGeneration')
    } == {'phase': 'ScalingDown', 'replicas': 4, 'updatedReplicas': 2,
          'readyReplicas': 2, 'availableReplicas': 2,
          'unavailableReplicas': 1, 'observedGeneration': 1}
    assert status['selector'] == (
        'capi.stackhpc.com/node-group=small,cluster.x-k8s.io/cluster-name=c1')
    available = status['conditions'][1]
    assert (available['type'], available['status'], available['reason']) == (
        'Available', 'False', 'WaitingForAvailableMachines')


def test_deployment_at_zero_reports_zeros():
    status = deployment.desired_status(_md(0), [])
    assert [status[k] for k in ('replicas', 'updatedReplicas',
                                'readyReplicas', 'availableReplicas',
                                'unavailableReplicas')] == [0] * 5
    assert status['phase'] == 'Running'


# KubeadmControlPlane.

def _kcp(replicas, initialized=False):
    return stored(samples.control_plane(NS, 'c1', replicas),
                  {'initialized': initialized})


# Each machine: (up to date, phase, deleting, annotated).
@pytest.mark.parametrize('desired,infra_ready,initialized,fleet_spec,want', [
    (3, False, False, [], None),
    (3, True, False, [], 'create'),
    # kubeadm init must finish before anyone joins.
    (3, True, False, [(True, 'Provisioned', False, False)], None),
    (3, True, True, [(True, 'Running', False, False)], 'create'),
    # One at a time.
    (3, True, True, [(True, 'Running', False, False),
                     (True, 'Provisioning', False, False)], None),
    (1, True, True, [(True, 'Running', False, False)], None),
    # Rollout: surge, then remove an outdated one once all are ready.
    (1, True, True, [(False, 'Running', False, False)], 'create'),
    (1, True, True, [(False, 'Running', False, False),
                     (True, 'Provisioned', False, False)], None),
    (1, True, True, [(False, 'Running', False, False),
                     (True, 'Running', False, False)], 'delete m0'),
    # Wait for a deletion to finish.
    (3, True, True, [(True, 'Running', False, False),
                     (True, 'Deleting', True, False)], None),
    # Scale down honours the delete-machine annotation.
    (1, True, True, [(True, 'Running', False, False),
                     (True, 'Running', False, True),
                     (True, 'Running', False, False)], 'delete m1'),
])
def test_control_plane_steps(desired, infra_ready, initialized, fleet_spec,
                             want):
    kcp = _kcp(desired, initialized)
    current = controlplane.current_hash(kcp)
    machines = [machine(kcp, current if new else 'old', phase, annotated,
                        deleting, cp=True, name='m%d' % i)
                for i, (new, phase, deleting, annotated)
                in enumerate(fleet_spec)]
    step = controlplane.next_step(kcp, machines, infra_ready)
    if step and step[0] == 'delete':
        step = 'delete ' + step[1]['metadata']['name']
    elif step:
        step = step[0]
    assert step == want


def test_control_plane_version_change_outdates_machines():
    kcp = _kcp(1)
    before = controlplane.current_hash(kcp)
    kcp['spec']['version'] = 'v1.32.0'
    assert controlplane.current_hash(kcp) != before


def test_control_plane_status():
    kcp = _kcp(3, initialized=True)
    current = controlplane.current_hash(kcp)
    machines = [machine(kcp, current, 'Running', cp=True),
                machine(kcp, current, 'Provisioning', cp=True,
                        version='v1.30.0')]
    status = controlplane.desired_status(kcp, machines, 'c1', True)
    assert {k: status[k] for k in (
        'replicas', 'updatedReplicas', 'readyReplicas',
        'unavailableReplicas', 'version', 'initialized', 'ready',
        'selector')} == {
        'replicas': 2, 'updatedReplicas': 2, 'readyReplicas': 1,
        'unavailableReplicas': 1, 'version': 'v1.30.0', 'initialized': True,
        'ready': True,
        'selector': 'cluster.x-k8s.io/cluster-name=c1,'
                    'cluster.x-k8s.io/control-plane'}
    by_type = {c['type']: c for c in status['conditions']}
    assert by_type['Ready']['status'] == 'False'
    assert by_type['Resized']['reason'] == 'ScalingUp'
    assert by_type['MachinesReady']['message'] == '1 of 3 machines ready'


# OpenStackCluster.

def _infra_writes(age, fault_set=None):
    osc = stored(samples.openstack_cluster(NS, 'c1'))
    cluster = stored(samples.cluster(NS, 'c1'))
    writes = [w for w in infra.reconcile(
        osc, cluster, env({osc['metadata']['uid']: age}, fault_set)) if w]
    status = [w for w in writes if w.status][0].body['status']
    spec_writes = [w.body['spec'] for w in writes
                   if not w.status and 'spec' in w.body]
    return status, spec_writes


def test_infrastructure_not_ready_before_delay():
    status, spec_writes = _infra_writes(10)
    assert status['ready'] is False
    assert spec_writes == []


def test_infrastructure_ready_after_delay():
    status, spec_writes = _infra_writes(120)
    assert status['ready'] is True
    lb = status['apiServerLoadBalancer']
    assert set(lb) >= {'ip', 'internalIP', 'id', 'name'}
    assert status['network']['subnets'][0]['cidr'] == '192.168.3.0/24'
    assert 'bastion' not in status
    assert spec_writes == [{'controlPlaneEndpoint': {'host': lb['ip'],
                                                     'port': 6443}}]


def test_provider_error():
    fault_set = faults.FaultSet(provider_errors={
        (NS, 'c1'): ('CreateError', 'quota exceeded')})
    status, _ = _infra_writes(999, fault_set)
    assert status['failureReason'] == 'CreateError'
    assert status['failureMessage'] == 'quota exceeded'
    ready = status['conditions'][0]
    assert (ready['type'], ready['status'], ready['reason'],
            ready['severity']) == ('Ready', 'False', 'OpenStackError',
                                   'Error')
    assert 'ready' not in status


def test_retried_provider_error():
    fault_set = faults.FaultSet(provider_errors={
        (NS, 'c1'): ('CreateError', 'quota exceeded', False)})
    status, _ = _infra_writes(999, fault_set)
    assert 'failureReason' not in status
    assert 'failureMessage' not in status
    ready = status['conditions'][0]
    assert (ready['type'], ready['status'], ready['reason'],
            ready['severity'], ready['message']) == (
        'Ready', 'False', 'OpenStackError', 'Warning', 'quota exceeded')


# Cluster.

@pytest.mark.parametrize('current,deleting,infra_ready,host,want', [
    (None, False, False, None, 'Pending'),
    ('Pending', False, False, None, 'Provisioning'),
    ('Provisioning', False, True, None, 'Provisioning'),
    ('Provisioning', False, True, '172.24.4.10', 'Provisioned'),
    ('Provisioned', True, True, '172.24.4.10', 'Deleting'),
])
def test_cluster_phase(current, deleting, infra_ready, host, want):
    c = stored(samples.cluster(NS, 'c1'),
               {'phase': current} if current else {}, deleting)
    if host:
        c['spec']['controlPlaneEndpoint'] = {'host': host, 'port': 6443}
    assert cluster_ctl.phase(c, infra_ready) == want


def _world(present, deleting=()):
    """A deleting cluster c1 with the kinds in ``present``."""
    items = {kind: [] for kind in kinds.WATCHED}
    for kind, obj in samples.whole_cluster(NS, 'c1'):
        if kind.kind in present:
            items[kind].append(stored(obj, deleting=kind.kind in deleting))
    items[kinds.CLUSTER] = [stored(samples.cluster(NS, 'c1'),
                                   deleting=True,
                                   finalizers=[kinds.CLUSTER_FINALIZER])]
    world = context.World.from_lists(items)
    kcp = world.control_planes[0] if world.control_planes else None
    if 'ControlPlaneMachine' in present:
        world.machines.append(machine(kcp, cp=True))
    if 'WorkerMachine' in present:
        world.machines.append(machine(None))
    return world


@pytest.mark.parametrize('present,deleting,want', [
    ({'MachineDeployment', 'KubeadmControlPlane', 'OpenStackCluster'}, (),
     ['delete MachineDeployment', 'delete MachineDeployment']),
    ({'MachineDeployment', 'KubeadmControlPlane'}, {'MachineDeployment'},
     []),
    ({'WorkerMachine', 'KubeadmControlPlane'}, (), ['delete Machine']),
    ({'KubeadmControlPlane', 'OpenStackCluster', 'ControlPlaneMachine'}, (),
     ['delete KubeadmControlPlane']),
    ({'OpenStackCluster', 'ControlPlaneMachine'}, (), []),
    ({'OpenStackCluster'}, (), ['delete OpenStackCluster']),
    ({'OpenStackCluster'}, {'OpenStackCluster'}, []),
    (set(), (), ['release Cluster']),
])
def test_cluster_teardown_order(present, deleting, want):
    world = _world(present, deleting)
    writes = [w for w in cluster_ctl.reconcile(world.clusters[0], world,
                                               env()) if w]
    got = []
    for w in writes:
        if isinstance(w, actions.Delete):
            got.append('delete ' + w.kind.kind)
        elif not w.status and 'finalizers' in w.body.get('metadata', {}):
            got.append('release ' + w.kind.kind)
    assert got == want


def test_cluster_teardown_hangs_on_fault():
    world = _world(set())
    fault_set = faults.FaultSet(hung_deletions=frozenset({(NS, 'c1')}))
    writes = [w for w in cluster_ctl.reconcile(world.clusters[0], world,
                                               env(fault_set=fault_set))
              if w and not w.status]
    assert writes == []


def test_cluster_status_waits_for_control_plane():
    world = _world({'OpenStackCluster', 'KubeadmControlPlane'})
    world.clusters[0]['metadata'].pop('deletionTimestamp')
    world.openstack_clusters[0]['status'] = {'ready': True}
    status = cluster_ctl.desired_status(
        world.clusters[0], world.openstack_clusters[0],
        world.control_planes[0], [], [])
    by_type = {c['type']: c for c in status['conditions']}
    assert by_type['InfrastructureReady']['status'] == 'True'
    assert by_type['ControlPlaneReady']['reason'] == 'WaitingForControlPlane'
    assert by_type['Ready']['status'] == 'False'
    assert by_type['ControlPlaneInitialized']['severity'] == 'Info'
    v1beta2 = {c['type']: c['status']
               for c in status['v1beta2']['conditions']}
    assert v1beta2['Available'] == 'False'
    assert v1beta2['InfrastructureReady'] == 'True'


# Plumbing.

def test_status_changes_keep_transition_times():
    current = {'phase': 'Running', 'conditions': [
        {'type': 'Ready', 'status': 'True',
         'lastTransitionTime': '2020-01-01T00:00:00Z'}]}
    same = {'phase': 'Running',
            'conditions': [conditions.v1beta1('Ready', True)]}
    assert conditions.status_changes(current, same, 'later') is None
    flipped = {'phase': 'Running',
               'conditions': [conditions.v1beta1('Ready', False, 'X')]}
    changes = conditions.status_changes(current, flipped, 'later')
    assert changes['conditions'][0]['lastTransitionTime'] == 'later'
    assert 'phase' not in changes


def test_coalesce_merges_metadata_patches():
    osc = stored(samples.openstack_cluster(NS, 'c1'))
    owner = stored(samples.cluster(NS, 'c1'))
    merged = actions.coalesce([
        actions.ensure_owner(osc, kinds.OPENSTACK_CLUSTER, owner,
                             kinds.CLUSTER),
        actions.ensure_finalizer(osc, kinds.OPENSTACK_CLUSTER, 'f'),
    ])
    assert len(merged) == 1
    assert merged[0].resource_version == '7'
    assert merged[0].body['metadata']['finalizers'] == ['f']
    assert merged[0].body['metadata']['ownerReferences'][0]['uid'] == \
        owner['metadata']['uid']


def test_clock_counts_time_in_stage():
    clock = timing.Clock()
    m = machine(phase='Pending')
    assert clock.ages([m], 10.0) == {m['metadata']['uid']: 0.0}
    assert clock.ages([m], 25.0) == {m['metadata']['uid']: 15.0}
    m['status']['phase'] = 'Provisioning'
    assert clock.ages([m], 30.0) == {m['metadata']['uid']: 0.0}


def test_plan_creates_first_control_plane_machine():
    items = {kind: [] for kind in kinds.WATCHED}
    for kind, obj in samples.whole_cluster(NS, 'c1', groups=()):
        items[kind].append(stored(obj))
    cluster = items[kinds.CLUSTER][0]
    cluster['status'] = {'infrastructureReady': True}
    writes = plan.plan(context.World.from_lists(items), env())
    created = [w.body for w in writes if isinstance(w, actions.Create)]
    assert len(created) == 1
    meta = created[0]['metadata']
    assert meta['labels'][kinds.CLUSTER_NAME_LABEL] == 'c1'
    assert kinds.CONTROL_PLANE_LABEL in meta['labels']
    assert meta['ownerReferences'][0]['kind'] == 'KubeadmControlPlane'
    assert created[0]['spec']['version'] == 'v1.31.4'
