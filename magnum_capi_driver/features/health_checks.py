"""Auto-healing: machine health checks of the control plane and groups."""

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver.labels import Label


class HealthChecks(features.Feature):
    part = 'auto_healing'
    labels = (
        Label('auto_healing_enabled', kinds.BOOL, True,
              'Replace machines whose node stays unhealthy (machine health '
              'checks).'),
    )
    owns = ('controlPlane.healthCheck.enabled',
            'nodeGroupDefaults.healthCheck.enabled')

    def cluster_spec(self, ctx):
        return ctx.labels['auto_healing_enabled']

    def values(self, spec):
        return {key: {'healthCheck': {'enabled': spec.auto_healing}}
                for key in ('controlPlane', 'nodeGroupDefaults')}
