"""One reconcile pass over every watched object: objects in, writes out."""

from tests.kubeapi.capi import actions
from tests.kubeapi.capi import addons
from tests.kubeapi.capi import cluster as cluster_ctl
from tests.kubeapi.capi import controlplane
from tests.kubeapi.capi import deployment
from tests.kubeapi.capi import infra
from tests.kubeapi.capi import machine as machine_ctl


def plan(world, env):
    """The writes all simulated controllers want after seeing ``world``."""
    writes = []
    for cluster in world.clusters:
        writes.extend(cluster_ctl.reconcile(cluster, world, env))
    for osc in world.openstack_clusters:
        owner = world.owning_cluster(osc, 'infrastructureRef')
        writes.extend(infra.reconcile(osc, owner, env))
    for kcp in world.control_planes:
        owner = world.owning_cluster(kcp, 'controlPlaneRef')
        writes.extend(controlplane.reconcile(kcp, owner, world, env))
    for md in world.deployments:
        writes.extend(deployment.reconcile(md, world.cluster_of(md), world,
                                           env))
    for machine in world.machines:
        writes.extend(machine_ctl.reconcile(machine,
                                            world.cluster_of(machine), env))
    for addon in world.addons:
        writes.extend(addons.reconcile(addon, world, env))
    return actions.coalesce([w for w in writes if w is not None])
