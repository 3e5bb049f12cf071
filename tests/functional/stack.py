"""The full stack the driver runs in, for functional tests and the demo.

Magnum's conductor handlers and periodic job on sqlite, the driver loaded
through its entry point, the real helm binary, the Kubernetes API stand-in
with its Cluster API simulator, and the real Keystone server. Only Nova,
Glance and Neutron lookups are faked (tests.fixtures.cloud).
"""

import contextlib
import datetime
import pathlib
import tempfile
import time

from magnum.common import exception
from magnum.conductor.handlers import cluster_conductor
from magnum.conductor.handlers import credential_conductor
from magnum.conductor.handlers import nodegroup_conductor
from magnum import objects
from magnum.objects import fields
from magnum.service import periodic
from oslo_service import loopingcall

from magnum_capi_driver import cloud
from magnum_capi_driver import driver
from magnum_capi_driver import kube
from magnum_capi_driver import observe
from tests.fixtures import cloud as cloud_fixtures
from tests.fixtures import keystone as keystone_fixture
from tests.fixtures import magnum as magnum_fixtures
from tests.fixtures import tools as tools_fixture
from tests.kubeapi import ManagementCluster

CHART = pathlib.Path(__file__).resolve().parents[1] / 'charts' / \
    'openstack-cluster'
Status = fields.ClusterStatus


class Stack(object):
    """Drives Magnum the way its API and conductor do, and polls like it."""

    def __init__(self, conf, mc, keystone):
        self.conf = conf
        self.mc = mc
        self.keystone = keystone
        self.clusters = cluster_conductor.Handler()
        self.nodegroups = nodegroup_conductor.Handler()
        self.credentials = credential_conductor.Handler()

    def user_context(self):
        return self.keystone.request_context()

    @staticmethod
    def admin_context():
        return magnum_fixtures.admin_context()

    def template(self, ctx, **overrides):
        return magnum_fixtures.make_template(ctx, **overrides)

    def create_cluster(self, ctx, template, master_count=1, node_count=1,
                       **overrides):
        cluster = magnum_fixtures.make_cluster(ctx, template, **overrides)
        return self.clusters.cluster_create(ctx, cluster, master_count,
                                            node_count, 60)

    def reload(self, cluster_uuid):
        return objects.Cluster.get_by_uuid(self.admin_context(),
                                           cluster_uuid)

    def poll_once(self, cluster_uuid):
        """One pass of Magnum's real periodic status job for one cluster."""
        ctx = self.admin_context()
        try:
            cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        except exception.ClusterNotFound:
            return None
        try:
            periodic.ClusterUpdateJob(ctx, cluster).update_status()
        except loopingcall.LoopingCallDone:
            pass
        try:
            return objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        except exception.ClusterNotFound:
            return None

    def poll_health(self, cluster_uuid):
        """One pass of Magnum's real periodic health job for one cluster."""
        ctx = self.admin_context()
        cluster = objects.Cluster.get_by_uuid(ctx, cluster_uuid)
        try:
            periodic.ClusterHealthUpdateJob(ctx,
                                            cluster).update_health_status()
        except loopingcall.LoopingCallDone:
            pass
        return objects.Cluster.get_by_uuid(ctx, cluster_uuid)

    def wait_for(self, cluster_uuid, wanted, timeout=60, interval=0.05,
                 progress=None):
        """Poll until the cluster reaches wanted (None: gone from the DB).

        progress, if given, is called with the cluster (or None) whenever
        its status or reason changes.
        """
        deadline = time.monotonic() + timeout
        cluster = None
        seen = object()
        while time.monotonic() < deadline:
            cluster = self.poll_once(cluster_uuid)
            current = cluster.status if cluster else None
            state = (current, cluster.status_reason if cluster else None)
            if progress and state != seen:
                progress(cluster)
            seen = state
            if current == wanted:
                return cluster
            if current and current.endswith('_FAILED'):
                raise AssertionError('cluster went %s: %s' % (
                    current, cluster.status_reason))
            time.sleep(interval)
        raise AssertionError('cluster still %s (%s) after %ss' % (
            cluster.status if cluster else None,
            cluster.status_reason if cluster else '', timeout))

    @staticmethod
    def wait_until_view_is_cut_off(timeout=30):
        """Until the driver's shared view knows it cannot be refreshed."""
        view = observe.shared_view()
        deadline = time.monotonic() + timeout
        while view.age() is not None:
            if time.monotonic() > deadline:
                raise AssertionError('the shared view still looks current')
            time.sleep(0.05)

    def age(self, cluster_uuid, minutes):
        """Move the cluster's creation back in time, as if minutes passed."""
        cluster = self.reload(cluster_uuid)
        cluster.created_at = cluster.created_at - datetime.timedelta(
            minutes=minutes)
        cluster.save()


@contextlib.contextmanager
def running(conf, keystone, helm_binary, speed):
    """Point the driver at a fresh management cluster and the Keystone."""
    keystone.configure_magnum(conf)
    with ManagementCluster(capi=True, speed=speed) as mc:
        overrides = dict(kubeconfig_file=str(mc.kubeconfig),
                         helm_executable=helm_binary,
                         chart_name=str(CHART), chart_version='',
                         region_name=keystone.region_name)
        for name, value in overrides.items():
            conf.set_override(name, value, group='capi_driver')
        _reset_driver_caches()
        original = cloud.for_context
        fake = cloud_fixtures.FakeCloud()
        cloud.for_context = lambda context: fake
        try:
            yield Stack(conf, mc, keystone)
        finally:
            cloud.for_context = original
            _reset_driver_caches()
            for name in overrides:
                conf.clear_override(name, group='capi_driver')


@contextlib.contextmanager
def standalone(helm_binary=None, speed=60.0):
    """The whole stack outside pytest, for the demo and the benchmarks.

    An empty Magnum database, a Keystone of its own, helm 4 by default.
    """
    helm_binary = helm_binary or str(tools_fixture.ensure_tools() / 'helm4')
    magnum_fixtures.configure_magnum()
    magnum_fixtures.reset_schema()
    with tempfile.TemporaryDirectory() as workdir:
        process, keystone = keystone_fixture.start(workdir)
        try:
            with running(magnum_fixtures.CONF, keystone, helm_binary,
                         speed) as stack:
                yield stack
        finally:
            keystone_fixture.stop(process)


def _reset_driver_caches():
    driver.Driver._helm = None
    kube._clients.clear()
    observe.reset()
