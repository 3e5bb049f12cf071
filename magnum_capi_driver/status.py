"""Magnum cluster and nodegroup statuses from a snapshot of CAPI objects.

Pure functions over plain data: nothing here reads the management cluster
or the database, so every rule is a row in a table test.

Key types and entry point::

    Snapshot(cluster, openstack_cluster, control_plane,
             machine_deployments=(), machines=(), release_exists=None,
             release_pending=False, release_started_at=None,
             observed_at=None)
    NodeGroupView(uuid, name, status, node_count, deployment_name=None,
                  status_reason=None, node_addresses=())
    ClusterView(status, started_at, nodegroups=(), status_reason=None,
                create_timeout=None, update_timeout=None,
                delete_timeout=None, api_address=None, coe_version=None)
    decide(snapshot, view, now) -> StatusDecision

Two small adapters sit at the edge, for the driver::

    view_of(cluster, nodegroups, timeouts, deployment_names) -> ClusterView
    record(decision, cluster, load)   # assigns, saves, destroys

``StatusDecision`` carries the full new values and, in ``changes``, only
the cluster fields that differ from the view (Magnum derives a cluster's
``master_addresses`` and ``node_addresses`` from its nodegroups, so
addresses are decided and recorded per nodegroup only); each
``NodeGroupDecision`` likewise has ``changes`` and ``destroy``. The driver
(``record``) assigns ``changes``, saves only when they are not empty,
destroys the nodegroups marked ``destroy``, and, when ``cleanup_ready`` is
set, removes the cluster's credentials before recording DELETE_COMPLETE
(if the clean-up fails it records nothing and the next poll decides
again).

Timeouts run from the operation's start: ``created_at`` for a create, the
newest Helm revision (``release_started_at``) or the latest change request
noted on the Cluster (``CHANGE_REQUESTED``), whichever is later, for an
update, the earliest ``deletionTimestamp`` of the CAPI objects for a
delete; ``view.started_at`` when those are unknown. A nodegroup's
operation is timed like its cluster's: it is requested and applied by the
same stamps. A timeout has passed only if the objects were seen unfinished
after it: the snapshot's ``observed_at``, not the time of the poll, is
compared with the deadline, so a view a few seconds old never fails an
operation that ended in time.

Versions are not compared with Magnum's template: once a change is
applied the objects carry it, and a rollout shows in the replica counts
(``replicas.unsettled``) after the controller observed the new generation.

Failures come in two kinds. Terminal ones, recorded in the failure fields
of the OpenStackCluster or of a Machine (``failure_fields``), fail the
operation at the next poll: no controller retries them. Failed attempts
that CAPO retries (False conditions with severity Warning or Error and no
failure fields, ``infrastructure_problem`` and ``machine_problem``) are
only shown in the reason, and fail the operation when its timeout passes.

``decide`` accepts any cluster status: a cluster that is not in progress
but has a nodegroup in progress (a nodegroup operation that ended after the
poll had completed the cluster) is moved back to UPDATE_IN_PROGRESS, so no
nodegroup is left in progress forever. The caller may therefore also run it
from the health poll.
"""

import dataclasses
import datetime
import ipaddress

from magnum.objects import fields
from oslo_utils import timeutils

from magnum_capi_driver import replicas

CS = fields.ClusterStatus

MAX_REASON = 255

CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name'
CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'
DEPLOYMENT_LABEL = 'cluster.x-k8s.io/deployment-name'

# Set on the Cluster by every delete request, so a retried delete is timed
# from the retry rather than from the first deletionTimestamp.
DELETE_REQUESTED = 'magnum.openstack.org/delete-requested-at'

# Set on the Cluster by every nodegroup operation and resize before it is
# applied: Magnum stores them in progress first, and until their Helm
# revision is written the newest one may be far older than the timeout.
CHANGE_REQUESTED = 'magnum.openstack.org/change-requested-at'

# In-progress status -> (success, failure).
OUTCOMES = {
    CS.CREATE_IN_PROGRESS: (CS.CREATE_COMPLETE, CS.CREATE_FAILED),
    CS.UPDATE_IN_PROGRESS: (CS.UPDATE_COMPLETE, CS.UPDATE_FAILED),
    CS.DELETE_IN_PROGRESS: (CS.DELETE_COMPLETE, CS.DELETE_FAILED),
    CS.ROLLBACK_IN_PROGRESS: (CS.ROLLBACK_COMPLETE, CS.ROLLBACK_FAILED),
}

