"""What a reconcile sees: the objects of one tick and the simulated time."""

import dataclasses

from tests.kubeapi.capi import faults as faults_mod
from tests.kubeapi.capi import kinds
from tests.kubeapi.capi import objects
from tests.kubeapi.capi import timing


@dataclasses.dataclass
class World:
    """Every object the simulator watches, as listed in one tick."""

    clusters: list = dataclasses.field(default_factory=list)
    openstack_clusters: list = dataclasses.field(default_factory=list)
    control_planes: list = dataclasses.field(default_factory=list)
    deployments: list = dataclasses.field(default_factory=list)
    machines: list = dataclasses.field(default_factory=list)
    machine_templates: list = dataclasses.field(default_factory=list)
    config_templates: list = dataclasses.field(default_factory=list)
    secrets: list = dataclasses.field(default_factory=list)
    addons: list = dataclasses.field(default_factory=list)

    @classmethod
    def from_lists(cls, listed):
        """Build from {Kind: [objects]} as read from the API."""
        def get(kind):
            return list(listed.get(kind) or [])

        return cls(clusters=get(kinds.CLUSTER),
                   openstack_clusters=get(kinds.OPENSTACK_CLUSTER),
                   control_planes=get(kinds.CONTROL_PLANE),
                   deployments=get(kinds.MACHINE_DEPLOYMENT),
                   machines=get(kinds.MACHINE),
                   machine_templates=get(kinds.MACHINE_TEMPLATE),
                   config_templates=get(kinds.CONFIG_TEMPLATE),
                   secrets=get(kinds.SECRET),
                   addons=(get(kinds.HELM_RELEASE)
                           + get(kinds.MANIFESTS)))

    def everything(self):
        return (self.clusters + self.openstack_clusters
                + self.control_planes + self.deployments + self.machines)

    def cluster(self, namespace, name):
        return find(self.clusters, namespace, name)

    def cluster_of(self, obj):
        return self.cluster(objects.namespace(obj), objects.cluster_name(obj))

    def referenced(self, items, cluster, field):
        """The object ``cluster.spec.<field>`` names, if listed."""
        ref = objects.spec(cluster).get(field) or {}
        return find(items, objects.namespace(cluster), ref.get('name'))

    def infrastructure(self, cluster):
        return self.referenced(self.openstack_clusters, cluster,
                               'infrastructureRef')

    def control_plane(self, cluster):
        return self.referenced(self.control_planes, cluster,
                               'controlPlaneRef')

    def owning_cluster(self, obj, field):
        """The Cluster whose ``spec.<field>`` names ``obj``."""
        for cluster in self.clusters:
            ref = objects.spec(cluster).get(field) or {}
            if (objects.namespace(cluster) == objects.namespace(obj)
                    and ref.get('name') == objects.name(obj)):
                return cluster
        return None

    def deployments_of(self, cluster):
        return [md for md in self.deployments
                if objects.namespace(md) == objects.namespace(cluster)
                and objects.cluster_name(md) == objects.name(cluster)]

    def machines_of_cluster(self, cluster):
        return [m for m in self.machines
                if objects.namespace(m) == objects.namespace(cluster)
                and objects.cluster_name(m) == objects.name(cluster)]

    def machines_owned_by(self, owner):
        return [m for m in self.machines if objects.owned_by(m, owner)]

    def secret(self, namespace, name):
        return find(self.secrets, namespace, name)


def find(items, namespace, name):
    for obj in items:
        if objects.key(obj) == (namespace, name):
            return obj
    return None


@dataclasses.dataclass(frozen=True)
class Env:
    """Time, faults and naming for one tick.

    ``ages`` maps uids to simulated seconds spent in the current stage
    (see timing.stage); ``new_name(prefix)`` gives a fresh object name.
    """

    stamp: str = '2026-01-01T00:00:00Z'
    ages: dict = dataclasses.field(default_factory=dict)
    timings: timing.Timings = timing.Timings()
    faults: faults_mod.FaultSet = faults_mod.FaultSet()
    new_name: object = None

    def waited(self, obj, duration):
        """Whether ``obj`` has spent ``duration`` in its current stage."""
        return self.ages.get(objects.uid(obj), 0.0) >= duration
