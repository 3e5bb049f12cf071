"""Machine counts of a node group, and autoscaler capacity for scale-up.

Counts live on each group, never in nodeGroupDefaults: the chart merges
defaults over groups, so a default would override ``autoscale: false`` or
``machineCount: 0``.
"""

CAPACITY_PREFIX = 'capacity.cluster-autoscaler.kubernetes.io/'


def group_values(group):
    """autoscale with its bounds, or a fixed machineCount (0 allowed)."""
    if group.autoscale:
        return {'autoscale': True, 'machineCountMin': group.min_count,
                'machineCountMax': group.max_count}
    return {'autoscale': False, 'machineCount': group.node_count}


def capacity_annotations(group):
    """Annotations that let the autoscaler scale the group up from zero.

    The chart cannot set them, so the driver puts them on the group's
    MachineDeployment; memory and disk carry units.
    """
    if not group.autoscale or group.min_count:
        return {}
    result = {CAPACITY_PREFIX + 'cpu': str(group.flavor.vcpus),
              CAPACITY_PREFIX + 'memory': '%dM' % group.flavor.ram_mb}
    disk = group.root_volume.size_gb or group.flavor.disk_gb
    if disk:
        result[CAPACITY_PREFIX + 'ephemeral-disk'] = '%dG' % disk
    if group.node_labels:
        result[CAPACITY_PREFIX + 'labels'] = ','.join(
            '%s=%s' % pair for pair in group.node_labels)
    if group.taints:
        result[CAPACITY_PREFIX + 'taints'] = ','.join(
            '%s=%s:%s' % (t.key, t.value or '', t.effect)
            for t in group.taints)
    return result
