"""The shared view of the management cluster, against the API stand-in.

The view must follow changes through its watches, resume a broken watch
from its resourceVersion, list again after a 410 Gone or a restart that
lost the store, and never be used when it may be older than the bound or
when it may not hold the driver's own last write.
"""

import datetime
import time

from magnum.objects import fields
import pytest

from magnum_capi_driver import exceptions
from magnum_capi_driver import kube
from magnum_capi_driver import names
from magnum_capi_driver import observe
from tests.fixtures import magnum as magnum_fixtures
from tests.fixtures import waiting
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import samples

Status = fields.ClusterStatus
NS = 'magnum-observe'
MAX_AGE = 6
WATCHED_PLURALS = ('clusters', 'kubeadmcontrolplanes', 'openstackclusters',
                   'machinedeployments', 'machines', 'secrets')


def _rtype(store, kind):
    group = kind.api_version.rpartition('/')[0]
    return store.registry.get(group, kind.plural)


def add_cluster(store, namespace, name, machines_per_group=1,
                release_kb=40):
    """A cluster's objects as the chart, CAPI and Helm leave them."""
    ns_type = store.registry.get('', 'namespaces')
    if store.find(ns_type, None, namespace) is None:
        store.create(ns_type, None, {'metadata': {'name': namespace}})
    for kind, body in samples.whole_cluster(namespace, name):
        if kind in (kinds.OPENSTACK_CLUSTER, kinds.CONTROL_PLANE,
                    kinds.MACHINE_DEPLOYMENT):
            body['metadata']['labels'][kinds.CLUSTER_NAME_LABEL] = name
        store.create(_rtype(store, kind), namespace, body)
        if kind is not kinds.MACHINE_DEPLOYMENT:
            continue
        for index in range(machines_per_group):
            store.create(_rtype(store, kinds.MACHINE), namespace, {
                'metadata': {
                    'name': '%s-%d' % (body['metadata']['name'], index),
                    'labels': {
                        kinds.CLUSTER_NAME_LABEL: name,
                        kinds.DEPLOYMENT_NAME_LABEL:
                            body['metadata']['name']}},
                'spec': {'clusterName': name}})
    store.create(store.registry.get('', 'secrets'), namespace, {
        'metadata': {'name': 'sh.helm.release.v1.%s.v1' % name,
                     'labels': {'owner': 'helm', 'name': name,
                                'status': 'deployed', 'version': '1'}},
        'type': 'helm.sh/release.v1',
        'data': {'release': 'A' * (release_kb * 1024)}})


def scale(store, namespace, name, replicas):
    def change(obj):
        obj['spec']['replicas'] = replicas
        return obj
    store.modify(_rtype(store, kinds.MACHINE_DEPLOYMENT), namespace, name,
                 change)


def replicas_seen(view, release, group='small'):
    snap = view.snapshot(NS, release, True)
    for md in snap.machine_deployments:
        if md['metadata']['name'] == '%s-%s' % (release, group):
            return md['spec'].get('replicas')
    return None


def wait_until(predicate, what, timeout=30):
    waiting.until(predicate, what, timeout)


def lists(mc, plural):
    return mc.requests.count(verb='list', resource=plural)


@pytest.fixture
def view(magnum_conf, management_cluster):
    """The driver's shared view, on a stand-in holding cluster c1."""
    add_cluster(management_cluster.store, NS, 'c1')
    magnum_conf.set_override('kubeconfig_file',
                             management_cluster.kubeconfig,
                             group='capi_driver')
    magnum_conf.set_override('status_view_max_age', MAX_AGE,
                             group='capi_driver')
    kube._clients.clear()
    observe.reset()
    try:
        shared = observe.shared_view()
        wait_until(lambda: shared.age() is not None, 'the first lists')
        yield shared
    finally:
        observe.reset()
        kube._clients.clear()
        for name in ('kubeconfig_file', 'status_view_max_age'):
            magnum_conf.clear_override(name, group='capi_driver')


