"""Worker node groups: one chart group per Magnum nodegroup."""

from magnum_capi_driver.values import autoscaling
from magnum_capi_driver.values import volumes


def _group(group):
    result = {
        'name': group.name,
        'machineFlavor': group.flavor.name,
        'machineImageId': group.image_id,
        'kubernetesVersion': group.kubernetes_version,
    }
    result.update(autoscaling.group_values(group))
    result.update(volumes.root_volume(group.root_volume))
    if group.availability_zone:
        result['failureDomain'] = group.availability_zone
    if group.node_labels:
        result['nodeLabels'] = dict(group.node_labels)
    if group.taints:
        taints = []
        for taint in group.taints:
            item = {'key': taint.key, 'effect': taint.effect}
            if taint.value is not None:
                item['value'] = taint.value
            taints.append(item)
        result['kubeadmConfigSpec'] = {'joinConfiguration': {
            'nodeRegistration': {'taints': taints}}}
    return result


def values(spec):
    """nodeGroups (the whole list) and the settings shared by all groups."""
    defaults = {'healthCheck': {'enabled': spec.auto_healing}}
    if spec.network.extra_network_ids:
        # The empty first port keeps the node on the cluster network.
        ports = [{}] + [{'network': {'id': network_id},
                         'securityGroups': []}
                        for network_id in spec.network.extra_network_ids]
        defaults['machineNetworking'] = {'ports': ports}
    return {'nodeGroupDefaults': defaults,
            'nodeGroups': [_group(group) for group in spec.node_groups]}