# Severities of a False v1beta1 condition that report a failed attempt.
# CAPO v0.14 marks an OpenStackCluster's Ready False with reason
# OpenStackError and severity Warning for every error it retries, and the
# NetworkReady, RouterReady, SecurityGroupsReady and APIEndpointReady
# conditions False with severity Error (reasons NetworkCreateFailed,
# SubnetCreateFailed, RouterCreateFailed, SecurityGroupCreateFailed,
# APIEndpointConfigFailed, OpenStackError) while it returns the error, so
# the controller retries with backoff. Neither severity means it gave up.
RETRIED_SEVERITIES = frozenset(['Warning', 'Error'])


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The CAPI objects of one cluster, as raw v1beta1 dicts.

    ``None`` for an object means the API answered 404. ``release_exists``
    is None when unknown; ``release_pending`` is True while Helm reports a
    pending install or upgrade, so that nothing completes before the new
    manifests are applied; ``release_started_at`` is when the newest Helm
    revision was written (all three from the labels of Helm's revision
    Secrets). ``observed_at`` is when the objects were known current (the
    shared view may be up to its staleness bound old); timeouts are judged
    at that moment, or at the poll's time when it is None.
    """
    cluster: dict = None
    openstack_cluster: dict = None
    control_plane: dict = None
    machine_deployments: tuple = ()
    machines: tuple = ()
    release_exists: bool = None
    release_pending: bool = False
    release_started_at: datetime.datetime = None
    observed_at: datetime.datetime = None


@dataclasses.dataclass(frozen=True)
class NodeGroupView:
    """What Magnum knows of one nodegroup.

    ``deployment_name`` is the MachineDeployment rendered for the group;
    None marks the group served by the KubeadmControlPlane (the masters).
    Whether the group is autoscaled, and within what range, is read from
    its MachineDeployment, which carries what was applied.
    """
    uuid: str
    name: str
    status: str
    node_count: int
    deployment_name: str = None
    status_reason: str = None
    node_addresses: tuple = ()

    @property
    def is_control_plane(self):
        return self.deployment_name is None


@dataclasses.dataclass(frozen=True)
class ClusterView:
    """What Magnum knows of the cluster and the operation under way.

    ``create_timeout`` is in minutes as Magnum stores it (None or 0: no
    limit); ``update_timeout`` and ``delete_timeout`` are in seconds.
    ``started_at`` is when the current operation began.
    """
    status: str
    started_at: datetime.datetime
    nodegroups: tuple = ()
    status_reason: str = None
    create_timeout: int = None
    update_timeout: int = None
    delete_timeout: int = None
    api_address: str = None
    coe_version: str = None


@dataclasses.dataclass(frozen=True)
class NodeGroupDecision:
    """New values for one nodegroup; ``changes`` holds only the new ones."""
    uuid: str
    name: str
    status: str
    status_reason: str
    node_count: int
    node_addresses: tuple
    destroy: bool = False
    changes: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class StatusDecision:
    """New values for the cluster; ``changes`` holds only the new ones."""
    status: str
    status_reason: str
    api_address: str
    coe_version: str
    nodegroups: tuple
    cleanup_ready: bool = False
    changes: dict = dataclasses.field(default_factory=dict)

    def nodegroup(self, uuid):
        """The decision for the nodegroup with this uuid."""
        for ng in self.nodegroups:
            if ng.uuid == uuid:
                return ng
        raise KeyError(uuid)


@dataclasses.dataclass(frozen=True)
class Progress:
    """How far one part (control plane, nodegroup) is from done."""
    done: bool
    reason: str = None
    node_count: int = None


# ---------------------------------------------------------------- helpers

def conditions(obj, v1beta2=False):
    """The object's conditions by type (v1beta1, or status.v1beta2)."""
    status = (obj or {}).get('status') or {}
    if v1beta2:
        status = status.get('v1beta2') or {}
    return {c.get('type'): c for c in status.get('conditions') or []
            if isinstance(c, dict)}


def name_of(obj):
    return ((obj or {}).get('metadata') or {}).get('name') or ''


def labels_of(obj):
    return ((obj or {}).get('metadata') or {}).get('labels') or {}


def annotations_of(obj):
    return ((obj or {}).get('metadata') or {}).get('annotations') or {}


def is_deleting(obj):
    return bool(((obj or {}).get('metadata') or {}).get('deletionTimestamp'))


