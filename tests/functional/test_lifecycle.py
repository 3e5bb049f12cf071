"""A whole cluster lifecycle through Magnum's real conductor and periodic job.

Everything the driver touches is real (helm 3 and 4, the Kubernetes API
stand-in with the CAPI simulator, Keystone) apart from Nova/Glance/Neutron
lookups. Each step checks what Magnum recorded and what the management
cluster holds.
"""

import json
import logging

import pykube
import pytest
import yaml

from magnum.common import exception
from magnum import objects
from magnum.objects import fields

from magnum_capi_driver import driver
from magnum_capi_driver import names
from magnum_capi_driver import secrets
from tests.fixtures import cloud as cloud_fixtures
from tests.fixtures import magnum as magnum_fixtures

Status = fields.ClusterStatus
NEW_IMAGE = cloud_fixtures.IMAGES[1]


def _api(mc):
    return pykube.HTTPClient(pykube.KubeConfig.from_file(str(mc.kubeconfig)))


def _list(mc, version, plural, namespace):
    response = _api(mc).get(version=version, namespace=namespace,
                            url=plural)
    response.raise_for_status()
    return response.json()['items']


def _machines(mc, namespace, release):
    return [m for m in _list(mc, 'cluster.x-k8s.io/v1beta1', 'machines',
                             namespace)
            if m['spec']['clusterName'] == release]


def _nodegroups(ctx, cluster):
    return {ng.name: ng for ng in objects.NodeGroup.list(ctx, cluster.uuid)}


def _app_credentials(keystone):
    sess = keystone.user_session()
    return sess.get('/users/%s/application_credentials' % keystone.user_id,
                    endpoint_filter={'service_type': 'identity',
                                     'interface': 'public'}
                    ).json()['application_credentials']


def _namespace(cluster):
    return 'magnum-%s' % cluster.project_id


def _credential_secret(stack, namespace, release):
    """The application credential secret, read where it belongs."""
    store = stack.mc.store
    secret = store.get(store.registry.get('', 'secrets'), namespace,
                       secrets.credentials_secret_name(release))
    clouds = yaml.safe_load(secrets.decode_data(secret)['clouds.yaml'])
    return clouds['clouds']['openstack']['auth'][
        'application_credential_secret']