def test_view_holds_a_cluster_as_direct_reads_do(view, management_cluster):
    from_view = view.snapshot(NS, 'c1', True)
    direct = observe.read(kube.client(management_cluster.kubeconfig), NS,
                          'c1')
    for obj in (direct.cluster, direct.openstack_cluster,
                direct.control_plane):
        obj['metadata'].pop('managedFields')  # the view does not keep them
    for field in ('cluster', 'openstack_cluster', 'control_plane',
                  'release_exists', 'release_pending',
                  'release_started_at'):
        assert getattr(from_view, field) == getattr(direct, field), field
    names = [m['metadata']['name'] for m in from_view.machines]
    assert names == [m['metadata']['name'] for m in direct.machines]
    assert len(names) == 2 and from_view.release_exists


def test_broken_watch_resumes_without_listing_again(view,
                                                    management_cluster):
    mc = management_cluster
    before = {p: lists(mc, p) for p in WATCHED_PLURALS}
    cut = time.time()
    mc.server.end_watches()
    scale(mc.store, NS, 'c1-small', 5)
    wait_until(lambda: replicas_seen(view, 'c1') == 5, 'the new replicas')
    assert {p: lists(mc, p) for p in WATCHED_PLURALS} == before
    resumed = [r for r in mc.requests.filter(verb='watch', since=cut)
               if r.query.get('resourceVersion') not in (None, '', '0')]
    assert resumed


def test_gone_resource_version_lists_again(view, management_cluster):
    mc = management_cluster
    before = {p: lists(mc, p) for p in WATCHED_PLURALS}
    mc.outage()
    try:
        wait_until(lambda: view.age() is None, 'the view to notice')
        scale(mc.store, NS, 'c1-small', 4)
        mc.store.compact()
    finally:
        mc.clear_faults()
    wait_until(lambda: replicas_seen(view, 'c1') == 4, 'the relisted view')
    wait_until(lambda: view.age() is not None, 'the view to be current')
    after = {p: lists(mc, p) for p in WATCHED_PLURALS}
    assert all(after[p] > before[p] for p in WATCHED_PLURALS), after


def test_api_restart_resumes(view, management_cluster):
    mc = management_cluster
    before = lists(mc, 'machinedeployments')
    mc.restart(down_for=0.5)
    scale(mc.store, NS, 'c1-small', 3)
    wait_until(lambda: replicas_seen(view, 'c1') == 3, 'the change')
    wait_until(lambda: view.age() is not None, 'the view to be current')
    assert lists(mc, 'machinedeployments') == before


def test_api_restart_with_an_empty_store_lists_again(view,
                                                     management_cluster):
    mc = management_cluster
    mc.restart(fresh_store=True)
    mc.server.too_large_wait = 0.1
    wait_until(lambda: view.snapshot(NS, 'c1', True).cluster is None,
               'the view to list the empty store')
    add_cluster(mc.store, NS, 'c2')
    wait_until(lambda: view.snapshot(NS, 'c2', True).cluster is not None,
               'the new store in the view')
    assert view.snapshot(NS, 'c1', True).cluster is None


def test_view_older_than_the_bound_is_not_used(view, management_cluster):
    mc = management_cluster
    since = time.time()
    observe.snapshot_of(NS, 'c1', 'uuid-1')
    assert mc.requests.filter(since=since, verb='get') == []
    # Holding the view's lock keeps its watches from refreshing it.
    with view.cond:
        for reflector in view.reflectors.values():
            reflector.heard -= 2 * MAX_AGE
        assert view.age() > MAX_AGE
        since = time.time()
        snap = observe.snapshot_of(NS, 'c1', 'uuid-1')
    assert snap.cluster is not None
    direct = mc.requests.filter(since=since, verb='get', resource='clusters')
    assert [r.name for r in direct] == ['c1']


def test_poll_after_a_write_sees_it(view, management_cluster):
    mc = management_cluster
    mc.outage()
    wait_until(lambda: view.age() is None, 'the view to be cut off')
    scale(mc.store, NS, 'c1-small', 7)
    view.wrote('uuid-1')
    mc.clear_faults()
    # The view may not hold the write yet; the poll must see it anyway.
    snap = observe.snapshot_of(NS, 'c1', 'uuid-1')
    assert [md['spec']['replicas'] for md in snap.machine_deployments
            if md['metadata']['name'] == 'c1-small'] == [7]
    wait_until(lambda: view.usable_for('uuid-1', NS), 'the view to catch up')
    assert replicas_seen(view, 'c1') == 7
    since = time.time()
    observe.snapshot_of(NS, 'c1', 'uuid-1')
    assert mc.requests.filter(since=since, verb='get') == []