def with_v(version):
    """Kubernetes spells versions with a leading 'v'."""
    if not version:
        return None
    version = str(version)
    return version if version.startswith('v') else 'v' + version


def join_reasons(parts, prefix='', limit=MAX_REASON):
    """Join sorted reason parts into one string of at most ``limit`` chars.

    Whole parts are dropped from the end (and counted) rather than cut in
    the middle, unless even the first one does not fit.
    """
    parts = list(parts)
    if not parts:
        return None
    text = prefix + '; '.join(parts)
    if len(text) <= limit:
        return text
    for keep in range(len(parts) - 1, 0, -1):
        text = '%s%s; and %d more' % (prefix, '; '.join(parts[:keep]),
                                      len(parts) - keep)
        if len(text) <= limit:
            return text
    return _cut(prefix + parts[0], limit)


def _cut(text, limit):
    if len(text) <= limit:
        return text
    cut = text[:limit - 3]
    if ' ' in cut[limit // 2:]:
        cut = cut[:cut.rindex(' ')]
    return cut.rstrip(' ,;:') + '...'


def _generation_observed(obj):
    meta = obj.get('metadata') or {}
    status = obj.get('status') or {}
    generation = meta.get('generation')
    observed = status.get('observedGeneration')
    if generation is None:
        return True
    return observed is not None and int(observed) >= int(generation)


def _false_reason(obj, preferred=('Ready', 'Available')):
    """The reason of the condition that holds the object back, if any."""
    conds = conditions(obj)
    for kind in preferred:
        cond = conds.get(kind)
        if cond and cond.get('status') != 'True' and cond.get('reason'):
            return cond['reason']
    for kind in sorted(k for k in conds if k):
        cond = conds[kind]
        if cond.get('status') == 'False' and cond.get('reason'):
            return cond['reason']
    return None


def aware(moment):
    """A datetime in UTC; naive ones (as databases return them) are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=datetime.timezone.utc)


TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def format_time(moment):
    """A datetime as a Kubernetes timestamp (RFC 3339, UTC)."""
    return aware(moment).astimezone(datetime.timezone.utc).strftime(
        TIME_FORMAT)


def parse_time(value):
    """A Kubernetes timestamp (RFC 3339) as a UTC datetime, or None.

    Fractional seconds and offsets are read too (MicroTime fields).
    """
    if not value:
        return None
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(
            value)).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def _expired(started_at, seconds, now):
    if started_at is None or not seconds:
        return False
    return aware(now) >= aware(started_at) + datetime.timedelta(
        seconds=seconds)


def operation_start(snapshot, view):
    """When the operation that timeouts are measured from began."""
    if view.status == CS.CREATE_IN_PROGRESS:
        return view.started_at
    if view.status == CS.DELETE_IN_PROGRESS:
        objs = ([snapshot.cluster, snapshot.openstack_cluster,
                 snapshot.control_plane] + list(snapshot.machine_deployments)
                + list(snapshot.machines))
        stamps = [parse_time(((o or {}).get('metadata') or {}).get(
            'deletionTimestamp')) for o in objs]
        stamps = [s for s in stamps if s]
        if not stamps:
            return view.started_at
        requested = parse_time(annotations_of(snapshot.cluster).get(
            DELETE_REQUESTED))
        # A delete retried after DELETE_FAILED starts a new clock.
        return max([min(stamps)] + ([requested] if requested else []))
    stamps = [s for s in (snapshot.release_started_at, parse_time(
        annotations_of(snapshot.cluster).get(CHANGE_REQUESTED))) if s]
    return max(stamps) if stamps else view.started_at


def _timeout_seconds(view, status):
    if status == CS.CREATE_IN_PROGRESS:
        return (view.create_timeout or 0) * 60
    if status == CS.DELETE_IN_PROGRESS:
        return view.delete_timeout
    return view.update_timeout


def _duration(seconds):
    if seconds % 60 == 0:
        minutes = seconds // 60
        return '%d minute%s' % (minutes, '' if minutes == 1 else 's')
    return '%d seconds' % seconds


# ------------------------------------------------------------ observations

def failure_fields(obj):
    """(reason, message) of a failure recorded on obj, or None.

    ``status.failureReason`` and ``status.failureMessage`` are where CAPO
    and CAPI record a failure no controller will retry: CAPO sets them on
    an OpenStackCluster only for a fatal error (a resource filter matching
    none or several resources, a load balancer it cannot adopt), and on an
    OpenStackMachine when its server went to ERROR before it had a Node or
    was deleted behind CAPO's back; CAPO then stops reconciling that
    OpenStackMachine. CAPI copies an infrastructure Machine's fields to its
    Machine. Objects read at v1beta2 keep them under
    ``status.deprecated.v1beta1``.
    """
    found = (obj or {}).get('status') or {}
    deprecated = ((found.get('deprecated') or {}).get('v1beta1')) or {}
    for where in (found, deprecated):
        reason = where.get('failureReason')
        message = where.get('failureMessage')
        if reason or message:
            return reason, message
    return None


def _failure_text(fields_):
    reason, message = fields_
    return str(message or reason)


def infrastructure_failure(snapshot):
    """The OpenStackCluster's terminal failure, in the user's terms.

    Read from the OpenStackCluster itself rather than the copy CAPI keeps
    on the Cluster: CAPO clears its own fields once a later reconcile
    succeeds, while CAPI never clears the copy.
    """
    found = failure_fields(snapshot.openstack_cluster)
    if found is None:
        return None
    return 'OpenStack network or load balancer failed: %s' % _failure_text(
        found)


def infrastructure_problem(snapshot):
    """A failed attempt CAPO retries on the OpenStackCluster, or None.

    A False condition with severity Warning or Error (see
    RETRIED_SEVERITIES) and no failure fields: shown to the user, but the
    operation only fails when its timeout passes.
    """
    osc = snapshot.openstack_cluster
    if not osc or failure_fields(osc) is not None:
        return None
    conds = conditions(osc)
    order = ['Ready'] + sorted(k for k in conds if k and k != 'Ready')
    for kind in order:
        cond = conds.get(kind) or {}
        if (cond.get('status') == 'False'
                and cond.get('severity') in RETRIED_SEVERITIES):
            return 'OpenStack network or load balancer, retrying: %s' % (
                cond.get('message') or cond.get('reason') or kind)
    return None


def machine_failures(machines):
    """'machine <name> failed: ...' for each live Machine that failed.

    A Machine being deleted is left out: its failure is being dealt with
    (a MachineHealthCheck remediating it, or a scale down).
    """
    return ['machine %s failed: %s' % (name_of(m), _failure_text(found))
            for m in sorted(machines, key=name_of)
            if not is_deleting(m)
            for found in [failure_fields(m)] if found is not None]


def machine_problem(machines):
    """The first failed attempt CAPO retries on a live Machine, or None.

    CAPI mirrors the OpenStackMachine's Ready condition (reason, message,
    severity) into the Machine's InfrastructureReady condition.
    """
    for machine in sorted(machines, key=name_of):
        if is_deleting(machine) or failure_fields(machine) is not None:
            continue
        cond = conditions(machine).get('InfrastructureReady') or {}
        if (cond.get('status') == 'False'
                and cond.get('severity') in RETRIED_SEVERITIES):
            return 'machine %s, retrying: %s' % (
                name_of(machine), cond.get('message') or cond.get('reason'))
    return None


def api_address(snapshot):
    """``https://host:port`` from the Cluster's controlPlaneEndpoint."""
    endpoint = ((snapshot.cluster or {}).get('spec') or {}).get(
        'controlPlaneEndpoint') or {}
    host, port = endpoint.get('host'), endpoint.get('port')
    if not host or not port:
        return None
    try:
        if ipaddress.ip_address(host).version == 6:
            host = '[%s]' % host
    except ValueError:
        pass
    return 'https://%s:%s' % (host, port)


