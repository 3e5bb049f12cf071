"""The Cinder CSI default storage class of the workload cluster."""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label


@dataclasses.dataclass(frozen=True)
class StorageClassSpec:
    availability_zone: str
    reclaim_policy: str
    binding_mode: str
    fstype: str
    allow_expansion: bool


class StorageClass(features.Feature):
    labels = (
        Label('csi_cinder_availability_zone', kinds.ZONE, 'nova',
              'Availability zone of volumes of the default storage class.'),
        Label('csi_cinder_reclaim_policy', kinds.choice('Retain', 'Delete'),
              'Retain', 'Reclaim policy of the default storage class.'),
        Label('csi_cinder_volume_binding_mode',
              kinds.choice('WaitForFirstConsumer', 'Immediate'),
              'WaitForFirstConsumer',
              'Volume binding mode of the default storage class.'),
        Label('csi_cinder_fstype', kinds.FSTYPE, 'ext4',
              'Filesystem of volumes of the default storage class.'),
        Label('csi_cinder_allow_volume_expansion', kinds.BOOL, True,
              'Allow persistent volumes to be resized.'),
    )
    owns = ('addons.openstack.csiCinder',)

    def cluster_spec(self, ctx):
        labels = ctx.labels
        return StorageClassSpec(
            availability_zone=labels['csi_cinder_availability_zone'],
            reclaim_policy=labels['csi_cinder_reclaim_policy'],
            binding_mode=labels['csi_cinder_volume_binding_mode'],
            fstype=labels['csi_cinder_fstype'],
            allow_expansion=labels['csi_cinder_allow_volume_expansion'])

    def values(self, spec):
        sc = spec.storage_class
        return {'addons': {'openstack': {'csiCinder': {
            'defaultStorageClass': {
                'availabilityZone': sc.availability_zone,
                'reclaimPolicy': sc.reclaim_policy,
                'volumeBindingMode': sc.binding_mode,
                'fstype': sc.fstype,
                'allowVolumeExpansion': sc.allow_expansion,
            }}}}}
