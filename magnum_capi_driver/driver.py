"""The Magnum driver contract, as Helm releases of the openstack-cluster chart.

Each method loads what it needs from Magnum's database, decides with the
pure modules (spec, values, status, health), applies through the adapters
(helm, kube, credentials) and records the outcome on Magnum's objects.
"""

import datetime

from magnum.common import exception
from magnum.drivers.common import driver
from magnum import objects
from magnum.objects import fields
from oslo_log import log as logging

from magnum_capi_driver import cloud
from magnum_capi_driver import conf
from magnum_capi_driver import credentials
from magnum_capi_driver import deployments
from magnum_capi_driver import exceptions
from magnum_capi_driver import health
from magnum_capi_driver import helm
from magnum_capi_driver import identity
from magnum_capi_driver import kube
from magnum_capi_driver import labels
from magnum_capi_driver import locks
from magnum_capi_driver import names
from magnum_capi_driver import spec
from magnum_capi_driver import status
from magnum_capi_driver import values

LOG = logging.getLogger(__name__)
CONF = conf.CONF
Status = fields.ClusterStatus

GONE = (Status.DELETE_IN_PROGRESS, Status.DELETE_COMPLETE)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _in_release(nodegroup):
    """Whether a nodegroup belongs in the rendered release.

    Not if it is being deleted, nor if it was refused at create (the
    conductor stores the row before asking the driver; only a nodegroup
    that passed validation gets its stack_id), so one refused nodegroup
    cannot block every later change of the cluster.
    """
    return nodegroup.status not in GONE and bool(
        nodegroup.is_default or nodegroup.stack_id)