def coe_version(snapshot):
    """The control plane's Kubernetes version, as Kubernetes spells it."""
    kcp = snapshot.control_plane or {}
    return with_v((kcp.get('status') or {}).get('version')
                  or (kcp.get('spec') or {}).get('version'))


def machine_address(machine):
    """The Machine's InternalIP, else its ExternalIP, else None."""
    addresses = (machine.get('status') or {}).get('addresses') or []
    for kind in ('InternalIP', 'ExternalIP'):
        for address in addresses:
            if address.get('type') == kind and address.get('address'):
                return address['address']
    return None


def addresses(machines):
    """Addresses of the live machines, in machine name order."""
    found = (machine_address(m) for m in sorted(machines, key=name_of)
             if not is_deleting(m))
    return tuple(a for a in found if a)


def control_plane_machines(snapshot):
    return [m for m in snapshot.machines
            if CONTROL_PLANE_LABEL in labels_of(m)]


def deployment_machines(snapshot, deployment_name=None):
    return [m for m in snapshot.machines
            if DEPLOYMENT_LABEL in labels_of(m)
            and (deployment_name is None
                 or labels_of(m)[DEPLOYMENT_LABEL] == deployment_name)]


def deployment(snapshot, name):
    for md in snapshot.machine_deployments:
        if name_of(md) == name:
            return md
    return None


