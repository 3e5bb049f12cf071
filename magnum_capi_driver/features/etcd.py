"""etcd on its own disk: a Cinder volume or a local ephemeral disk."""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label


@dataclasses.dataclass(frozen=True)
class EtcdSpec:
    size_gb: int = 0
    kind: str = 'Volume'
    volume_type: str = None
    availability_zone: str = None


class Etcd(features.Feature):
    labels = (
        Label('etcd_blockdevice_size', kinds.SIZE_GB, 0,
              'Size in GB of a separate etcd disk; 0 keeps etcd on the root '
              'disk.'),
        Label('etcd_blockdevice_type', kinds.choice('volume', 'local'),
              'volume', 'Kind of the etcd disk: a Cinder volume or a local '
              'ephemeral disk.'),
        Label('etcd_blockdevice_volume_type', kinds.VOLUME_TYPE, None,
              'Cinder volume type of the etcd volume.'),
        Label('etcd_blockdevice_volume_az', kinds.ZONE, None,
              'Cinder availability zone of the etcd volume.'),
        Label('etcd_volume_size', kinds.SIZE_GB, 0,
              'Deprecated: use etcd_blockdevice_size.',
              replaced_by='etcd_blockdevice_size'),
        Label('etcd_volume_type', kinds.VOLUME_TYPE, None,
              'Deprecated: use etcd_blockdevice_volume_type.',
              replaced_by='etcd_blockdevice_volume_type'),
    )
    owns = ('etcd',)

    def cluster_spec(self, ctx):
        labels = ctx.labels
        return EtcdSpec(
            size_gb=labels['etcd_blockdevice_size'],
            kind='Local' if labels['etcd_blockdevice_type'] == 'local'
            else 'Volume',
            volume_type=labels['etcd_blockdevice_volume_type'],
            availability_zone=labels['etcd_blockdevice_volume_az'])

    def values(self, spec):
        etcd = spec.etcd
        if not etcd.size_gb:
            return {}
        device = {'size': etcd.size_gb, 'type': etcd.kind}
        if etcd.kind == 'Volume':
            if etcd.volume_type:
                device['volumeType'] = etcd.volume_type
            if etcd.availability_zone:
                device['availabilityZone'] = etcd.availability_zone
        return {'etcd': {'blockDevice': device}}