def test_outage_is_not_hidden_by_the_view(view, management_cluster):
    management_cluster.outage()
    try:
        wait_until(lambda: view.age() is None, 'the view to be cut off')
        with pytest.raises(exceptions.ManagementClusterError):
            observe.snapshot_of(NS, 'c1', 'uuid-1')
    finally:
        management_cluster.clear_faults()


def _poll_cost(stack, cluster_uuid):
    """What one status poll and one health poll of the cluster read."""
    since = time.time()
    stack.poll_once(cluster_uuid)
    stack.poll_health(cluster_uuid)
    return sorted((r.verb, r.resource, r.name,
                   r.query.get('labelSelector'), r.status, r.bytes)
                  for r in stack.mc.requests.filter(since=since)
                  if r.verb != 'watch')


def test_poll_reads_the_same_whatever_the_other_clusters(stack):
    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='mine')
    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    stack.mc.capi.stop()  # from now on nothing changes its objects
    namespace = 'magnum-%s' % cluster.project_id
    stack.conf.set_override('status_view_max_age', 0, group='capi_driver')
    try:
        add_cluster(stack.mc.store, namespace, 'other-0')
        beside_one = _poll_cost(stack, cluster.uuid)
        for index in range(1, 20):
            add_cluster(stack.mc.store, namespace, 'other-%d' % index)
        beside_twenty = _poll_cost(stack, cluster.uuid)
    finally:
        stack.conf.clear_override('status_view_max_age',
                                  group='capi_driver')
    assert beside_one == beside_twenty
    assert all(name or selector for _, _, name, selector, _, _
               in beside_one), beside_one
    # Six reads per poll: the health poll of a settled cluster also
    # decides its status.
    assert len(beside_one) == 12

    # With the shared view, once it is current, polls send no request.
    observe.reset()
    stack.poll_once(cluster.uuid)
    view = observe.shared_view()
    wait_until(lambda: view.usable_for(cluster.uuid, namespace),
               'the view to be current')
    assert _poll_cost(stack, cluster.uuid) == []


def test_a_view_seen_before_the_deadline_fails_nothing(stack):
    """A timeout is judged when the objects were seen, not when polled.

    A create whose deadline passed ten seconds ago, polled from a view
    last known current twenty seconds ago (within the bound), stays in
    progress: it may have ended in time. Once the view is current again,
    it fails.
    """
    ctx = stack.user_context()
    cluster = magnum_fixtures.make_cluster(ctx, stack.template(ctx),
                                           name='late')
    namespace = 'magnum-%s' % cluster.project_id
    stack.mc.capi.machines_never_ready(
        namespace, names.release_name(cluster.name, cluster.uuid))
    cluster = stack.clusters.cluster_create(ctx, cluster, 1, 1, 60)
    view = observe.shared_view()
    wait_until(lambda: view.usable_for(cluster.uuid, namespace),
               'the view to hold the create')
    late = stack.reload(cluster.uuid)
    late.created_at = datetime.datetime.now(datetime.timezone.utc) - (
        datetime.timedelta(minutes=60, seconds=10))
    late.save()
    # Holding the view's lock keeps its watches from refreshing it.
    with view.cond:
        for reflector in view.reflectors.values():
            reflector.heard = time.monotonic() - 20
        assert 20 <= view.age() < stack.conf.capi_driver.status_view_max_age
        polled = stack.poll_once(cluster.uuid)
    assert polled.status == Status.CREATE_IN_PROGRESS
    wait_until(lambda: view.age() < 5, 'the view to be current again')
    polled = stack.poll_once(cluster.uuid)
    assert polled.status == Status.CREATE_FAILED
    assert 'control plane' in polled.status_reason.lower()
