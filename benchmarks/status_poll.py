"""Cost of Magnum's status and health polls, per cluster, through the driver.

Creates N clusters on the management-cluster stand-in (real helm, real
Keystone, Magnum's real handlers and periodic jobs), then runs rounds of
Magnum's ClusterUpdateJob and ClusterHealthUpdateJob over every cluster and
reports, per poll of one cluster: the Kubernetes API requests the driver made
(the CAPI simulator's own requests are left out) and the wall time, as
medians, with the ratio to magnum-capi-helm 1.4.0's measured 9 requests per
status poll and 7 per health poll (shared/docs/roadmap.md). A report, not a
test: nothing here asserts a target.

    .venv/bin/python -m benchmarks.status_poll [--clusters 5] [--rounds 5]
"""

import argparse
import statistics
import sys
import time

from magnum import objects
from magnum.service import periodic
from oslo_service import loopingcall

from tests.functional import stack as full_stack

BASELINE = {'status': 9, 'health': 7}
DRIVER_CLIENT = 'pykube-ng'


def _run(job):
    try:
        job()
    except loopingcall.LoopingCallDone:
        pass


def measure(stack, uuids, rounds):
    ctx = stack.admin_context()
    jobs = {
        'status': lambda c: periodic.ClusterUpdateJob(ctx, c).update_status,
        'health': lambda c: periodic.ClusterHealthUpdateJob(
            ctx, c).update_health_status,
    }
    results = {}
    for name, make in jobs.items():
        requests, seconds = [], []
        for _ in range(rounds):
            for uuid in uuids:
                cluster = objects.Cluster.get_by_uuid(ctx, uuid)
                before = len(stack.mc.requests.filter(client=DRIVER_CLIENT))
                start = time.perf_counter()
                _run(make(cluster))
                seconds.append(time.perf_counter() - start)
                requests.append(len(stack.mc.requests.filter(
                    client=DRIVER_CLIENT)) - before)
        results[name] = (statistics.median(requests),
                         statistics.median(seconds))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clusters', type=int, default=5)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--helm', default=None)
    args = parser.parse_args(argv)
    with full_stack.standalone(args.helm, speed=20000) as stack:
        ctx = stack.user_context()
        template = stack.template(ctx)
        uuids = []
        for i in range(args.clusters):
            cluster = stack.create_cluster(ctx, template, node_count=2,
                                           name='bench-%d' % i)
            stack.wait_for(cluster.uuid, full_stack.Status.CREATE_COMPLETE)
            uuids.append(cluster.uuid)
        results = measure(stack, uuids, args.rounds)
        helm = stack.conf.capi_driver.helm_executable
    print('%d clusters, %d rounds, %s' % (args.clusters, args.rounds, helm))
    print('%-8s %18s %14s %22s' % ('poll', 'requests/cluster', 'ms/cluster',
                                   'requests vs baseline'))
    for name, (requests, seconds) in results.items():
        print('%-8s %18.1f %14.1f %21.2fx' % (
            name, requests, seconds * 1000, requests / BASELINE[name]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
