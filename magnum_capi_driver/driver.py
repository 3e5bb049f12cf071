"""The Magnum driver contract, as Helm releases of the openstack-cluster chart.

Each method loads what it needs from Magnum's database, decides with the
pure modules (spec, values, status, health), applies through the adapters
(helm, kube, credentials) and records the outcome on Magnum's objects.
"""

import contextlib
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
from magnum_capi_driver import nodegroup_rows
from magnum_capi_driver import observe
from magnum_capi_driver import refusals
from magnum_capi_driver import spec
from magnum_capi_driver import status
from magnum_capi_driver import values

LOG = logging.getLogger(__name__)
CONF = conf.CONF
Status = fields.ClusterStatus

GONE = (Status.DELETE_IN_PROGRESS, Status.DELETE_COMPLETE)

# How often an operation whose lock was taken over waits to apply again.
LOCK_LOST_ATTEMPTS = 3


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _in_release(nodegroup):
    """Whether a nodegroup belongs in the rendered release.

    The default groups and those a successful apply has joined (stack_id
    set), and creates still under way: each create is applied by whichever
    operation next holds the cluster's lock. Never a group being deleted,
    nor a create that failed or was refused (it keeps no stack_id), so a
    later render cannot bring it back.
    """
    if nodegroup.status in GONE:
        return False
    return bool(nodegroup.is_default or nodegroup.stack_id
                or nodegroup.status == Status.CREATE_IN_PROGRESS)


def _pending_create(nodegroup):
    return not (nodegroup.is_default or nodegroup.stack_id) and \
        nodegroup.status == Status.CREATE_IN_PROGRESS


