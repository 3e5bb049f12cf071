"""The azimuth addon provider's HelmRelease and Manifests objects.

An add-on is installed into the workload cluster, so it reports Deployed
once the cluster's kubeconfig Secret exists, and Pending before.
"""

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects


def reconcile(addon, world, env):
    if objects.deleting(addon):
        return []
    ns = objects.namespace(addon)
    cluster = objects.spec(addon).get('clusterName')
    deployed = world.secret(ns, '%s-kubeconfig' % cluster) is not None
    desired = {'phase': 'Deployed' if deployed else 'Pending'}
    if deployed:
        desired['revision'] = objects.status(addon).get('revision') or 1
    kind = kinds.BY_KIND.get(addon.get('kind'), kinds.HELM_RELEASE)
    return [actions.status_write(kind, addon, desired, env.stamp)]
