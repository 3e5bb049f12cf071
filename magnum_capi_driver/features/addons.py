"""Add-ons: CNI, monitoring, ingress and Keystone authentication."""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label

invalid = kinds.invalid
CNI_TYPES = ('calico', 'cilium')


@dataclasses.dataclass(frozen=True)
class AddonsSpec:
    cni: str
    monitoring: bool
    dashboard: bool
    keystone_auth: bool
    #: the Keystone URL the workload cluster uses (with keystone_auth)
    identity_url: str = None
    project_id: str = None


def _cni(template):
    driver = str(template.network_driver or 'calico').strip()
    if driver.lower() not in CNI_TYPES:
        raise invalid('network_driver of the cluster template', driver,
                      'one of ' + ', '.join(CNI_TYPES))
    return driver.lower()


class Addons(features.Feature):
    labels = (
        Label('monitoring_enabled', kinds.BOOL, False,
              'Install the monitoring stack (Prometheus, Grafana, Loki).'),
        Label('kube_dashboard_enabled', kinds.BOOL, True,
              'Accepted for compatibility; chart 0.27.0 has no dashboard '
              'add-on, so it has no effect.'),
        Label('keystone_auth_enabled', kinds.BOOL, False,
              'Authenticate Kubernetes users with Keystone tokens '
              '(k8s-keystone-auth webhook).'),
    )
    owns = ('addons.cni', 'addons.monitoring', 'addons.ingress',
            'addons.openstack.k8sKeystoneAuth', 'authWebhook')

    def cluster_spec(self, ctx):
        keystone_auth = ctx.labels['keystone_auth_enabled']
        if keystone_auth and not ctx.identity_url:
            raise invalid('label keystone_auth_enabled of %s' % ctx.where,
                          'true', 'false: the driver does not know the '
                          'Keystone URL for the workload cluster')
        return AddonsSpec(
            cni=_cni(ctx.template),
            monitoring=ctx.labels['monitoring_enabled'],
            dashboard=ctx.labels['kube_dashboard_enabled'],
            keystone_auth=keystone_auth,
            identity_url=ctx.identity_url if keystone_auth else None,
            project_id=ctx.cluster.project_id)

    def values(self, spec):
        addons = spec.addons
        result = {'addons': {
            'cni': {'type': addons.cni},
            'monitoring': {'enabled': addons.monitoring},
            # Ingress load balancers would outlive the cluster: not offered.
            'ingress': {'enabled': False},
        }}
        if addons.keystone_auth:
            result['authWebhook'] = 'k8s-keystone-auth'
            result['addons']['openstack'] = {'k8sKeystoneAuth': {
                'enabled': True,
                'values': {'openstackAuthUrl': addons.identity_url,
                           'projectId': addons.project_id}}}
        return result