@contextlib.contextmanager
def _in_tenant_terms(cluster, action):
    """Management-cluster failures become a reason a tenant can act on.

    The details (helm's output, addresses, namespaces) go to the conductor
    log with the cluster's uuid; the tenant reads what failed.
    """
    try:
        yield
    except (exceptions.HelmError, exceptions.ManagementClusterError,
            exceptions.ReleaseMissing, exceptions.LockLost) as exc:
        LOG.error('Could not %s cluster %s: %s', action, cluster.uuid, exc)
        raise exceptions.ChangeFailed(action=action, cluster=cluster.name,
                                      uuid=cluster.uuid)


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

    def _lease(self, cluster):
        return locks.Lease(self.kube(), self._namespace(cluster),
                           cluster.uuid)

    # -- the release, always rendered whole from the database --------------

    def _render(self, context, cluster, template=None, nodegroups=None,
                pending=None):
        """Decide the release's values from Magnum's objects (validates all).

        By default everything is loaded from the database. Upgrade passes
        the changed, not yet saved, template and nodegroups; a nodegroup
        change passes the nodegroup as it will be stored (pending), in
        place of its stored row. Returns the spec, the values and the
        nodegroups rendered.
        """
        template = template or objects.ClusterTemplate.get_by_uuid(
            context, cluster.cluster_template_id)
        if nodegroups is None:
            nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        if pending is not None:
            nodegroups = [pending if ng.uuid == pending.uuid else ng
                          for ng in nodegroups]
        members = [ng for ng in nodegroups if _in_release(ng)]
        cluster_spec = spec.build_cluster_spec(
            cluster, template, members,
            cloud.for_context(context), labels.site_defaults(CONF),
            credentials.secret_name(cluster.stack_id), cluster.stack_id,
            identity_url=identity.auth_url(context))
        return cluster_spec, values.render(cluster_spec), members

    def _render_valid(self, context, cluster, template=None,
                      nodegroups=None):
        """Render, leaving out creates under way that do not validate.

        Such a create belongs to an operation that refuses it itself; it
        must not stop the others waiting on the same lock.
        """
        if nodegroups is None:
            nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        try:
            return self._render(context, cluster, template, nodegroups)
        except exceptions.InvalidClusterInput:
            pending = [ng for ng in nodegroups if _pending_create(ng)]
            if not pending:
                raise
        settled = [ng for ng in nodegroups if not _pending_create(ng)]
        valid = []
        for ng in pending:
            try:
                self._render(context, cluster, template, settled + [ng])
            except exceptions.InvalidClusterInput as exc:
                LOG.info('Nodegroup %s of cluster %s left out: %s',
                         ng.uuid, cluster.uuid, exc)
                continue
            valid.append(ng)
        return self._render(context, cluster, template, settled + valid)

    def _converge(self, context, cluster, change, on_failure=None):
        """See the database's state of the cluster applied, coalesced.

        Called once this operation's intent is stored. It takes a ticket
        and waits for the cluster's lock; whoever holds the lock renders the
        database (this intent and every one stored before) and runs one
        helm upgrade, so operations waiting together cost one upgrade, and
        a waiter whose ticket an apply covered returns without helm.
        on_failure runs under the lock when this operation's own apply
        fails, so no later render picks up the failed intent. change names
        the operation in the log, so each can be followed across conductors.
        """
        with _in_tenant_terms(cluster, 'apply the change to'):
            ticket = locks.Ticket.take(self._lease(cluster))
            LOG.info('Cluster %s: %s waits as change %d.', cluster.uuid,
                     change, ticket.number)
            for _ in range(LOCK_LOST_ATTEMPTS):
                try:
                    return self._converge_once(context, cluster, ticket,
                                               on_failure)
                except exceptions.LockLost:
                    LOG.warning('Lost the lock of cluster %s while applying '
                                'a change; waiting to apply it again.',
                                cluster.uuid)
            raise exceptions.LockLost(cluster=cluster.uuid)

    def _converge_once(self, context, cluster, ticket, on_failure):
        with locks.cluster_lock(self.kube(), self._namespace(cluster),
                                cluster.uuid, ticket) as held:
            if held.served:
                LOG.info('Cluster %s: change %d was applied by another '
                         'holder of the lock.', cluster.uuid, ticket.number)
                return
            try:
                self._apply_held(context, cluster, held)
            except exceptions.LockLost:
                raise
            except Exception:
                if on_failure is not None:
                    on_failure()
                raise

    def _apply_held(self, context, cluster, held, render=None,
                    install=False):
        """Render (from the database by default) and apply, lock held."""
        cluster_spec, chart_values, members = (
            render or (lambda: self._render_valid(context, cluster)))()
        try:
            self.helm().apply_if_changed(
                self._namespace(cluster), cluster.stack_id, chart_values,
                cluster_spec.chart_version, install=install)
            deployments.after_apply(
                self.kube(), self._namespace(cluster), cluster_spec,
                deployments.ALL if install else {
                    ng.uuid for ng in members
                    if not (ng.is_default or ng.stack_id)})
        finally:
            observe.wrote(cluster)
        if held.lost.is_set():
            # Another conductor took over meanwhile and owns the outcome.
            raise exceptions.LockLost(cluster=cluster.uuid)
        for ng in members:
            if not (ng.is_default or ng.stack_id):
                ng.stack_id = cluster.stack_id
                ng.save()
        held.mark_applied(held.requested)
        LOG.info('Cluster %s: changes up to %d applied.', cluster.uuid,
                 held.requested)
        return cluster_spec

    # -- cluster lifecycle ----------------------------------------------------

    def create_cluster(self, context, cluster, cluster_create_timeout):
        """Validate everything, then credentials and CAs, then the release.

        A failure after validation leaves the cluster CREATE_FAILED with its
        stack_id recorded; deleting it then removes whatever was made, in
        CAPI's order (the credentials only once the Cluster is gone).
        """
        cluster.stack_id = names.release_name(cluster.name, cluster.uuid)
        self._render(context, cluster)
        kube_client, namespace = self.kube(), self._namespace(cluster)
        with _in_tenant_terms(cluster, 'create'):
            credentials.create(context, cluster, kube_client, namespace)
            with locks.cluster_lock(kube_client, namespace,
                                    cluster.uuid) as held:
                self._apply_held(context, cluster, held, install=True)
        self._sync_status(context, cluster)

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        self._render(context, cluster)
        self._converge(context, cluster, 'cluster update')

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        self._note_change(cluster)
        self._render(context, cluster)
        if nodes_to_remove:
            self._mark_for_removal(cluster, nodegroup, nodes_to_remove)
        self._converge(context, cluster, 'resize of nodegroup %s to %d' % (
            nodegroup.name if nodegroup else 'default', node_count))

    def _mark_for_removal(self, cluster, nodegroup, nodes):
        """Annotate the named Machines so CAPI removes them first.

        MachineSets and KubeadmControlPlane both delete Machines carrying
        cluster.x-k8s.io/delete-machine first when they scale down, so this
        works for masters and workers alike.
        """
        namespace = self._namespace(cluster)
        with _in_tenant_terms(cluster, 'resize'):
            machines = self.kube().list(
                'Machine', namespace,
                self._machine_selector(cluster, nodegroup))
            unknown = kube.mark_machines_for_deletion(
                self.kube(), namespace, machines, nodes)
        if unknown:
            raise exceptions.NodesNotFound(nodes=', '.join(unknown),
                                           nodegroup=nodegroup.name)

    def _machine_selector(self, cluster, nodegroup):
        if nodegroup.role == 'master':
            return '%s=%s,%s' % (status.CLUSTER_NAME_LABEL, cluster.stack_id,
                                 status.CONTROL_PLANE_LABEL)
        deployment = self._deployment_names(cluster, [nodegroup])[
            nodegroup.uuid]
        return '%s=%s' % (status.DEPLOYMENT_LABEL, deployment)

    def _upgraded(self, context, cluster, cluster_template):
        """The cluster and its nodegroups moved to cluster_template (copies).

        Nothing is saved: a refused upgrade must leave Magnum as it was.
        """
        moved = cluster.obj_clone()
        moved.cluster_template_id = cluster_template.uuid
        moved.labels = labels.upgraded_labels(cluster.labels,
                                              cluster_template.labels)
        nodegroups = objects.NodeGroup.list(context, cluster.uuid)
        for ng in nodegroups:
            ng.image_id = cluster_template.image_id
            ng.labels = labels.upgraded_labels(ng.labels,
                                               cluster_template.labels)
        return moved, nodegroups

    def _check_upgrade(self, context, cluster, cluster_template):
        """The upgrade's render; a refusal is NotSupported, not a failure."""
        current, _, _ = self._render(context, cluster)
        moved, nodegroups = self._upgraded(context, cluster,
                                           cluster_template)
        try:
            target = self._render_valid(context, moved, cluster_template,
                                        nodegroups)
            spec.check_upgrade(current.kubernetes_version,
                               target[0].kubernetes_version)
        except exceptions.InvalidClusterInput as exc:
            raise exceptions.UpgradeRefused(reason=str(exc))
        return moved, nodegroups, target

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, rollback=False):
        """Move the cluster and all its nodegroups to cluster_template.

        Checked first (a refusal changes nothing); then, under the lock,
        rendered again from the database as it is then, applied, and only
        then stored, before the lock goes, so the next holder's render
        starts from the upgraded template.
        """
        self._check_upgrade(context, cluster, cluster_template)
        kube_client, namespace = self.kube(), self._namespace(cluster)
        with _in_tenant_terms(cluster, 'upgrade'):
            with locks.cluster_lock(kube_client, namespace,
                                    cluster.uuid) as held:
                moved, nodegroups, target = self._check_upgrade(
                    context, cluster, cluster_template)
                self._apply_held(context, moved, held,
                                 render=lambda: target)
                cluster.cluster_template_id = moved.cluster_template_id
                cluster.labels = moved.labels
                cluster.save()
                for ng in nodegroups:
                    if _in_release(ng) and \
                            ng.status != Status.CREATE_IN_PROGRESS:
                        ng.status = Status.UPDATE_IN_PROGRESS
                    ng.save()

    def delete_cluster(self, context, cluster):
        if not cluster.stack_id:
            return
        kube_client, namespace = self.kube(), self._namespace(cluster)
        with _in_tenant_terms(cluster, 'delete'):
            with locks.cluster_lock(kube_client, namespace, cluster.uuid):
                try:
                    self.helm().uninstall(namespace, cluster.stack_id)
                finally:
                    observe.wrote(cluster)
            kube.note_request(kube_client, namespace, cluster.stack_id,
                              status.DELETE_REQUESTED, _now())
            observe.wrote(cluster)

    # -- nodegroups -----------------------------------------------------------

    def create_nodegroup(self, context, cluster, nodegroup):
        """Checked against the whole release, then applied with others.

        The row exists already (the conductor stores it first); it joins
        the release (gets its stack_id) only once helm has applied it.
        """
        self._note_change(cluster)
        self._refusing(cluster, nodegroup, lambda: self._render(
            context, cluster, pending=nodegroup))

        def failed():
            nodegroup.status = Status.CREATE_FAILED
            nodegroup.save()
        self._converge(context, cluster, 'create of nodegroup %s'
                       % nodegroup.name, on_failure=failed)

    def update_nodegroup(self, context, cluster, nodegroup):
        """Store the change only once the release renders with it.

        If the render refuses it, the object's pending changes are dropped,
        so the conductor's save of the FAILED status stores nothing else.
        If helm fails, the stored values are put back under the lock.
        """
        self._note_change(cluster)
        pending = nodegroup.obj_clone()
        stored = objects.NodeGroup.get_by_uuid(context, cluster.uuid,
                                               nodegroup.uuid)
        try:
            self._refusing(cluster, nodegroup, lambda: self._render(
                context, cluster, pending=pending))
        except Exception:
            nodegroup.obj_reset_changes()
            raise
        changed = {field: getattr(stored, field)
                   for field in nodegroup.obj_what_changed()
                   if field != 'status'}
        nodegroup.save()

        def restore():
            for field, value in changed.items():
                setattr(nodegroup, field, value)
            nodegroup.status = Status.UPDATE_FAILED
            nodegroup.save()
        self._converge(context, cluster, 'update of nodegroup %s'
                       % nodegroup.name, on_failure=restore)

    def delete_nodegroup(self, context, cluster, nodegroup):
        self._note_change(cluster)
        nodegroup.status = Status.DELETE_IN_PROGRESS
        nodegroup.status_reason = None
        nodegroup.save()

        def failed():
            nodegroup.status = Status.DELETE_FAILED
            nodegroup.save()
        self._converge(context, cluster, 'delete of nodegroup %s'
                       % nodegroup.name, on_failure=failed)

    def _note_change(self, cluster):
        """Start the clock of a change Magnum already stored in progress.

        Magnum records nodegroup operations and resizes in progress before
        calling the driver; until their Helm revision is written, the
        newest one may be older than the timeout, and the status poll
        times the change from this stamp instead.
        """
        with _in_tenant_terms(cluster, 'apply the change to'):
            kube.note_request(self.kube(), self._namespace(cluster),
                              cluster.stack_id, status.CHANGE_REQUESTED,
                              _now())
        observe.wrote(cluster)

    def _refusing(self, cluster, nodegroup, check):
        """Run check; a refusal is noted so the cluster is given back.

        Magnum's conductor stores the cluster UPDATE_FAILED whatever the
        driver raises; the note lets the health poll restore its status.
        """
        try:
            check()
        except exceptions.InvalidClusterInput:
            with _in_tenant_terms(cluster, 'record a refusal for'):
                refusals.note(self._lease(cluster), nodegroup.uuid)
            raise

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
        nodegroups = nodegroup_rows.of_cluster(cluster.uuid)
        namespace = self._namespace(cluster)
        if snapshot is None:
            try:
                snapshot = self._snapshot(cluster)
            except exceptions.ManagementClusterError as exc:
                LOG.warning('Status of cluster %s not updated: %s',
                            cluster.uuid, exc)
                return
        view = status.view_of(cluster, nodegroups, self._timeouts(cluster),
                              self._deployment_names(cluster, nodegroups))
        decision = status.decide(snapshot, view, _now())
        if decision.cleanup_ready:
            credentials.delete(context, cluster, self.kube(), namespace)
        status.record(decision, cluster,
                      nodegroup_rows.loader(context, cluster.uuid))

    def _give_back(self, context, cluster, snapshot):
        """An UPDATE_FAILED cluster whose only failures were refusals.

        It goes back to UPDATE_IN_PROGRESS, and the status decision takes it
        from there (UPDATE_COMPLETE when its objects are all ready).
        """
        lease = self._lease(cluster)
        refused = refusals.noted(self.kube().get('Lease', lease.namespace,
                                                 lease.name))
        nodegroups = nodegroup_rows.of_cluster(cluster.uuid)
        if not refusals.restorable(cluster.status,
                                   [(ng.uuid, ng.status) for ng in nodegroups],
                                   refused):
            return
        LOG.info('Cluster %s failed only by refused nodegroup changes (%s); '
                 'giving it back.', cluster.uuid, ', '.join(sorted(refused)))
        cluster.status = Status.UPDATE_IN_PROGRESS
        cluster.status_reason = None
        cluster.save()
        self._sync_status(context, cluster, snapshot)
        refusals.clear(lease, refused)

    @staticmethod
    def _deployment_names(cluster, nodegroups):
        """MachineDeployment names, also before Magnum stored stack_id.

        A poll may read the cluster while its create is still running;
        the release name is the one create_cluster chooses.
        """
        release = cluster.stack_id or names.release_name(cluster.name,
                                                         cluster.uuid)
        groups = names.node_group_names(nodegroups)
        return {uuid: names.machine_deployment_name(release, group)
                for uuid, group in groups.items()}

    @staticmethod
    def _snapshot(cluster, for_status=True):
        """Observe the cluster's CAPI objects (none before its release)."""
        if not cluster.stack_id:
            return status.Snapshot(cluster=None, openstack_cluster=None,
                                   control_plane=None)
        return observe.snapshot(cluster, for_status)

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
        # Only these go on to a status pass, which needs the whole snapshot.
        for_status = (cluster.status.endswith('_COMPLETE')
                      or cluster.status == Status.UPDATE_FAILED)
        try:
            snapshot = self._driver._snapshot(cluster, for_status)
        except exceptions.ManagementClusterError as exc:
            LOG.warning('Health of cluster %s unknown: %s', cluster.uuid,
                        exc)
            snapshot = exc
        health_status, reason = health.decide_health(snapshot)
        self.data = {'health_status': health_status,
                     'health_status_reason': reason}
        if isinstance(snapshot, Exception):
            return
        if cluster.status.endswith('_COMPLETE'):
            self._driver._sync_status(self._context, cluster, snapshot)
        elif cluster.status == Status.UPDATE_FAILED:
            self._driver._give_back(self._context, cluster, snapshot)
