"""The Kubernetes API endpoint: load balancer, floating IP, allowed CIDRs."""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label
from magnum_capi_driver import spec as core

invalid = kinds.invalid


@dataclasses.dataclass(frozen=True)
class ApiServerSpec:
    load_balancer: bool
    floating_ip: bool
    provider: str
    allowed_cidrs: tuple = ()
    port: int = None


def _bool_attr(field, value):
    return None if value is None else kinds.BOOL.parse(field, value)


def _first(*values):
    for value in values:
        if value not in (None, ''):
            return value
    return None


def load_balancer(cluster, template, where):
    """master_lb_enabled of the cluster, else of its template."""
    return bool(_first(
        _bool_attr('master_lb_enabled of %s' % where,
                   cluster.master_lb_enabled),
        _bool_attr('master_lb_enabled of the cluster template',
                   template.master_lb_enabled)))


class ApiServer(features.Feature):
    labels = (
        Label('master_lb_floating_ip_enabled', kinds.BOOL, None,
              'Give the Kubernetes API a floating IP. Unset means the '
              'cluster\'s floating_ip_enabled.'),
        Label('api_master_lb_allowed_cidrs', kinds.CIDRS, (),
              'Networks allowed to reach the API load balancer; empty '
              'allows all.'),
        Label('octavia_provider', kinds.PROVIDER, 'amphora',
              'Octavia provider of the API and service load balancers.'),
    )
    owns = ('apiServer',)

    def cluster_spec(self, ctx):
        cluster, template, where = ctx.cluster, ctx.template, ctx.where
        lb = load_balancer(cluster, template, where)
        core.validate_master_count(ctx.master_count, lb)
        floating_ip = _first(
            ctx.labels['master_lb_floating_ip_enabled'],
            _bool_attr('floating_ip_enabled of %s' % where,
                       cluster.floating_ip_enabled),
            _bool_attr('floating_ip_enabled of the cluster template',
                       template.floating_ip_enabled))
        cidrs = ctx.labels['api_master_lb_allowed_cidrs']
        if cidrs and not lb:
            raise invalid('label api_master_lb_allowed_cidrs of %s' % where,
                          ','.join(cidrs), 'no CIDRs when the API has no '
                          'load balancer (master_lb_enabled is false)')
        port = getattr(template, 'apiserver_port', None)
        if port not in (None, ''):
            port = kinds.int_between(1, 65535).parse(
                'apiserver_port of the cluster template', port)
        return ApiServerSpec(load_balancer=lb,
                             floating_ip=True if floating_ip is None
                             else floating_ip,
                             provider=ctx.labels['octavia_provider'],
                             allowed_cidrs=cidrs, port=port or None)

    def values(self, spec):
        api = spec.api_server
        result = {
            'enableLoadBalancer': api.load_balancer,
            'associateFloatingIP': api.floating_ip,
            'loadBalancerProvider': api.provider,
        }
        if api.allowed_cidrs:
            result['allowedCIDRs'] = list(api.allowed_cidrs)
        if api.port:
            result['port'] = api.port
        return {'apiServer': result}
