"""Users' machine labels and annotations: syntax, checks, precedence."""

import pytest

from magnum_capi_driver import deployments
from magnum_capi_driver import exceptions
from magnum_capi_driver import features
from magnum_capi_driver import labels
from tests.unit import test_spec

GOOD = [
    # (id, changes, (labels, annotations) of the worker group)
    ('none', {}, ((), ())),
    ('on the nodegroup', {'worker.labels': {
        'machine_label:example.com/team': 'blue',
        'machine_annotation:example.com/owner': 'team blue: ops #1'}},
     ((('example.com/team', 'blue'),),
      (('example.com/owner', 'team blue: ops #1'),))),
    ('nodegroup wins per key', {
        'template.labels': {'machine_label:tier': 'gold',
                            'machine_label:zone': 'a'},
        'cluster.labels': {'machine_label:tier': 'silver'},
        'worker.labels': {'machine_label:zone': 'b'}},
     ((('tier', 'silver'), ('zone', 'b')), ())),
    ('site default', {'site': {'machine_annotation:example.com/site': 'x'}},
     ((), (('example.com/site', 'x'),))),
    ('empty label value', {'worker.labels': {'machine_label:flag': ''}},
     ((('flag', ''),), ())),
    ('numbers stay text', {'worker.labels': {'machine_label:year': '2024',
                                             'machine_annotation:on': 'on'}},
     ((('year', '2024'),), (('on', 'on'),))),
]


@pytest.mark.parametrize('changes,expected', [c[1:] for c in GOOD],
                         ids=[c[0] for c in GOOD])
def test_machine_metadata(changes, expected):
    [group] = test_spec.build(**changes).node_groups
    found = group.machine_metadata
    assert (found.labels, found.annotations) == expected


BAD = [
    # (id, nodegroup labels, words in the error)
    ('reserved CAPI key', {'machine_label:cluster.x-k8s.io/x': 'a'},
     ['machine_label:cluster.x-k8s.io/x', 'not ending in kubernetes.io']),
    ('reserved kubernetes key', {'machine_annotation:kubernetes.io/x': 'a'},
     ['kubernetes.io/x']),
    ('chart key', {'machine_label:capi.stackhpc.com/node-group': 'a'},
     ['capi.stackhpc.com']),
    ('bad key', {'machine_label:-bad': 'a'}, ["'-bad'", '[prefix/]name']),
    ('empty key', {'machine_label:': 'a'}, ['Kubernetes key']),
    ('bad label value', {'machine_label:team': 'blue team'},
     ["'blue team'", 'label value']),
    ('long label value', {'machine_label:team': 'x' * 64}, ['label value']),
    ('annotation with a newline', {'machine_annotation:note': 'a\nb'},
     ['control characters']),
    ('huge annotation', {'machine_annotation:note': 'x' * 5000},
     ['at most 4096']),
]


@pytest.mark.parametrize('raw,words', [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_refused(raw, words):
    with pytest.raises(exceptions.InvalidClusterInput) as info:
        test_spec.build(**{'worker.labels': raw})
    for word in words:
        assert word in str(info.value)
    assert 'nodegroup default-worker' in str(info.value)


def test_site_defaults_accept_the_families():
    conf = type('Conf', (), {
        'capi_driver': type('Opts', (), {'default_labels': {
            'machine_annotation:example.com/site': 'x'}}),
        'cinder': None})
    assert labels.site_defaults(conf) == {
        'machine_annotation:example.com/site': 'x'}


def _desired(**changes):
    spec = test_spec.build(**changes)
    [(name, config)] = deployments.desired(spec, features.load()).items()
    assert name == '%s-%s' % (spec.release, spec.node_groups[0].name)
    return name, config


def test_applied_on_the_deployment_and_its_machines():
    name, config = _desired(**{'worker.labels': {
        'machine_label:team': 'blue', 'machine_annotation:owner': 'ops'}})
    assert config == {
        'apiVersion': 'cluster.x-k8s.io/v1beta1', 'kind': 'MachineDeployment',
        'metadata': {'name': name, 'labels': {'team': 'blue'},
                     'annotations': {'owner': 'ops'}},
        'spec': {'template': {'metadata': {'labels': {'team': 'blue'},
                                           'annotations': {'owner': 'ops'}}}}}


def test_nothing_to_keep_is_an_empty_configuration():
    name, config = _desired()
    assert config == {'apiVersion': 'cluster.x-k8s.io/v1beta1',
                      'kind': 'MachineDeployment',
                      'metadata': {'name': name}}
