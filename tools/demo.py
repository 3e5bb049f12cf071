"""Show the driver working: a whole cluster lifecycle, narrated.

Runs Magnum's real conductor handlers and periodic status job (on sqlite),
the real helm binary, a real Keystone on loopback and the Kubernetes API
stand-in with its Cluster API simulator, and prints what Magnum records at
each step. ``--speed`` scales the simulated Cluster API timings (1 is real
time; the default makes each step take a few seconds).

    .venv/bin/python -m tools.demo [--speed 60] [--helm .tools/bin/helm4]
"""

import argparse
import sys

from magnum import objects

from tests.fixtures import magnum as magnum_fixtures
from tests.functional import stack as full_stack

Status = full_stack.Status


def show(cluster):
    if cluster is None:
        print('    cluster gone from Magnum (DELETE_COMPLETE)')
        return
    print('    %-20s %s' % (cluster.status, cluster.status_reason or ''))


def summary(ctx, cluster):
    print('    api_address=%s coe_version=%s' % (cluster.api_address,
                                                 cluster.coe_version))
    for ng in objects.NodeGroup.list(ctx, cluster.uuid):
        print('    nodegroup %-16s %-16s nodes=%s %s' % (
            ng.name, ng.status, ng.node_count, list(ng.node_addresses)))


def run(stack, timeout):
    ctx = stack.user_context()
    admin = stack.admin_context()

    def step(title, uuid, wanted):
        print('\n== %s' % title)
        cluster = stack.wait_for(uuid, wanted, timeout=timeout,
                                 progress=show)
        if cluster is not None:
            summary(admin, cluster)
        return cluster

    template = stack.template(ctx)
    cluster = stack.create_cluster(ctx, template, master_count=1,
                                   node_count=2, name='Démo cluster')
    print('Helm release %s in namespace magnum-%s'
          % (cluster.stack_id, cluster.project_id))
    cluster = step('create (1 master, 2 workers)', cluster.uuid,
                   Status.CREATE_COMPLETE)

    ng = magnum_fixtures.make_nodegroup(ctx, cluster, 'GPU nodes',
                                        node_count=1)
    stack.nodegroups.nodegroup_create(ctx, cluster, ng)
    cluster = step('add nodegroup "GPU nodes"', cluster.uuid,
                   Status.UPDATE_COMPLETE)

    stack.clusters.cluster_update(ctx, stack.reload(cluster.uuid), 3,
                                  None, None)
    cluster = step('scale default-worker to 3', cluster.uuid,
                   Status.UPDATE_COMPLETE)

    new_template = stack.template(
        ctx, name='k8s-1.32', image_id='ubuntu-jammy-kube-v1.32.1',
        labels={'kube_tag': 'v1.32.1'})
    worker = [g for g in objects.NodeGroup.list(ctx, cluster.uuid)
              if g.name == 'default-worker'][0]
    stack.clusters.cluster_upgrade(ctx, stack.reload(cluster.uuid),
                                   new_template, 1, worker)
    cluster = step('upgrade to Kubernetes v1.32.1', cluster.uuid,
                   Status.UPDATE_COMPLETE)

    stack.clusters.cluster_delete(ctx, cluster.uuid)
    step('delete', cluster.uuid, None)
    print('\nRequests the management cluster served, by client:')
    counts = {}
    for record in stack.mc.requests:
        client = (record.client or '?').split('/')[0]
        counts[client] = counts.get(client, 0) + 1
    for client, count in sorted(counts.items()):
        print('    %-20s %d' % (client, count))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--speed', type=float, default=60.0)
    parser.add_argument('--helm', default=None,
                        help='helm binary (default: helm 4 in .tools/bin)')
    args = parser.parse_args(argv)
    with full_stack.standalone(args.helm, args.speed) as stack:
        run(stack, timeout=max(60.0, 3600.0 / args.speed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