class Driver(driver.Driver):
    """Kubernetes clusters through Cluster API, one Helm release each."""

    # Magnum < 23 creates a trust for drivers that do not opt out.
    needs_trust = False

    @property
    def provides(self):
        return [{'server_type': 'vm', 'os': distro, 'coe': 'kubernetes'}
                for distro in ('ubuntu', 'flatcar')]

    # -- adapters, created on first use so __init__ stays cheap ------------

    _helm = None

    @classmethod
    def helm(cls):
        if cls._helm is None:
            cls._helm = helm.Helm.from_config()
        return cls._helm

    @staticmethod
    def kube():
        opts = CONF.capi_driver
        return kube.client(opts.kubeconfig_file, opts.kubeconfig_context)

    @staticmethod
    def _namespace(cluster):
        return names.namespace_name(CONF.capi_driver.namespace_prefix,
                                    cluster.project_id)

    # -- the release, always rendered whole from the database --------------

    def _render(self, context, cluster, template=None, nodegroups=None,
                pending=None):
        """Decide the release's values from Magnum's objects (validates all).

        By default everything is loaded from the database. Upgrade passes
        the changed, not yet saved, template and nodegroups; a nodegroup
        change passes the nodegroup as it will be stored (pending), in
        place of its stored row.
        """
        template = template or objects.ClusterTemplate.get_by_uuid(
            context, cluster.cluster_template_id)
        if nodegroups is None:
            nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        if pending is not None:
            nodegroups = [pending if ng.uuid == pending.uuid else ng
                          for ng in nodegroups]
        cluster_spec = spec.build_cluster_spec(
            cluster, template, [ng for ng in nodegroups if _in_release(ng)],
            cloud.for_context(context), labels.site_defaults(CONF),
            credentials.secret_name(cluster.stack_id), cluster.stack_id,
            identity_url=identity.auth_url(context))
        return cluster_spec, values.render(cluster_spec)

    def _apply(self, context, cluster, pending=None, on_valid=None,
               created=()):
        """Render the release from the database and apply it, as one step.

        on_valid runs once the render has passed validation, before helm:
        where a caller stores or creates what depends on that. ``created``:
        the nodegroups this apply creates (see deployments.after_apply).
        """
        with locks.cluster_lock(cluster.uuid):
            cluster_spec, chart_values = self._render(context, cluster,
                                                      pending=pending)
            if on_valid is not None:
                on_valid()
            self.helm().apply(self._namespace(cluster), cluster.stack_id,
                              chart_values, cluster_spec.chart_version)
            deployments.after_apply(self.kube(), self._namespace(cluster),
                                    cluster_spec, created)
        return cluster_spec

    # -- cluster lifecycle ----------------------------------------------------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        """Validate everything, then credentials and CAs, then the release.

        A failure after validation leaves the cluster CREATE_FAILED with its
        stack_id recorded; deleting it then removes whatever was made, in
        CAPI's order (the credentials only once the Cluster is gone).
        """
        cluster.stack_id = names.release_name(cluster.name, cluster.uuid)
        self._apply(context, cluster, on_valid=lambda: credentials.create(
            context, cluster, self.kube(), self._namespace(cluster)),
            created=deployments.ALL)
        self._sync_status(context, cluster)

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        self._apply(context, cluster)

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        if nodes_to_remove:
            self._mark_for_removal(cluster, nodegroup, nodes_to_remove)
        self._apply(context, cluster)

    def _mark_for_removal(self, cluster, nodegroup, nodes):
        namespace = self._namespace(cluster)
        deployment = self._deployment_names(cluster, [nodegroup])[
            nodegroup.uuid]
        machines = self.kube().list(
            'Machine', namespace,
            'cluster.x-k8s.io/deployment-name=%s' % deployment)
        unknown = kube.mark_machines_for_deletion(self.kube(), namespace,
                                                  machines, nodes)
        if unknown:
            raise exceptions.NodesNotFound(nodes=', '.join(unknown),
                                           nodegroup=nodegroup.name)

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, rollback=False):
        """Move the cluster and all its nodegroups to cluster_template.

        The move is made on copies, rendered, checked against the running
        version and applied; only then is it stored, so a refused upgrade
        leaves Magnum's records as they were.
        """
        current, _ = self._render(context, cluster)
        moved = cluster.obj_clone()
        moved.cluster_template_id = cluster_template.uuid
        moved.labels = labels.upgraded_labels(cluster.labels,
                                              cluster_template.labels)
        nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        for ng in nodegroups:
            ng.image_id = cluster_template.image_id
            ng.labels = labels.upgraded_labels(ng.labels,
                                               cluster_template.labels)
        with locks.cluster_lock(cluster.uuid):
            target, chart_values = self._render(
                context, moved, cluster_template, nodegroups)
            spec.check_upgrade(current.kubernetes_version,
                               target.kubernetes_version)
            self.helm().apply(self._namespace(cluster), cluster.stack_id,
                              chart_values, target.chart_version)
            deployments.after_apply(self.kube(), self._namespace(cluster),
                                    target)
        cluster.cluster_template_id = moved.cluster_template_id
        cluster.labels = moved.labels
        cluster.save()
        for ng in nodegroups:
            if ng.status not in GONE:
                ng.status = Status.UPDATE_IN_PROGRESS
            ng.save()

    def delete_cluster(self, context, cluster):
        self._uninstall(cluster)
        if cluster.stack_id:
            kube.note_delete_request(self.kube(), self._namespace(cluster),
                                     cluster.stack_id, _now())

    def _uninstall(self, cluster):
        if not cluster.stack_id:
            return
        with locks.cluster_lock(cluster.uuid):
            self.helm().uninstall(self._namespace(cluster), cluster.stack_id)

    # -- nodegroups -----------------------------------------------------------

    def create_nodegroup(self, context, cluster, nodegroup):
        self._apply_nodegroup_change(context, cluster, nodegroup,
                                     {nodegroup.uuid},
                                     stack_id=cluster.stack_id)

    def update_nodegroup(self, context, cluster, nodegroup):
        self._apply_nodegroup_change(context, cluster, nodegroup)

    def _apply_nodegroup_change(self, context, cluster, nodegroup,
                                created=(), **extra):
        """Store the nodegroup only once the release renders with it.

        If the render refuses it, the object's pending changes are dropped,
        so the conductor's save of the FAILED status stores nothing else; a
        refused create keeps no stack_id, which keeps it out of every later
        render.
        """
        pending = nodegroup.obj_clone()
        for field, value in extra.items():
            setattr(pending, field, value)
        stored = []

        def store():
            for field, value in extra.items():
                setattr(nodegroup, field, value)
            nodegroup.save()
            stored.append(nodegroup.uuid)

        try:
            self._apply(context, cluster, pending=pending, on_valid=store,
                        created=created)
        except Exception:
            if not stored:
                nodegroup.obj_reset_changes()
            raise

    def delete_nodegroup(self, context, cluster, nodegroup):
        nodegroup.status = Status.DELETE_IN_PROGRESS
        nodegroup.status_reason = None
        nodegroup.save()
        self._apply(context, cluster)

    # -- credentials and certificates -----------------------------------------

    def rotate_credential(self, context, cluster):
        credentials.rotate(context, cluster, self.kube(),
                           self._namespace(cluster))

    def rotate_ca_certificate(self, context, cluster):
        """Refuse, leaving Magnum's certificate references as they were.

        Magnum generates new CAs before calling the driver; a CAPI cluster
        cannot take new CAs in place, so the old references are restored on
        the object the conductor saves.
        """
        stored = objects.Cluster.get_by_uuid(context, cluster.uuid)
        for ref in ('ca_cert_ref', 'magnum_cert_ref', 'etcd_ca_cert_ref',
                    'front_proxy_ca_cert_ref'):
            setattr(cluster, ref, getattr(stored, ref))
        raise exception.NotSupported(
            operation='Rotating the CA of a Cluster API cluster (the '
                      'cluster keeps its current certificates)')

    # -- status and health ----------------------------------------------------

    def update_cluster_status(self, context, cluster, use_admin_ctx=False):
        self._sync_status(context, cluster)

    def _sync_status(self, context, cluster, snapshot=None):
        """Observe, decide, record: the periodic job's step for a cluster."""
        nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        namespace = self._namespace(cluster)
        if snapshot is None:
            try:
                snapshot = self._snapshot(cluster, namespace)
            except exceptions.ManagementClusterError as exc:
                LOG.warning('Status of cluster %s not updated: %s',
                            cluster.uuid, exc)
                return
        view = status.view_of(cluster, nodegroups, self._timeouts(cluster),
                              self._deployment_names(cluster, nodegroups))
        decision = status.decide(snapshot, view, _now())
        if decision.cleanup_ready:
            credentials.delete(context, cluster, self.kube(), namespace)
        status.record(decision, cluster, nodegroups)

    @staticmethod
    def _deployment_names(cluster, nodegroups):
        groups = names.node_group_names(
            [ng for ng in nodegroups if ng.role != 'master'])
        return {uuid: names.machine_deployment_name(cluster.stack_id, group)
                for uuid, group in groups.items()}

    def _snapshot(self, cluster, namespace):
        """Observe the cluster's CAPI objects (none before its release)."""
        if not cluster.stack_id:
            return status.Snapshot(cluster=None, openstack_cluster=None,
                                   control_plane=None)
        kube_client = self.kube()
        return status.Snapshot(
            release_started_at=kube.release_started_at(
                kube_client, namespace, cluster.stack_id),
            **kube.cluster_objects(kube_client, namespace, cluster.stack_id))

    @staticmethod
    def _timeouts(cluster):
        opts = CONF.capi_driver
        return {'create': 60 * (cluster.create_timeout or
                                opts.create_timeout),
                'update': 60 * opts.update_timeout,
                'delete': 60 * opts.delete_timeout}

    def get_monitor(self, context, cluster):
        return Monitor(self, context, cluster)

    # -- validation -----------------------------------------------------------

    def validate_master_size(self, node_count):
        spec.validate_master_count(node_count, lb_enabled=True)

    def validate_master_resize(self, node_count):
        spec.validate_master_count(node_count, lb_enabled=True)

    # -- not offered ------------------------------------------------------

    def create_federation(self, context, federation):
        raise NotImplementedError('Federation is not supported.')

    def update_federation(self, context, federation):
        raise NotImplementedError('Federation is not supported.')

    def delete_federation(self, context, federation):
        raise NotImplementedError('Federation is not supported.')


class Monitor(object):
    """Health from the CAPI objects, read on the management cluster only.

    The workload cluster's API is never contacted, so private clusters
    (no floating IP on their API) are monitored like any other.
    """

    def __init__(self, drv, context, cluster):
        self._driver = drv
        self._context = context
        self._cluster = cluster
        self.data = {}

    def poll_health_status(self):
        """Health, and for settled clusters a status pass from one read.

        Magnum polls status only while a cluster is in progress; running the
        same decision here lets autoscaler node counts flow back and frees a
        nodegroup whose operation ended after its cluster completed.
        """
        cluster = self._cluster
        try:
            snapshot = self._driver._snapshot(
                cluster, self._driver._namespace(cluster))
        except exceptions.ManagementClusterError as exc:
            snapshot = exc
        health_status, reason = health.decide_health(snapshot, _now())
        self.data = {'health_status': health_status,
                     'health_status_reason': reason}
        if (cluster.status.endswith('_COMPLETE')
                and not isinstance(snapshot, Exception)):
            self._driver._sync_status(self._context, cluster, snapshot)
