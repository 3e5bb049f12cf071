"""Service load balancers: the Octavia settings of the cloud provider."""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label

invalid = kinds.invalid


@dataclasses.dataclass(frozen=True)
class OctaviaSpec:
    provider: str
    algorithm: str
    health_monitor: bool


class LoadBalancers(features.Feature):
    part = 'octavia'
    labels = (
        Label('octavia_lb_algorithm',
              kinds.choice('ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP',
                           'SOURCE_IP_PORT'), None,
              'Load balancing algorithm of service load balancers. Unset '
              'means SOURCE_IP_PORT for the ovn provider (the only one it '
              'has), ROUND_ROBIN otherwise.'),
        Label('octavia_lb_healthcheck', kinds.BOOL, True,
              'Create health monitors on service load balancers.'),
    )
    owns = ('addons.openstack.cloudConfig.LoadBalancer',)

    def cluster_spec(self, ctx):
        provider = ctx.labels['octavia_provider']
        algorithm = ctx.labels['octavia_lb_algorithm']
        if provider == 'ovn':
            if algorithm not in (None, 'SOURCE_IP_PORT'):
                raise invalid('label octavia_lb_algorithm of %s' % ctx.where,
                              algorithm, 'SOURCE_IP_PORT, the only '
                              'algorithm of the ovn provider')
            algorithm = 'SOURCE_IP_PORT'
        return OctaviaSpec(provider=provider,
                           algorithm=algorithm or 'ROUND_ROBIN',
                           health_monitor=ctx.labels['octavia_lb_healthcheck'])

    def values(self, spec):
        octavia = spec.octavia
        return {'addons': {'openstack': {'cloudConfig': {'LoadBalancer': {
            'lb-provider': octavia.provider,
            'lb-method': octavia.algorithm,
            'create-monitor': octavia.health_monitor,
        }}}}}
