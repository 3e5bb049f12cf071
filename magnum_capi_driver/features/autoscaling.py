"""Autoscaling: machine counts of a node group and its scale bounds.

Counts live on each group, never in nodeGroupDefaults: the chart merges
defaults over groups, so a default would override ``autoscale: false`` or
``machineCount: 0``.
"""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label

invalid = kinds.invalid
CAPACITY_PREFIX = 'capacity.cluster-autoscaler.kubernetes.io/'
# The node label the chart gives every node of a group.
CHART_NODE_GROUP_LABEL = 'capi.stackhpc.com/node-group'
# The resource name GPUs of Nova flavors appear under on the nodes.
GPU_TYPE = 'nvidia.com/gpu'


@dataclasses.dataclass(frozen=True)
class Scaling:
    autoscale: bool
    min_count: int
    max_count: int
    #: machines a new autoscaled group starts with: node_count clamped
    initial_count: int = None


def _count(field, value):
    return kinds.COUNT.parse(field, value)


def bound(stored, magnum_default, labels, name):
    """A scale bound: the first of these that is set wins.

    1. the nodegroup's field, unless it holds Magnum's stored default
       (min_node_count 0, max_node_count unset), which Magnum writes on
       every nodegroup whether the user gave it or not;
    2. the label on the nodegroup itself;
    3. the label inherited from the cluster, the template, the site;
    4. Magnum's default.
    """
    if stored not in (None, '') and stored != magnum_default:
        return stored
    own = labels.given_on(name, kinds.NODEGROUP)
    if own is not None:
        return own
    inherited = labels[name]
    return stored if inherited is None else inherited


def scaling(nodegroup, labels, count, where):
    """(autoscale, min, max), checked against each other and the count."""
    minimum = bound(getattr(nodegroup, 'min_node_count', None), 0, labels,
                    'min_node_count')
    minimum = _count('min_node_count of %s' % where, minimum or 0)
    maximum = bound(getattr(nodegroup, 'max_node_count', None), None, labels,
                    'max_node_count')
    maximum = count if maximum is None else _count(
        'max_node_count of %s' % where, maximum)
    autoscale = labels['auto_scaling_enabled']
    if maximum < minimum:
        raise invalid('max_node_count of %s' % where, maximum,
                      'a number not below min_node_count %d' % minimum)
    if autoscale and maximum == 0:
        raise invalid('max_node_count of %s' % where, maximum,
                      'at least 1 when autoscaling')
    return Scaling(autoscale=autoscale and minimum < maximum,
                   min_count=minimum, max_count=maximum,
                   initial_count=min(max(count, minimum), maximum))


def gpus(flavor):
    """(count, type) of the GPUs a flavor's extra specs give, or (0, None).

    Counted from PCI passthrough aliases (``alias:count[,alias:count]``)
    and ``resources:VGPU``.
    """
    count = 0
    for key, value in flavor.extra_specs:
        if key == 'pci_passthrough:alias':
            for item in value.split(','):
                name, _, number = item.strip().partition(':')
                if name:
                    count += int(number) if number.isdigit() else 1
        elif key in ('resources:VGPU', 'resources:PGPU') and \
                value.isdigit():
            count += int(value)
    return (count, GPU_TYPE) if count else (0, None)


def capacity_annotations(group, chart_labels=()):
    """Annotations that let the autoscaler scale the group up from zero.

    The chart cannot set them, so the driver puts them on the group's
    MachineDeployment; memory and disk carry units. ``chart_labels`` are
    the node labels the chart adds to the group's own.
    """
    if not group.scaling.autoscale or group.scaling.min_count:
        return {}
    result = {CAPACITY_PREFIX + 'cpu': str(group.flavor.vcpus),
              CAPACITY_PREFIX + 'memory': '%dM' % group.flavor.ram_mb}
    disk = group.root_volume.size_gb or group.flavor.disk_gb
    if disk:
        result[CAPACITY_PREFIX + 'ephemeral-disk'] = '%dG' % disk
    count, kind = gpus(group.flavor)
    if count:
        result[CAPACITY_PREFIX + 'gpu-count'] = str(count)
        result[CAPACITY_PREFIX + 'gpu-type'] = kind
    labels = dict(group.node_labels, **dict(chart_labels))
    if labels:
        result[CAPACITY_PREFIX + 'labels'] = ','.join(
            '%s=%s' % pair for pair in sorted(labels.items()))
    if group.taints:
        result[CAPACITY_PREFIX + 'taints'] = ','.join(
            '%s=%s:%s' % (t.key, t.value or '', t.effect)
            for t in group.taints)
    return result


class Autoscaling(features.Feature):
    part = 'scaling'
    labels = (
        Label('auto_scaling_enabled', kinds.BOOL, False,
              'Run the cluster autoscaler; a nodegroup scales between its '
              'min_node_count and max_node_count.', kinds.ALL_SCOPES),
        Label('min_node_count', kinds.COUNT, None,
              'Autoscaling minimum; 0 allows scale to zero. A nodegroup\'s '
              'min_node_count field wins when it is not 0 (Magnum stores 0 '
              'on every nodegroup), then this label on the nodegroup, then '
              'on the cluster, the template, the site.', kinds.ALL_SCOPES),
        Label('max_node_count', kinds.COUNT, None,
              'Autoscaling maximum; unset means the node count. A '
              'nodegroup\'s max_node_count field wins when set, then this '
              'label on the nodegroup, then on the cluster, the template, '
              'the site.', kinds.ALL_SCOPES),
    )
    owns = ('nodeGroups[].autoscale', 'nodeGroups[].machineCount',
            'nodeGroups[].machineCountMin', 'nodeGroups[].machineCountMax')

    def group_spec(self, ctx, group):
        return scaling(group.nodegroup, group.labels, group.node_count,
                       group.where)

    def group_metadata(self, spec, group):
        """Capacity annotations while the group may be at zero machines."""
        return features.Metadata(annotations=tuple(sorted(
            capacity_annotations(group, (
                (CHART_NODE_GROUP_LABEL, group.name),)).items())))

    def initial_replicas(self, spec, group):
        """Machines a new autoscaled group starts with (None: the chart's)."""
        if group.scaling.autoscale:
            return group.scaling.initial_count
        return None

    def group_values(self, spec, group):
        """autoscale with its bounds, or a fixed machineCount (0 allowed)."""
        bounds = group.scaling
        if bounds.autoscale:
            return {'autoscale': True, 'machineCountMin': bounds.min_count,
                    'machineCountMax': bounds.max_count}
        return {'autoscale': False, 'machineCount': group.node_count}
