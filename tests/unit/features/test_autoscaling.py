"""The autoscaling feature: scale bounds, their precedence, values."""

import pytest

from magnum_capi_driver import deployments
from magnum_capi_driver import exceptions
from magnum_capi_driver import features
from magnum_capi_driver import spec as spec_module
from magnum_capi_driver import values
from magnum_capi_driver.features import autoscaling
from tests.unit import test_spec

ON = {'auto_scaling_enabled': 'true'}

BOUNDS = [
    # (id, worker attributes, cluster labels, (autoscale, min, max))
    ('Magnum defaults', {'node_count': 2}, ON, (True, 0, 2)),
    ('own min label over the stored 0',
     {'node_count': 3, 'min_node_count': 0, 'max_node_count': 5,
      'labels': {'min_node_count': '2'}}, ON, (True, 2, 5)),
    ('own max label over the unset field',
     {'node_count': 2, 'max_node_count': None,
      'labels': {'max_node_count': '6'}}, ON, (True, 0, 6)),
    ('field the user set wins over the label',
     {'node_count': 3, 'min_node_count': 3, 'max_node_count': 4,
      'labels': {'min_node_count': '1', 'max_node_count': '9'}}, ON,
     (True, 3, 4)),
    ('nodegroup label over cluster label',
     {'node_count': 2, 'labels': {'min_node_count': '2',
                                  'max_node_count': '3'}},
     dict(ON, min_node_count='1', max_node_count='8'), (True, 2, 3)),
    ('cluster labels fill in', {'node_count': 2},
     dict(ON, min_node_count='1', max_node_count='8'), (True, 1, 8)),
    ('min equal to max is a fixed group',
     {'node_count': 2, 'labels': {'min_node_count': '2'}},
     dict(ON, max_node_count='2'), (False, 2, 2)),
]


@pytest.mark.parametrize('worker,cluster_labels,expected',
                         [c[1:] for c in BOUNDS], ids=[c[0] for c in BOUNDS])
def test_bounds(worker, cluster_labels, expected):
    changes = {'worker.' + key: value for key, value in worker.items()}
    changes['cluster.labels'] = cluster_labels
    [group] = test_spec.build(**changes).node_groups
    scaling = group.scaling
    assert (scaling.autoscale, scaling.min_count,
            scaling.max_count) == expected


def test_bounds_reach_the_values():
    spec = test_spec.build(**{'worker.node_count': 3,
                              'worker.labels': {'min_node_count': '2',
                                                'max_node_count': '5'},
                              'cluster.labels': ON})
    [group] = values.render(spec)['nodeGroups']
    assert (group['machineCountMin'], group['machineCountMax']) == (2, 5)


def test_max_below_min_is_refused_naming_the_nodegroup():
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        test_spec.build(**{'worker.labels': {'min_node_count': '4',
                                             'max_node_count': '2'},
                           'cluster.labels': ON})
    assert 'max_node_count of nodegroup default-worker' in str(info.value)


START = [
    # (id, worker attributes, cluster labels, start count or None)
    ('count within the bounds', {'node_count': 2, 'max_node_count': 4},
     ON, 2),
    ('count above the maximum', {'node_count': 5, 'max_node_count': 3}, ON,
     3),
    ('count below the minimum',
     {'node_count': 1, 'labels': {'min_node_count': '2'},
      'max_node_count': 4}, ON, 2),
    ('from zero', {'node_count': 0, 'max_node_count': 3}, ON, 0),
    ('not autoscaled: the chart sets replicas', {'node_count': 2}, {},
     None),
]


@pytest.mark.parametrize('worker,cluster_labels,expected',
                         [c[1:] for c in START], ids=[c[0] for c in START])
def test_a_new_group_starts_at_its_count_clamped(worker, cluster_labels,
                                                 expected):
    changes = {'worker.' + key: value for key, value in worker.items()}
    changes['cluster.labels'] = cluster_labels
    spec = test_spec.build(**changes)
    registry = features.load()
    [group] = spec.node_groups
    assert registry.initial_replicas(spec, group) == expected
    name = '%s-%s' % (spec.release, group.name)
    assert deployments.start_counts(spec, registry, deployments.ALL) == (
        {} if expected is None else {name: expected})
    assert deployments.start_counts(spec, registry, ()) == {}


P = autoscaling.CAPACITY_PREFIX
GROUP = 'capi.stackhpc.com/node-group=default-worker-4btos3'

CAPACITY = [
    # (id, changes, annotations on the MachineDeployment)
    ('fixed group: none', {'worker.node_count': 2}, {}),
    ('autoscaled above zero: none',
     {'worker.labels': {'min_node_count': '1'}, 'worker.node_count': 1,
      'worker.max_node_count': 3, 'cluster.labels': ON}, {}),
    ('from zero', {'worker.node_count': 0, 'worker.max_node_count': 3,
                   'worker.flavor_id': 'f3', 'cluster.labels': ON},
     {P + 'cpu': '4', P + 'memory': '8192M', P + 'ephemeral-disk': '80G',
      P + 'labels': GROUP}),
    ('root volume, node labels and taints',
     {'worker.node_count': 0, 'worker.max_node_count': 3,
      'worker.docker_volume_size': 25, 'worker.node_labels': {'gpu': 'yes'},
      'worker.node_taints': [{'key': 'gpu', 'value': 'only',
                              'effect': 'NoSchedule'}],
      'cluster.labels': ON},
     {P + 'cpu': '2', P + 'memory': '4096M', P + 'ephemeral-disk': '25G',
      P + 'labels': GROUP + ',gpu=yes',
      P + 'taints': 'gpu=only:NoSchedule'}),
    ('GPU flavor', {'worker.node_count': 0, 'worker.max_node_count': 3,
                    'worker.flavor_id': 'gpu', 'cluster.labels': ON},
     {P + 'cpu': '8', P + 'memory': '16384M', P + 'ephemeral-disk': '80G',
      P + 'gpu-count': '2', P + 'gpu-type': 'nvidia.com/gpu',
      P + 'labels': GROUP}),
]


class GpuCloud(test_spec.Cloud):
    FLAVORS = test_spec.Cloud.FLAVORS + [
        {'id': 'gpu', 'name': 'g1.a100', 'vcpus': 8, 'ram': 16384,
         'disk': 80, 'extra_specs': {'pci_passthrough:alias': 'a100:2'}}]


@pytest.mark.parametrize('changes,expected', [c[1:] for c in CAPACITY],
                         ids=[c[0] for c in CAPACITY])
def test_capacity_annotations_on_the_deployment(changes, expected):
    objs = test_spec.inputs()
    for path, value in changes.items():
        name, attr = path.split('.', 1)
        setattr(objs[name], attr, value)
    spec = spec_module.build_cluster_spec(
        objs['cluster'], objs['template'], [objs['master'], objs['worker']],
        GpuCloud(), {}, test_spec.SECRET, test_spec.RELEASE)
    [config] = deployments.desired(spec, features.load()).values()
    assert config['metadata'].get('annotations', {}) == expected
    assert 'spec' not in config
