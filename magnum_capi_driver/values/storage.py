"""Storage: the etcd disk and the Cinder CSI default storage class."""


def _etcd(etcd):
    if not etcd.size_gb:
        return {}
    device = {'size': etcd.size_gb, 'type': etcd.kind}
    if etcd.kind == 'Volume':
        if etcd.volume_type:
            device['volumeType'] = etcd.volume_type
        if etcd.availability_zone:
            device['availabilityZone'] = etcd.availability_zone
    return {'etcd': {'blockDevice': device}}


def values(spec):
    sc = spec.storage_class
    result = _etcd(spec.etcd)
    result['addons'] = {'openstack': {'csiCinder': {'defaultStorageClass': {
        'availabilityZone': sc.availability_zone,
        'reclaimPolicy': sc.reclaim_policy,
        'volumeBindingMode': sc.binding_mode,
        'fstype': sc.fstype,
        'allowVolumeExpansion': sc.allow_expansion,
    }}}}
    return result
