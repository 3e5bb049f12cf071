"""Every free-text value reaches the manifests as the string it was given.

The openstack-cluster chart writes several values bare (``sshKeyName:
{{ . }}``, flavors, volume types, zones), so a string that YAML reads as
something else would change type in the manifests, and ``a: b`` would break
the render. For each such field and each nasty string, the driver either
refuses the value when it builds the spec (naming the field) or the real
helm render of the test chart carries exactly that string.
"""

import json
import subprocess

import pytest
import yaml

from magnum_capi_driver import exceptions
from magnum_capi_driver import spec as spec_module
from magnum_capi_driver import values
from tests.fixtures import cloud as fake
from tests.unit import test_spec
from tests.unit import test_values

NASTY = ['2024', 'on', 'y', 'Y', '1e3', 'null', '~', 'a: b', '#x', '0123',
         '0x1f', 'inf', 'yes', 'Zürich-Ost', 'gold tier', 'tier:gold',
         'x' * 255, 'x' * 256]
# Strings that must reach the manifests unchanged wherever text is allowed.
MUST_PASS = {'Zürich-Ost', 'gold tier'}
# Strings that YAML would turn into another type or another document.
MUST_REFUSE = {'2024', 'on', 'y', 'Y', '1e3', 'null', '~', 'a: b', '#x',
               '0123', '0x1f', 'inf', 'yes'}


def _osmts(objs):
    return [o for o in objs if o['kind'] == 'OpenStackMachineTemplate']


def _kind(objs, kind, part=''):
    return [o for o in objs if o['kind'] == kind
            and part in o['metadata']['name']]


def _storage_class(objs):
    [manifests] = [o for o in objs if o['kind'] == 'Manifests'
                   and 'storageclass' in o['metadata']['name']]
    return yaml.safe_load(manifests['spec']['manifestSources'][0]['template'])


# Fields the chart quotes (node labels are joined into a quoted kubelet
# flag): a value there keeps its type anyway, so no refusal is required.
QUOTED = {'node label value'}

FIELDS = {
    # field: (changes for the text, rendered values read back)
    'keypair': (
        lambda s: {'cluster.keypair': s},
        lambda objs: [o['spec']['template']['spec']['sshKeyName']
                      for o in _osmts(objs)]),
    'availability_zone (cluster)': (
        lambda s: {'cluster.labels': {'availability_zone': s}},
        lambda objs: _kind(objs, 'OpenStackCluster')[0]['spec'][
            'controlPlaneAvailabilityZones'] + [
            md['spec']['template']['spec']['failureDomain']
            for md in _kind(objs, 'MachineDeployment')]),
    'availability_zone (nodegroup)': (
        lambda s: {'worker.labels': {'availability_zone': s}},
        lambda objs: [md['spec']['template']['spec']['failureDomain']
                      for md in _kind(objs, 'MachineDeployment')]),
    'boot_volume_type': (
        lambda s: {'cluster.labels': {'boot_volume_size': '20',
                                      'boot_volume_type': s}},
        lambda objs: [o['spec']['template']['spec']['rootVolume']['type']
                      for o in _osmts(objs)]),
    'etcd_blockdevice_volume_type': (
        lambda s: {'cluster.labels': {'etcd_blockdevice_size': '5',
                                      'etcd_blockdevice_volume_type': s}},
        lambda objs: [d['storage']['volume']['type']
                      for o in _osmts(objs)
                      for d in o['spec']['template']['spec'].get(
                          'additionalBlockDevices', [])]),
    'etcd_blockdevice_volume_az': (
        lambda s: {'cluster.labels': {'etcd_blockdevice_size': '5',
                                      'etcd_blockdevice_volume_az': s}},
        lambda objs: [d['storage']['volume']['availabilityZone']['name']
                      for o in _osmts(objs)
                      for d in o['spec']['template']['spec'].get(
                          'additionalBlockDevices', [])]),
    'csi_cinder_availability_zone': (
        lambda s: {'cluster.labels': {'csi_cinder_availability_zone': s}},
        lambda objs: [_storage_class(objs)['parameters']['availability']]),
    'flavor name': (
        lambda s: {'worker.flavor_id': 'nasty:' + s},
        lambda objs: [o['spec']['template']['spec']['flavor']
                      for o in _osmts(objs) if 'control-plane' not in
                      o['metadata']['name']]),
    'node label value': (
        lambda s: {'worker.node_labels': {'team': s}},
        lambda objs: [dict(pair.split('=', 1) for pair in
                           c['spec']['template']['spec']['joinConfiguration'][
                               'nodeRegistration']['kubeletExtraArgs'][
                               'node-labels'].split(','))['team']
                      for c in _kind(objs, 'KubeadmConfigTemplate')]),
}


class NastyCloud(test_spec.Cloud):
    """The test cloud, plus one flavor named after each nasty string."""

    FLAVORS = test_spec.Cloud.FLAVORS + [
        dict(fake.FLAVORS[1], id='nasty:' + text, name=text)
        for text in NASTY]


def build(changes):
    objs = test_spec.inputs()
    for path, value in changes.items():
        name, attr = path.split('.', 1)
        setattr(objs[name], attr, value)
    return spec_module.build_cluster_spec(
        objs['cluster'], objs['template'], [objs['master'], objs['worker']],
        NastyCloud(), {}, test_spec.SECRET, test_spec.RELEASE)


def helm_render(helm, cluster_spec, tmp_path):
    path = tmp_path / 'values.json'
    path.write_text(json.dumps(values.render(cluster_spec)))
    result = subprocess.run(
        [helm, 'template', cluster_spec.release,
         str(test_values.CHART), '--namespace', 'ns', '-f', str(path)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [o for o in yaml.safe_load_all(result.stdout) if o]


CASES = [(field, text) for field in FIELDS for text in NASTY]


@pytest.mark.parametrize('field,text', CASES,
                         ids=['%s=%s' % (f, t[:12]) for f, t in CASES])
def test_value_keeps_its_type_or_is_refused(field, text, tools_bin,
                                            tmp_path):
    changes, read_back = FIELDS[field]
    try:
        cluster_spec = build(changes(text))
    except exceptions.InvalidClusterInput as exc:
        assert field in QUOTED or text not in MUST_PASS, str(exc)
        assert repr(text) in str(exc)
        return
    assert field in QUOTED or text not in MUST_REFUSE
    objs = helm_render(str(tools_bin / 'helm3'), cluster_spec, tmp_path)
    found = read_back(objs)
    assert found and all(type(value) is str and value == text
                         for value in found), found
