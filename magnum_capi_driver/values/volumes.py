"""Root volumes, shared by the control plane and the node groups."""


def root_volume(volume):
    """machineRootVolume, or nothing for the flavor's ephemeral disk."""
    if not volume.size_gb:
        return {}
    result = {'diskSize': volume.size_gb}
    if volume.volume_type:
        result['volumeType'] = volume.volume_type
    return {'machineRootVolume': result}
