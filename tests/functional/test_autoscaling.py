"""Autoscaled groups through Magnum's conductor: start count, scale from 0.

An autoscaled default worker created with node_count 2 (Magnum stores its
minimum as 0) must start with two machines and keep node_count 2, and its
MachineDeployment must carry the capacity annotations that let the
autoscaler scale it up from zero, with the users' machine labels.
"""

import pykube

from magnum import objects
from magnum.objects import fields

from magnum_capi_driver import deployments
from magnum_capi_driver import names

Status = fields.ClusterStatus
CAPACITY = 'capacity.cluster-autoscaler.kubernetes.io/'


def test_autoscaled_group_starts_at_its_count_and_can_scale_from_zero(
        stack):
    ctx = stack.user_context()
    template = stack.template(ctx)
    labels = dict(template.labels, auto_scaling_enabled='true',
                  max_node_count='4',
                  **{'machine_label:example.com/team': 'blue'})
    cluster = stack.create_cluster(ctx, template, node_count=2,
                                   labels=labels)
    cluster = stack.wait_for(cluster.uuid, Status.CREATE_COMPLETE)
    [worker] = [ng for ng in objects.NodeGroup.list(ctx, cluster.uuid)
                if ng.role == 'worker']
    assert (worker.min_node_count, worker.node_count) == (0, 2)

    api = pykube.HTTPClient(pykube.KubeConfig.from_file(
        str(stack.mc.kubeconfig)))
    name = names.machine_deployment_name(
        cluster.stack_id, names.node_group_names([worker])[worker.uuid])
    response = api.get(version='cluster.x-k8s.io/v1beta1',
                       namespace='magnum-%s' % cluster.project_id,
                       url='machinedeployments/' + name)
    response.raise_for_status()
    md = response.json()
    assert md['spec']['replicas'] == 2
    notes = md['metadata']['annotations']
    assert notes[CAPACITY + 'cpu'] and notes[CAPACITY + 'memory']
    assert md['metadata']['labels']['example.com/team'] == 'blue'
    assert md['spec']['template']['metadata']['labels'][
        'example.com/team'] == 'blue'
    assert deployments.FIELD_MANAGER in {
        e['manager'] for e in md['metadata']['managedFields']}

    # The periodic job copies the count back: still 2, not the minimum.
    stack.poll_once(cluster.uuid)
    worker = objects.NodeGroup.get_by_uuid(ctx, cluster.uuid, worker.uuid)
    assert worker.node_count == 2
