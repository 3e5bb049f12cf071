"""The autoscaling feature: scale bounds, their precedence, values."""

import pytest

from magnum_capi_driver import exceptions
from magnum_capi_driver import values
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