def cluster_blockers(snapshot):
    """What keeps the Cluster object itself from being provisioned."""
    cluster = snapshot.cluster
    if cluster is None:
        if snapshot.release_exists is False:
            return ['Helm release not installed yet']
        return ['Cluster object not created yet']
    problems = []
    phase = (cluster.get('status') or {}).get('phase')
    if phase != 'Provisioned':
        problems.append('phase %s' % (phase or 'unknown'))
    conds = conditions(cluster)
    for kind in ('InfrastructureReady', 'ControlPlaneReady'):
        cond = conds.get(kind) or {}
        if cond.get('status') != 'True':
            problems.append('%s %s%s' % (
                kind, cond.get('status') or 'unknown',
                ' (%s)' % cond['reason'] if cond.get('reason') else ''))
    if not api_address(snapshot):
        problems.append('no API endpoint')
    if problems:
        return ['Cluster: ' + ', '.join(problems)]
    return []


def _explained(problem, obj, machines):
    """problem, with the object's False condition and its machines' first
    failure or problem; read only for what is not done."""
    detail = _false_reason(obj)
    if detail:
        problem += ' (%s)' % detail
    note = (machine_failures(machines) or [machine_problem(machines)])[0]
    if note:
        problem += ', ' + note
    return problem


def control_plane_progress(snapshot, expected_count=None):
    """Whether the KubeadmControlPlane is done, and if not why."""
    kcp = snapshot.control_plane
    if kcp is None:
        return Progress(False, 'control plane: KubeadmControlPlane not '
                               'created yet')
    status = kcp.get('status') or {}
    # The API server defaults a KubeadmControlPlane to one replica.
    found = replicas.counts(kcp, default=1)
    if expected_count is None:
        expected_count = found.wanted
    spec_version = with_v((kcp.get('spec') or {}).get('version'))
    problem = None
    if is_deleting(kcp):
        problem = 'being deleted'
    elif not _generation_observed(kcp):
        problem = 'change not yet observed by its controller'
    elif found.wanted != expected_count:
        problem = 'waiting for %d machines (spec has %d)' % (
            expected_count, found.wanted)
    else:
        problem = replicas.unsettled(found, 'machines')
    if problem is None:
        if not status.get('initialized'):
            problem = 'not initialized'
        elif with_v(status.get('version')) != spec_version:
            problem = 'running %s, not %s' % (with_v(status.get('version')),
                                              spec_version)
    if problem is None:
        return Progress(True)
    return Progress(False, 'control plane: ' + _explained(
        problem, kcp, control_plane_machines(snapshot)))


def deployment_progress(snapshot, ng):
    """Whether the nodegroup's MachineDeployment is done, and if not why.

    Phase is ignored on purpose: since CAPI v1.11 ``Running`` only says
    the machine count matches. For an autoscaled group ``node_count`` is
    the count the autoscaler chose.
    """
    label = "nodegroup '%s' (MachineDeployment %s): " % (
        ng.name, ng.deployment_name)
    md = deployment(snapshot, ng.deployment_name)
    if md is None:
        return Progress(False, label + 'not created yet')
    found = replicas.counts(md)
    observed = found.wanted if found.autoscaled else None
    if is_deleting(md):
        problem = 'being deleted'
    elif not _generation_observed(md):
        problem = 'change not yet observed by its controller'
    elif (not found.autoscaled and found.wanted is not None
            and found.wanted != ng.node_count):
        problem = 'waiting for %d replicas (spec has %d)' % (
            ng.node_count, found.wanted)
    else:
        problem = replicas.unsettled(found, 'replicas')
    if problem is None:
        return Progress(True, node_count=observed)
    return Progress(False, label + _explained(
        problem, md, deployment_machines(snapshot, ng.deployment_name)),
        node_count=observed)


