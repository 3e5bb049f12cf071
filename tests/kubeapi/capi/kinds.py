"""The API kinds the simulator reads and writes, and CAPI's well-known keys.

Everything is read and written at v1beta1, as the chart renders it.
"""

import collections

Kind = collections.namedtuple('Kind', 'api_version kind plural')

CLUSTER = Kind('cluster.x-k8s.io/v1beta1', 'Cluster', 'clusters')
MACHINE_DEPLOYMENT = Kind('cluster.x-k8s.io/v1beta1', 'MachineDeployment',
                          'machinedeployments')
MACHINE = Kind('cluster.x-k8s.io/v1beta1', 'Machine', 'machines')
CONTROL_PLANE = Kind('controlplane.cluster.x-k8s.io/v1beta1',
                     'KubeadmControlPlane', 'kubeadmcontrolplanes')
OPENSTACK_CLUSTER = Kind('infrastructure.cluster.x-k8s.io/v1beta1',
                         'OpenStackCluster', 'openstackclusters')
MACHINE_TEMPLATE = Kind('infrastructure.cluster.x-k8s.io/v1beta1',
                        'OpenStackMachineTemplate',
                        'openstackmachinetemplates')
CONFIG_TEMPLATE = Kind('bootstrap.cluster.x-k8s.io/v1beta1',
                       'KubeadmConfigTemplate', 'kubeadmconfigtemplates')
SECRET = Kind('v1', 'Secret', 'secrets')
HELM_RELEASE = Kind('addons.stackhpc.com/v1alpha1', 'HelmRelease',
                    'helmreleases')
MANIFESTS = Kind('addons.stackhpc.com/v1alpha1', 'Manifests', 'manifests')

# Read every tick, in this order; the addon kinds may not be served.
WATCHED = (CLUSTER, OPENSTACK_CLUSTER, CONTROL_PLANE, MACHINE_DEPLOYMENT,
           MACHINE, MACHINE_TEMPLATE, CONFIG_TEMPLATE, SECRET, HELM_RELEASE,
           MANIFESTS)
OPTIONAL = (HELM_RELEASE, MANIFESTS)
BY_KIND = {kind.kind: kind for kind in WATCHED}

CLUSTER_NAME_LABEL = 'cluster.x-k8s.io/cluster-name'
CONTROL_PLANE_LABEL = 'cluster.x-k8s.io/control-plane'
DEPLOYMENT_NAME_LABEL = 'cluster.x-k8s.io/deployment-name'
TEMPLATE_HASH_LABEL = 'machine-template-hash'
DELETE_MACHINE_ANNOTATION = 'cluster.x-k8s.io/delete-machine'
AUTOSCALER_MIN = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size'
AUTOSCALER_MAX = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'

CLUSTER_FINALIZER = 'cluster.cluster.x-k8s.io'
MACHINE_FINALIZER = 'machine.cluster.x-k8s.io'
DEPLOYMENT_FINALIZER = 'cluster.x-k8s.io/machinedeployment'
CONTROL_PLANE_FINALIZER = 'kubeadm.controlplane.cluster.x-k8s.io'
OPENSTACK_CLUSTER_FINALIZER = (
    'openstackcluster.infrastructure.cluster.x-k8s.io')

KUBECONFIG_SECRET_TYPE = 'cluster.x-k8s.io/secret'
API_SERVER_PORT = 6443