def test_cluster_lifecycle(stack, caplog):
    caplog.set_level(logging.DEBUG)
    ctx = stack.user_context()
    template = stack.template(ctx)
    cluster = stack.create_cluster(ctx, template, master_count=1,
                                   node_count=2, name='Démo cluster')
    release = cluster.stack_id
    namespace = _namespace(cluster)
    assert release and release.isascii()

    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    assert cluster.api_address.startswith('https://')
    assert cluster.coe_version == 'v1.31.2'
    assert len(cluster.master_addresses) == 1
    assert len(cluster.node_addresses) == 2
    creds = [c for c in _app_credentials(stack.keystone)
             if cluster.uuid in c['name'] or release in c['name']]
    assert len(creds) == 1
    secret = _credential_secret(stack, namespace, release)
    values = driver.Driver.helm().values(namespace, release)
    assert values['cloudCredentialsSecretName'] == \
        secrets.credentials_secret_name(release)
    assert secret not in json.dumps(values)
    assert secret not in caplog.text

    # Two extra nodegroups, as OpenTofu creates them.
    for name, count in (('gpu', 1), ('Big Nodes', 2)):
        ng = magnum_fixtures.make_nodegroup(ctx, cluster, name,
                                            node_count=count)
        stack.nodegroups.nodegroup_create(ctx, cluster, ng)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    groups = _nodegroups(ctx, cluster)
    assert {n: g.status for n, g in groups.items()} == {
        'default-master': Status.CREATE_COMPLETE,
        'default-worker': Status.CREATE_COMPLETE,
        'gpu': Status.CREATE_COMPLETE,
        'Big Nodes': Status.CREATE_COMPLETE}
    assert len(_machines(stack.mc, namespace, release)) == 1 + 2 + 1 + 2

    # node_count PATCH (OpenTofu), then resize removing a chosen node.
    stack.clusters.cluster_update(ctx, stack.reload(cluster.uuid), 3,
                                  None, None)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert len(cluster.node_addresses) == 3 + 1 + 2
    worker = _nodegroups(ctx, cluster)['default-worker']
    victim = [m for m in _machines(stack.mc, namespace, release)
              if m['metadata']['labels'].get(
                  'cluster.x-k8s.io/deployment-name', '').endswith(
                      '-default-worker')
              or 'default-worker' in m['metadata']['labels'].get(
                  'cluster.x-k8s.io/deployment-name', '')][0]
    victim_name = victim['status']['nodeRef']['name']
    stack.clusters.cluster_resize(ctx, stack.reload(cluster.uuid), 2,
                                  [victim_name], worker)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    remaining = {m['metadata']['name']
                 for m in _machines(stack.mc, namespace, release)}
    assert victim['metadata']['name'] not in remaining
    assert _nodegroups(ctx, cluster)['default-worker'].node_count == 2

    # Update one nodegroup, delete another.
    gpu = _nodegroups(ctx, cluster)['gpu']
    gpu.node_count = 2
    stack.nodegroups.nodegroup_update(ctx, stack.reload(cluster.uuid), gpu)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert _nodegroups(ctx, cluster)['gpu'].status == Status.UPDATE_COMPLETE
    big = _nodegroups(ctx, cluster)['Big Nodes']
    stack.nodegroups.nodegroup_delete(ctx, stack.reload(cluster.uuid), big)
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert 'Big Nodes' not in _nodegroups(ctx, cluster)
    assert len(_machines(stack.mc, namespace, release)) == 1 + 2 + 2

    # Upgrade to a template with a newer Kubernetes.
    new_template = stack.template(
        ctx, name='k8s-1.32', image_id=NEW_IMAGE['name'],
        labels={'kube_tag': 'v1.32.1'})
    stack.clusters.cluster_upgrade(ctx, stack.reload(cluster.uuid),
                                   new_template, 1,
                                   _nodegroups(ctx, cluster)[
                                       'default-worker'])
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    assert cluster.cluster_template_id == new_template.uuid
    assert cluster.coe_version == 'v1.32.1'
    versions = {m['spec'].get('version')
                for m in _machines(stack.mc, namespace, release)}
    assert versions == {'v1.32.1'}

    # Rotate the credentials: one live credential, a different one.
    stack.credentials.credential_rotate(ctx, stack.reload(cluster.uuid))
    after = [c for c in _app_credentials(stack.keystone)
             if cluster.uuid in c['name'] or release in c['name']]
    assert len(after) == 1 and after[0]['id'] != creds[0]['id']
    rotated = _credential_secret(stack, namespace, release)
    assert rotated != secret

    # Delete: nothing of the cluster left anywhere.
    stack.clusters.cluster_delete(ctx, cluster.uuid)
    stack.wait_for(cluster.uuid, None)
    with pytest.raises(exception.ClusterNotFound):
        objects.Cluster.get_by_uuid(stack.admin_context(), cluster.uuid)
    for version, plural in (
            ('cluster.x-k8s.io/v1beta1', 'clusters'),
            ('cluster.x-k8s.io/v1beta1', 'machinedeployments'),
            ('cluster.x-k8s.io/v1beta1', 'machines'),
            ('controlplane.cluster.x-k8s.io/v1beta1', 'kubeadmcontrolplanes'),
            ('infrastructure.cluster.x-k8s.io/v1beta1', 'openstackclusters'),
            ('v1', 'secrets')):
        left = [o['metadata']['name']
                for o in _list(stack.mc, version, plural, namespace)
                if release in o['metadata']['name']]
        assert left == [], (plural, left)
    assert [c for c in _app_credentials(stack.keystone)
            if cluster.uuid in c['name'] or release in c['name']] == []
    assert secret not in caplog.text and rotated not in caplog.text


def test_create_times_out_when_control_plane_never_ready(stack):
    ctx = stack.user_context()
    template = stack.template(ctx)
    cluster = magnum_fixtures.make_cluster(ctx, template, name='stuck')
    stack.mc.capi.machines_never_ready(
        _namespace(cluster), names.release_name(cluster.name, cluster.uuid))
    cluster = stack.clusters.cluster_create(ctx, cluster, 1, 1, 60)
    for _ in range(20):
        cluster = stack.poll_once(cluster.uuid)
        assert cluster.status == Status.CREATE_IN_PROGRESS
    stack.age(cluster.uuid, minutes=61)
    cluster = stack.poll_once(cluster.uuid)
    assert cluster.status == Status.CREATE_FAILED
    assert 'control plane' in cluster.status_reason.lower()


def test_parallel_nodegroup_creates_all_land(stack):
    """OpenTofu creates nodegroups in parallel: every one must land.

    Each create renders the release from the database under the cluster's
    lock, so no helm upgrade can drop a group another one added, and helm
    never sees two operations on the release at once.
    """
    import concurrent.futures

    ctx = stack.user_context()
    cluster = stack.create_cluster(ctx, stack.template(ctx), name='tofu')
    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    wanted = ['pool-%d' % i for i in range(5)]

    def create(name):
        ng = magnum_fixtures.make_nodegroup(ctx, cluster, name)
        stack.nodegroups.nodegroup_create(ctx, stack.reload(cluster.uuid),
                                          ng)

    with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
        for future in [pool.submit(create, n) for n in wanted]:
            future.result()
    cluster = stack.wait_for(cluster.uuid, Status.UPDATE_COMPLETE)
    groups = _nodegroups(ctx, cluster)
    assert all(groups[n].status == Status.CREATE_COMPLETE for n in wanted)
    deployments = _list(stack.mc, 'cluster.x-k8s.io/v1beta1',
                        'machinedeployments', _namespace(cluster))
    assert len([d for d in deployments
                if d['spec']['clusterName'] == cluster.stack_id]) == 6
