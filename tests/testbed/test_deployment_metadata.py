"""The driver's MachineDeployment fields survive Helm, with helm 3 and 4.

The release is installed and upgraded by the real helm binaries on the API
server stand-in (helm 3 patches, helm 4 applies server-side), with values
the driver renders; after each helm run the driver's hook applies its own
fields (capacity annotations, users' machine labels and annotations, the
start count of a new autoscaled group) with its field manager, as the
driver does after every successful helm apply.
"""

import pykube
import pytest

from magnum_capi_driver import deployments
from magnum_capi_driver import kube
from magnum_capi_driver import values
from tests.testbed import test_chart_lifecycle as lifecycle
from tests.testbed.test_chart_lifecycle import api  # noqa: F401 fixture
from tests.testbed.test_chart_lifecycle import helm  # noqa: F401 fixture
from tests.testbed.test_chart_lifecycle import mc  # noqa: F401 fixture
from tests.unit import test_spec

NAMESPACE = lifecycle.NAMESPACE
CAPACITY = 'capacity.cluster-autoscaler.kubernetes.io/'
MAX_SIZE = 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'


def build(max_count=3, flavor='f2', autoscale='true', labels=None):
    return test_spec.build(**{
        'worker.node_count': 2, 'worker.max_node_count': max_count,
        'worker.flavor_id': flavor,
        'worker.labels': dict(labels or {}),
        'cluster.labels': {'auto_scaling_enabled': autoscale}})


@pytest.fixture
def driver_kube(mc):  # noqa: F811 the stand-in fixture
    return kube.Kube(pykube.KubeConfig.from_file(mc.kubeconfig))


def release(helm, spec, first=False):  # noqa: F811 the helm fixture
    """Helm, then the driver's hook, as the driver's apply does."""
    args = ['upgrade', '--install', spec.release, str(lifecycle.chart.CHART)]
    if first:
        args.append('--create-namespace')
    helm(*args, values=values.render(spec))


def deployment(api, spec):  # noqa: F811 the pykube fixture
    name = '%s-%s' % (spec.release, spec.node_groups[0].name)
    return lifecycle.by_name(api, lifecycle.MACHINE_DEPLOYMENTS)[name]


def managers(md):
    return {(e['manager'], e['operation'])
            for e in md['metadata'].get('managedFields') or []}


def test_metadata_survives_helm_and_follows_the_spec(
        helm, api, driver_kube):  # noqa: F811 fixtures
    team = {'machine_label:example.com/team': 'blue',
            'machine_annotation:example.com/owner': 'ops: on call'}
    spec = build(labels=team)
    release(helm, spec, first=True)
    deployments.after_apply(driver_kube, NAMESPACE, spec, deployments.ALL)
    md = deployment(api, spec)
    notes = md['metadata']['annotations']
    assert (notes[CAPACITY + 'cpu'], notes[CAPACITY + 'memory']) == \
        ('2', '4096M')
    assert notes['example.com/owner'] == 'ops: on call'
    assert md['metadata']['labels']['example.com/team'] == 'blue'
    template = md['spec']['template']['metadata']
    assert template['labels']['example.com/team'] == 'blue'
    assert template['annotations'] == {'example.com/owner': 'ops: on call'}
    # A new autoscaled group starts at its node_count, not at the minimum.
    assert md['spec']['replicas'] == 2
    assert (deployments.FIELD_MANAGER, 'Apply') in managers(md)

    # An upgrade that changes the chart's own annotation keeps the driver's.
    spec = build(max_count=5, labels=team)
    release(helm, spec)
    md = deployment(api, spec)
    notes = md['metadata']['annotations']
    assert notes[MAX_SIZE] == '5'
    assert notes[CAPACITY + 'cpu'] == '2'
    assert notes['example.com/owner'] == 'ops: on call'
    assert md['metadata']['labels']['example.com/team'] == 'blue'
    assert md['spec']['template']['metadata']['labels'][
        'example.com/team'] == 'blue'
    assert md['spec']['replicas'] == 2
    deployments.after_apply(driver_kube, NAMESPACE, spec)

    # A new flavor changes the capacity; a removed label goes.
    spec = build(max_count=5, flavor='f3',
                 labels={'machine_annotation:example.com/owner': 'ops'})
    release(helm, spec)
    deployments.after_apply(driver_kube, NAMESPACE, spec)
    md = deployment(api, spec)
    notes = md['metadata']['annotations']
    assert (notes[CAPACITY + 'cpu'], notes[CAPACITY + 'memory'],
            notes[CAPACITY + 'ephemeral-disk']) == ('4', '8192M', '80G')
    assert notes['example.com/owner'] == 'ops'
    assert 'example.com/team' not in md['metadata'].get('labels', {})
    assert 'example.com/team' not in md['spec']['template']['metadata'].get(
        'labels', {})
    assert md['spec']['replicas'] == 2

    # Autoscaling off: the capacity annotations go, the chart's count rules.
    spec = build(max_count=5, flavor='f3', autoscale='false')
    release(helm, spec)
    deployments.after_apply(driver_kube, NAMESPACE, spec)
    md = deployment(api, spec)
    notes = md['metadata'].get('annotations') or {}
    assert not [key for key in notes if key.startswith(CAPACITY)]
    assert 'example.com/owner' not in notes
    assert 'example.com/owner' not in (
        md['spec']['template']['metadata'].get('annotations') or {})
    assert md['spec']['replicas'] == 2
    assert MAX_SIZE not in notes

    # And another helm upgrade leaves the group as the driver left it.
    release(helm, spec)
    md = deployment(api, spec)
    assert not [key for key in md['metadata'].get('annotations') or {}
                if key.startswith(CAPACITY)]
