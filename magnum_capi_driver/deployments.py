"""Metadata the driver keeps on MachineDeployments, beside Helm.

The chart has no value for some MachineDeployment metadata the features
need (the autoscaler's capacity annotations, users' machine labels and
annotations), nor for the start count of a new autoscaled group. After each
successful helm apply the driver server-side applies that metadata with its
own field manager: Helm 3 patches only what its manifests change and Helm 4
applies only the fields it renders, so neither touches these fields, and an
apply that leaves a field out removes it (autoscaling switched off, a label
removed). The decision is a pure function of the spec (``desired``); the
hook ``after_apply`` only reads and writes.
"""

from oslo_log import log as logging

from magnum_capi_driver import exceptions
from magnum_capi_driver import features
from magnum_capi_driver import names

LOG = logging.getLogger(__name__)
FIELD_MANAGER = 'magnum-capi-driver'
API_VERSION = 'cluster.x-k8s.io/v1beta1'


class _Every(object):
    """Contains every nodegroup: all groups of a new cluster are new."""

    def __contains__(self, uuid):
        return True


ALL = _Every()


def _config(name, metadata):
    """The apply configuration of one MachineDeployment's metadata."""
    config = {'apiVersion': API_VERSION, 'kind': 'MachineDeployment',
              'metadata': {'name': name}}
    annotations = dict(metadata.annotations)
    annotations.update(metadata.machine_annotations)
    labels = dict(metadata.machine_labels)
    if annotations:
        config['metadata']['annotations'] = annotations
    if labels:
        config['metadata']['labels'] = labels
    template = {}
    if metadata.machine_annotations:
        template['annotations'] = dict(metadata.machine_annotations)
    if labels:
        template['labels'] = labels
    if template:
        config['spec'] = {'template': {'metadata': template}}
    return config


def desired(cluster_spec, registry):
    """{MachineDeployment name: apply configuration} for every group."""
    return {
        names.machine_deployment_name(cluster_spec.release, group.name):
        _config(names.machine_deployment_name(cluster_spec.release,
                                              group.name),
                registry.metadata(cluster_spec, group))
        for group in cluster_spec.node_groups}


def start_counts(cluster_spec, registry, created):
    """{MachineDeployment name: replicas} for groups just created."""
    result = {}
    for group in cluster_spec.node_groups:
        if group.uuid not in created:
            continue
        count = registry.initial_replicas(cluster_spec, group)
        if count is not None:
            result[names.machine_deployment_name(
                cluster_spec.release, group.name)] = count
    return result


def _applied_before(live):
    return any(entry.get('manager') == FIELD_MANAGER
               and entry.get('operation') == 'Apply'
               for entry in (live.get('metadata') or {}).get(
                   'managedFields') or [])


def _empty(config):
    return set(config) == {'apiVersion', 'kind', 'metadata'} and \
        set(config['metadata']) == {'name'}


def after_apply(kube, namespace, cluster_spec, created=()):
    """Bring the driver's MachineDeployment fields in line with the spec.

    Called after each successful helm apply. ``created`` holds the uuids of
    nodegroups that apply created (``ALL`` for a new cluster): those start
    at their features' start count. A failure here is logged, not raised:
    the release is applied, and the next apply retries.
    """
    registry = features.load()
    try:
        for name, config in desired(cluster_spec, registry).items():
            live = kube.get('MachineDeployment', namespace, name)
            if live is None or (_empty(config) and not _applied_before(live)):
                continue
            kube.apply('MachineDeployment', namespace, name, config,
                       FIELD_MANAGER)
        for name, count in start_counts(cluster_spec, registry,
                                        created).items():
            kube.merge_patch('MachineDeployment', namespace, name,
                             {'spec': {'replicas': count}}, FIELD_MANAGER)
    except exceptions.ManagementClusterError as exc:
        LOG.warning('MachineDeployment metadata of release %s not updated '
                    '(retried at the next change): %s',
                    cluster_spec.release, exc)