def group_progress(snapshot, ng):
    """Progress of a nodegroup, whichever object serves it."""
    if ng.is_control_plane:
        return control_plane_progress(snapshot, ng.node_count)
    return deployment_progress(snapshot, ng)


def group_leftovers(snapshot, ng):
    """What still exists of a nodegroup being deleted."""
    left = []
    md = deployment(snapshot, ng.deployment_name)
    if md is not None:
        left.append('MachineDeployment %s' % ng.deployment_name)
    machines = deployment_machines(snapshot, ng.deployment_name)
    if machines:
        left.append(_plural(len(machines), 'Machine'))
    return left


def cluster_leftovers(snapshot):
    """What still exists of a cluster being deleted, for the reason."""
    left = []
    if snapshot.release_exists:
        left.append('Helm release')
    if snapshot.cluster is not None:
        phase = (snapshot.cluster.get('status') or {}).get('phase')
        left.append('Cluster (%s)' % phase if phase else 'Cluster')
    if snapshot.openstack_cluster is not None:
        left.append('OpenStackCluster')
    if snapshot.control_plane is not None:
        left.append('KubeadmControlPlane')
    if snapshot.machine_deployments:
        left.append(_plural(len(snapshot.machine_deployments),
                            'MachineDeployment'))
    if snapshot.machines:
        left.append(_plural(len(snapshot.machines), 'Machine'))
    return left


def _plural(count, noun):
    return '%d %s%s' % (count, noun, '' if count == 1 else 's')


# ---------------------------------------------------------------- decide

def decide(snapshot, view, now):
    """The statuses, reasons and addresses Magnum should record now."""
    view = dataclasses.replace(view,
                               started_at=operation_start(snapshot, view))
    if snapshot.observed_at is not None:
        now = min(aware(now), aware(snapshot.observed_at))
    if view.status == CS.DELETE_IN_PROGRESS:
        return _decide_delete(snapshot, view, now)
    return _decide_running(snapshot, view, now)


def _decide_delete(snapshot, view, now):
    left = cluster_leftovers(snapshot)
    gone = (snapshot.cluster is None and snapshot.openstack_cluster is None
            and not snapshot.release_exists)
    # A delete fails only by its timeout: CAPO retries every error it
    # meets while deleting (none of them sets the failure fields).
    error = (infrastructure_failure(snapshot)
             or infrastructure_problem(snapshot))
    seconds = view.delete_timeout
    if gone:
        status, reason = CS.DELETE_COMPLETE, None
    elif _expired(view.started_at, seconds, now):
        status = CS.DELETE_FAILED
        reason = join_reasons(
            ([error] if error else []) + ['still present: ' + ', '.join(
                left)],
            'Deletion timed out after %s: ' % _duration(seconds))
    else:
        status = CS.DELETE_IN_PROGRESS
        reason = join_reasons(
            ([error] if error else []) + ['still present: ' + ', '.join(
                left)], 'Deleting: ')
    groups = tuple(_unchanged_group(ng) for ng in view.nodegroups)
    return _finish(view, status, reason, groups, cleanup_ready=gone,
                   observed=False, snapshot=snapshot)


def _unchanged_group(ng):
    return NodeGroupDecision(ng.uuid, ng.name, ng.status, ng.status_reason,
                             ng.node_count, tuple(ng.node_addresses))


def group_failures(snapshot, ng):
    """Terminal failures of the machines that serve a nodegroup."""
    return machine_failures(
        control_plane_machines(snapshot) if ng.is_control_plane
        else deployment_machines(snapshot, ng.deployment_name))


