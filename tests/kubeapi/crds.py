"""CustomResourceDefinitions of the Cluster API stack the chart renders.

Only names, scope, served versions and subresources matter to the server;
every schema preserves unknown fields. CAPI v1.13 serves v1beta1 and
v1beta2, CAPO v0.14 serves infrastructure v1beta1 only, and the azimuth
addon provider serves addons.stackhpc.com v1alpha1.
"""

CAPI = ['v1beta2', 'v1beta1']
CAPO = ['v1beta1']
ADDONS = ['v1alpha1']

SCALE = {'specReplicasPath': '.spec.replicas',
         'statusReplicasPath': '.status.replicas',
         'labelSelectorPath': '.status.selector'}

# (group, kind, plural, versions, short names, categories, scale)
DEFINITIONS = [
    ('cluster.x-k8s.io', 'Cluster', 'clusters', CAPI, ['cl'],
     ['cluster-api'], False),
    ('cluster.x-k8s.io', 'MachineDeployment', 'machinedeployments', CAPI,
     ['md'], ['cluster-api'], True),
    ('cluster.x-k8s.io', 'MachineSet', 'machinesets', CAPI, ['ms'],
     ['cluster-api'], True),
    ('cluster.x-k8s.io', 'Machine', 'machines', CAPI, ['ma'],
     ['cluster-api'], False),
    ('cluster.x-k8s.io', 'MachineHealthCheck', 'machinehealthchecks', CAPI,
     ['mhc', 'mhcs'], ['cluster-api'], False),
    ('controlplane.cluster.x-k8s.io', 'KubeadmControlPlane',
     'kubeadmcontrolplanes', CAPI, ['kcp'], ['cluster-api'], True),
    ('bootstrap.cluster.x-k8s.io', 'KubeadmConfigTemplate',
     'kubeadmconfigtemplates', CAPI, [], ['cluster-api'], False),
    ('bootstrap.cluster.x-k8s.io', 'KubeadmConfig', 'kubeadmconfigs', CAPI,
     [], ['cluster-api'], False),
    ('infrastructure.cluster.x-k8s.io', 'OpenStackCluster',
     'openstackclusters', CAPO, ['osc'], ['cluster-api'], False),
    ('infrastructure.cluster.x-k8s.io', 'OpenStackMachineTemplate',
     'openstackmachinetemplates', CAPO, ['osmt'], ['cluster-api'], False),
    ('infrastructure.cluster.x-k8s.io', 'OpenStackMachine',
     'openstackmachines', CAPO, ['osm'], ['cluster-api'], False),
    ('addons.stackhpc.com', 'HelmRelease', 'helmreleases', ADDONS, [],
     ['cluster-addons'], False),
    ('addons.stackhpc.com', 'Manifests', 'manifests', ADDONS, [],
     ['cluster-addons'], False),
]


def crd(group, kind, plural, versions, short_names=(), categories=(),
        scale=False, scope='Namespaced'):
    """A CustomResourceDefinition manifest with an open schema."""
    subresources = {'status': {}}
    if scale:
        subresources['scale'] = dict(SCALE)
    return {
        'apiVersion': 'apiextensions.k8s.io/v1',
        'kind': 'CustomResourceDefinition',
        'metadata': {'name': '%s.%s' % (plural, group)},
        'spec': {
            'group': group,
            'scope': scope,
            'names': {'kind': kind, 'listKind': kind + 'List',
                      'plural': plural, 'singular': kind.lower(),
                      'shortNames': list(short_names),
                      'categories': list(categories)},
            'versions': [
                {'name': version, 'served': True,
                 'storage': index == 0,
                 'subresources': subresources,
                 'schema': {'openAPIV3Schema': {
                     'type': 'object',
                     'x-kubernetes-preserve-unknown-fields': True}}}
                for index, version in enumerate(versions)],
        },
    }


def capi_crds():
    return [crd(*definition) for definition in DEFINITIONS]
