"""Manifests of a cluster as the openstack-cluster chart renders them
(trimmed to what the controllers read), for tests and demos."""

from tests.kubeapi.capi import kinds


def _obj(kind, namespace, name, spec, labels=None, annotations=None):
    meta = {'name': name, 'namespace': namespace,
            'labels': dict(labels or {})}
    if annotations:
        meta['annotations'] = dict(annotations)
    return {'apiVersion': kind.api_version, 'kind': kind.kind,
            'metadata': meta, 'spec': spec}


def cluster(namespace, name):
    return _obj(kinds.CLUSTER, namespace, name, {
        'clusterNetwork': {'pods': {'cidrBlocks': ['172.16.0.0/13']}},
        'infrastructureRef': {
            'apiVersion': kinds.OPENSTACK_CLUSTER.api_version,
            'kind': kinds.OPENSTACK_CLUSTER.kind, 'name': name},
        'controlPlaneRef': {
            'apiVersion': kinds.CONTROL_PLANE.api_version,
            'kind': kinds.CONTROL_PLANE.kind,
            'name': '%s-control-plane' % name},
    })


def openstack_cluster(namespace, name):
    return _obj(kinds.OPENSTACK_CLUSTER, namespace, name, {
        'identityRef': {'name': '%s-cloud-credentials' % name,
                        'cloudName': 'openstack'},
        'managedSubnets': [{'cidr': '192.168.3.0/24'}],
        'apiServerLoadBalancer': {'enabled': True},
        'apiServerPort': kinds.API_SERVER_PORT,
    }, annotations={'helm.sh/resource-policy': 'keep'})


def machine_template(namespace, name, flavor='m1.medium'):
    return _obj(kinds.MACHINE_TEMPLATE, namespace, name,
                {'template': {'spec': {'flavor': flavor}}},
                annotations={'helm.sh/resource-policy': 'keep'})


def config_template(namespace, name):
    return _obj(kinds.CONFIG_TEMPLATE, namespace, name,
                {'template': {'spec': {'joinConfiguration': {}}}},
                annotations={'helm.sh/resource-policy': 'keep'})


def control_plane(namespace, cluster_name, replicas=1, version='v1.31.4',
                  template='control-plane-1'):
    return _obj(kinds.CONTROL_PLANE, namespace,
                '%s-control-plane' % cluster_name, {
                    'replicas': replicas,
                    'version': version,
                    'machineTemplate': {
                        'metadata': {'labels': {
                            'capi.stackhpc.com/component': 'control-plane'}},
                        'infrastructureRef': {
                            'apiVersion': kinds.MACHINE_TEMPLATE.api_version,
                            'kind': kinds.MACHINE_TEMPLATE.kind,
                            'name': '%s-%s' % (cluster_name, template)}},
                    'kubeadmConfigSpec': {'clusterConfiguration': {}},
                }, annotations={'helm.sh/resource-policy': 'keep'})


def machine_deployment(namespace, cluster_name, group, replicas=1,
                       version='v1.31.4', template='1', annotations=None):
    """``replicas=None`` leaves spec.replicas out, as for autoscaling."""
    name = '%s-%s' % (cluster_name, group)
    selector = {'capi.stackhpc.com/node-group': group}
    spec = {
        'clusterName': cluster_name,
        'selector': {'matchLabels': dict(
            selector, **{kinds.CLUSTER_NAME_LABEL: cluster_name})},
        'template': {
            'metadata': {'labels': selector},
            'spec': {
                'clusterName': cluster_name,
                'version': version,
                'bootstrap': {'configRef': {
                    'apiVersion': kinds.CONFIG_TEMPLATE.api_version,
                    'kind': kinds.CONFIG_TEMPLATE.kind,
                    'name': '%s-%s' % (name, template)}},
                'infrastructureRef': {
                    'apiVersion': kinds.MACHINE_TEMPLATE.api_version,
                    'kind': kinds.MACHINE_TEMPLATE.kind,
                    'name': '%s-%s' % (name, template)},
            },
        },
    }
    if replicas is not None:
        spec['replicas'] = replicas
    return _obj(kinds.MACHINE_DEPLOYMENT, namespace, name, spec,
                annotations=annotations)


def whole_cluster(namespace, name, control_plane_replicas=1,
                  groups=(('small', 2), ('large', 1)), version='v1.31.4'):
    """(Kind, manifest) pairs for a cluster, in the order helm creates
    them."""
    items = [(kinds.CLUSTER, cluster(namespace, name)),
             (kinds.OPENSTACK_CLUSTER, openstack_cluster(namespace, name)),
             (kinds.MACHINE_TEMPLATE,
              machine_template(namespace, '%s-control-plane-1' % name)),
             (kinds.CONTROL_PLANE,
              control_plane(namespace, name, control_plane_replicas,
                            version))]
    for group, replicas in groups:
        items.append((kinds.MACHINE_TEMPLATE, machine_template(
            namespace, '%s-%s-1' % (name, group))))
        items.append((kinds.CONFIG_TEMPLATE, config_template(
            namespace, '%s-%s-1' % (name, group))))
        items.append((kinds.MACHINE_DEPLOYMENT, machine_deployment(
            namespace, name, group, replicas, version)))
    return items