def _decide_group(snapshot, ng, view, now, error, pending):
    """One nodegroup's decision and its progress.

    Only a nodegroup whose status is in progress changes status. One left
    in progress by a cluster operation that already failed fails too, and
    so does one that is not done while a terminal failure (``error`` for
    the whole cluster, or one of its own machines) stands: nothing will
    retry it. Anything CAPO retries only shows in the reason until the
    timeout.
    """
    if ng.status == CS.DELETE_IN_PROGRESS and not ng.is_control_plane:
        return _decide_group_delete(snapshot, ng, view, now, error)
    progress = group_progress(snapshot, ng)
    failure = error or join_reasons(group_failures(snapshot, ng))
    status, reason = ng.status, ng.status_reason
    node_count = ng.node_count
    if progress.node_count is not None:
        node_count = progress.node_count
    if ng.status in OUTCOMES:
        complete, failed = OUTCOMES[ng.status]
        seconds = _timeout_seconds(view, (
            CS.CREATE_IN_PROGRESS if view.status == CS.CREATE_IN_PROGRESS
            else CS.UPDATE_IN_PROGRESS))
        waiting = progress.reason or 'Helm release operation pending'
        if progress.done and not pending:
            status, reason = complete, None
        elif failure:
            status, reason = failed, _cut(failure, MAX_REASON)
        elif view.status in CS.STATUS_FAILED:
            status = failed
            reason = join_reasons([waiting], 'Cluster operation failed: ')
        elif _expired(view.started_at, seconds, now):
            status = failed
            reason = join_reasons([waiting], 'Timed out after %s: ' %
                                  _duration(seconds))
        else:
            reason = _cut(waiting, MAX_REASON)
    node_addresses = tuple(ng.node_addresses)
    if snapshot.cluster is not None:
        node_addresses = addresses(
            control_plane_machines(snapshot) if ng.is_control_plane
            else deployment_machines(snapshot, ng.deployment_name))
    decision = NodeGroupDecision(ng.uuid, ng.name, status, reason,
                                 node_count, node_addresses)
    return decision, progress


def _decide_group_delete(snapshot, ng, view, now, error):
    left = group_leftovers(snapshot, ng)
    seconds = view.delete_timeout
    status, reason, destroy = ng.status, ng.status_reason, False
    if not left:
        destroy, reason = True, None
    elif (_expired(view.started_at, seconds, now)
            or view.status in CS.STATUS_FAILED):
        status = CS.DELETE_FAILED
        reason = join_reasons(
            ([error] if error else []) + ['still present: ' + ', '.join(
                left)],
            'Deletion timed out after %s: ' % _duration(seconds)
            if seconds else 'Deletion failed: ')
    else:
        reason = join_reasons(['still present: ' + ', '.join(left)],
                              'Deleting: ')
    decision = NodeGroupDecision(ng.uuid, ng.name, status, reason,
                                 ng.node_count, tuple(ng.node_addresses),
                                 destroy=destroy)
    label = "nodegroup '%s' (MachineDeployment %s): " % (
        ng.name, ng.deployment_name)
    return decision, Progress(destroy, None if destroy else label + reason)


def _decide_running(snapshot, view, now):
    """Create, update or a settled cluster.

    A terminal failure (see ``failure_fields``) fails the operation at
    once; a part that is not done because of one of its machines' terminal
    failures fails it too, even when that part's own status is settled.
    """
    error = infrastructure_failure(snapshot)
    retrying = infrastructure_problem(snapshot)
    pending = snapshot.release_pending
    by_uuid = {ng.uuid: ng for ng in view.nodegroups}
    groups, blockers, failures = [], [], []
    if not any(ng.is_control_plane for ng in view.nodegroups):
        progress = control_plane_progress(snapshot)
        if not progress.done:
            if machine_failures(control_plane_machines(snapshot)):
                failures.append(progress.reason)
            else:
                blockers.append(progress.reason)
    for ng in sorted(view.nodegroups, key=lambda n: (n.name, n.uuid)):
        decision, progress = _decide_group(snapshot, ng, view, now, error,
                                           pending)
        groups.append(decision)
        if (decision.status in CS.STATUS_FAILED
                and by_uuid[ng.uuid].status in OUTCOMES):
            failures.append(progress.reason or "nodegroup '%s': %s" % (
                ng.name, decision.status_reason))
        elif decision.status not in CS.STATUS_FAILED and not progress.done:
            if group_failures(snapshot, ng):
                failures.append(progress.reason)
            else:
                blockers.append(progress.reason)
    # What CAPO is retrying comes first: it is why the rest waits.
    first = [retrying] if retrying else []
    blockers = cluster_blockers(snapshot) + sorted(set(blockers))
    if pending:
        blockers.append('Helm release operation pending')
    groups_busy = any(g.status in OUTCOMES and not g.destroy for g in groups)

    if view.status in OUTCOMES:
        complete, failed = OUTCOMES[view.status]
        seconds = _timeout_seconds(view, view.status)
        if error:
            status, reason = failed, _cut(error, MAX_REASON)
        elif not (first or blockers or groups_busy or failures):
            status, reason = complete, None
        elif _expired(view.started_at, seconds, now):
            status = failed
            reason = join_reasons(
                first + sorted(set(blockers + failures)) or _busy(groups),
                'Timed out after %s waiting for: ' % _duration(seconds))
        elif failures:
            status = failed
            reason = join_reasons(sorted(failures), 'Nodegroup failed: ')
        else:
            status = view.status
            reason = join_reasons(first + blockers or _busy(groups),
                                  'Waiting for: ')
    elif groups_busy:
        status = CS.UPDATE_IN_PROGRESS
        reason = join_reasons(_busy(groups), 'Waiting for: ')
    else:
        status, reason = view.status, view.status_reason
    return _finish(view, status, reason, tuple(groups), cleanup_ready=False,
                   observed=True, snapshot=snapshot)


