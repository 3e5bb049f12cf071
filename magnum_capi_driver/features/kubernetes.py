"""The core feature: version, image, flavors, control plane, node groups.

Every cluster has these, and the other features build on them, so
``spec.build_cluster_spec`` decides this feature's part itself (the core
fields of ClusterSpec and NodeGroupSpec); the module declares the labels
and writes the values.
"""

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label


def root_volume(volume):
    """machineRootVolume, or nothing for the flavor's ephemeral disk."""
    if not volume.size_gb:
        return {}
    result = {'diskSize': volume.size_gb}
    if volume.volume_type:
        result['volumeType'] = volume.volume_type
    return {'machineRootVolume': result}


class Kubernetes(features.Feature):
    labels = (
        Label('kube_tag', kinds.VERSION, None,
              'Kubernetes version. Without it the image property '
              'kube_version is used; one of the two is required. On a '
              'nodegroup it sets that group\'s version (within the '
              'supported skew).', kinds.ALL_SCOPES, follows_template=True),
        Label('capi_helm_chart_version', kinds.CHART_VERSION, None,
              'Version of the openstack-cluster chart for clusters of this '
              'template. Read from the template only.', (kinds.TEMPLATE,)),
        Label('availability_zone', kinds.ZONE, None,
              'Nova availability zone of the machines (the control plane '
              'and every nodegroup without its own). Sent by Horizon.',
              kinds.ALL_SCOPES),
        Label('boot_volume_size', kinds.SIZE_GB, None,
              'Root volume size in GB; 0 or unset means the nodegroup\'s '
              'docker_volume_size, else the flavor\'s ephemeral disk.',
              kinds.ALL_SCOPES),
        Label('boot_volume_type', kinds.VOLUME_TYPE, None,
              'Cinder volume type of root volumes.', kinds.ALL_SCOPES),
    )
    owns = ('kubernetesVersion', 'machineImageId', 'osDistro',
            'cloudCredentialsSecretName', 'machineSSHKeyName',
            'controlPlane.machineFlavor', 'controlPlane.machineCount',
            'controlPlane.machineRootVolume',
            'controlPlane.omitFailureDomain', 'controlPlane.failureDomains',
            'nodeGroups[].name', 'nodeGroups[].machineFlavor',
            'nodeGroups[].machineImageId', 'nodeGroups[].kubernetesVersion',
            'nodeGroups[].machineRootVolume', 'nodeGroups[].failureDomain',
            'nodeGroups[].nodeLabels', 'nodeGroups[].kubeadmConfigSpec')

    def values(self, spec):
        result = {
            'kubernetesVersion': spec.kubernetes_version,
            'machineImageId': spec.image_id,
            'osDistro': spec.os_distro,
            'cloudCredentialsSecretName': spec.credentials_secret,
        }
        if spec.keypair:
            result['machineSSHKeyName'] = spec.keypair
        plane = spec.control_plane
        control = {'machineFlavor': plane.flavor.name,
                   'machineCount': plane.count}
        control.update(root_volume(plane.root_volume))
        if plane.availability_zone:
            control['omitFailureDomain'] = False
            control['failureDomains'] = [plane.availability_zone]
        result['controlPlane'] = control
        return result

    def group_values(self, spec, group):
        result = {
            'name': group.name,
            'machineFlavor': group.flavor.name,
            'machineImageId': group.image_id,
            'kubernetesVersion': group.kubernetes_version,
        }
        result.update(root_volume(group.root_volume))
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