def _busy(groups):
    return sorted("nodegroup '%s': %s" % (g.name, g.status_reason or
                                          g.status)
                  for g in groups if g.status in OUTCOMES)


def _group_changes(view_ng, decision):
    changes = {}
    for field, new, old in (
            ('status', decision.status, view_ng.status),
            ('status_reason', decision.status_reason, view_ng.status_reason),
            ('node_count', decision.node_count, view_ng.node_count),
            ('node_addresses', list(decision.node_addresses),
             list(view_ng.node_addresses))):
        if new != old:
            changes[field] = new
    return dataclasses.replace(decision, changes=changes)


def _finish(view, status, reason, groups, cleanup_ready, observed,
            snapshot):
    """Fill in observed fields and compute what differs from the view."""
    by_uuid = {ng.uuid: ng for ng in view.nodegroups}
    groups = tuple(_group_changes(by_uuid[g.uuid], g) for g in groups)
    values = dict(api_address=view.api_address,
                  coe_version=view.coe_version)
    if observed:
        values['api_address'] = api_address(snapshot) or view.api_address
        values['coe_version'] = coe_version(snapshot) or view.coe_version
    changes = {}
    if status != view.status:
        changes['status'] = status
    if reason != view.status_reason:
        changes['status_reason'] = reason
    for field in ('api_address', 'coe_version'):
        if values[field] != getattr(view, field):
            changes[field] = values[field]
    return StatusDecision(status=status, status_reason=reason,
                          nodegroups=groups, cleanup_ready=cleanup_ready,
                          changes=changes, **values)


# --------------------------------------------------------------- adapters

def view_of(cluster, nodegroups, timeouts, deployment_names):
    """A ClusterView of Magnum's cluster and its nodegroups.

    A nodegroup is anything with a NodeGroup's uuid, name, role, status,
    status_reason, node_count and node_addresses (the poll passes
    ``nodegroup_rows.Row``).

    ``timeouts`` maps 'create', 'update' and 'delete' to seconds;
    ``deployment_names`` maps nodegroup uuids to the MachineDeployment
    rendered for them (masters need no entry).
    """
    in_create = cluster.status == CS.CREATE_IN_PROGRESS
    started = aware(cluster.created_at if in_create or not
                    cluster.updated_at else cluster.updated_at)
    groups = tuple(NodeGroupView(
        uuid=ng.uuid, name=ng.name, status=ng.status,
        node_count=ng.node_count,
        deployment_name=(None if ng.role == 'master'
                         else deployment_names.get(ng.uuid)),
        status_reason=ng.status_reason,
        node_addresses=tuple(ng.node_addresses or ()))
        for ng in nodegroups)
    create = timeouts.get('create')
    return ClusterView(
        status=cluster.status, started_at=started, nodegroups=groups,
        status_reason=cluster.status_reason,
        create_timeout=create / 60.0 if create else None,
        update_timeout=timeouts.get('update'),
        delete_timeout=timeouts.get('delete'),
        api_address=cluster.api_address,
        coe_version=cluster.coe_version)


def record(decision, cluster, load):
    """Write a decision to Magnum's objects, saving only what changed.

    ``load(uuid)`` gives a nodegroup's object (None once it is gone), so
    only the nodegroups that change are loaded. Nodegroups go first, so a
    cluster is never saved as complete while a nodegroup row still says it
    is in progress.
    """
    for found in decision.nodegroups:
        if not (found.destroy or found.changes):
            continue
        ng = load(found.uuid)
        if ng is None:
            continue
        if found.destroy:
            ng.destroy()
            continue
        for field, value in found.changes.items():
            setattr(ng, field, value)
        ng.save()
    if decision.changes:
        for field, value in decision.changes.items():
            setattr(cluster, field, value)
        cluster.save()
