"""What Horizon's Create Cluster wizard (magnum-ui 19) sends, as stored.

Each quirk of the wizard's request (read from magnum-ui's create.service.js,
cluster-template.controller.js and its REST proxy, and seen through the
dashboard test) gets one case here, built into a spec the way the driver
builds it. Magnum stores label values as strings, so every label arrives
as text: the wizard's JavaScript booleans and numbers become "True",
"False", "0"; its REST proxy also turns the top-level fields into text,
which Magnum's API converts back into numbers and booleans.
"""

import types

import pytest

from magnum_capi_driver import driver
from magnum_capi_driver import spec
from tests.unit.test_spec import build

# The template's labels, copied by the wizard into the cluster's labels.
TEMPLATE_LABELS = {'boot_volume_size': '20', 'monitoring_enabled': 'false'}
# The labels of a cluster created with the wizard, as Magnum stored them
# (dashboard test: auto-scaling ticked, 0 to 4 workers, one zone, and the
# user's label "CSI_Cinder_Reclaim_Policy=Retain").
WIZARD_LABELS = dict(
    TEMPLATE_LABELS, availability_zone='Düdingen Nord',
    auto_scaling_enabled='True', auto_healing_enabled='False',
    master_lb_floating_ip_enabled='False', min_node_count='0',
    max_node_count='4', csi_cinder_reclaim_policy='retain')


def wizard(**changes):
    """A spec of a wizard-made cluster: flavor names, two workers."""
    given = {'template.labels': dict(TEMPLATE_LABELS),
             'cluster.labels': dict(WIZARD_LABELS),
             'cluster.master_flavor_id': 'm1.large',
             'cluster.flavor_id': 'm1.medium', 'cluster.keypair': 'default',
             'cluster.create_timeout': 60, 'worker.node_count': 2}
    given.update(changes)
    return build(**given)


def test_the_wizards_cluster_builds():
    result = wizard()
    [group] = result.node_groups
    assert (group.scaling.autoscale, group.scaling.min_count,
            group.scaling.max_count, group.scaling.initial_count) == \
        (True, 0, 4, 2)
    assert result.control_plane.availability_zone == 'Düdingen Nord'
    assert group.availability_zone == 'Düdingen Nord'
    assert result.storage_class.reclaim_policy == 'Retain'
    assert result.keypair == 'default'


def _group(result):
    [group] = result.node_groups
    return group


@pytest.mark.parametrize('quirk,changes,read,expected', [
    # The wizard's JavaScript booleans arrive as Python's str(): "True".
    ('booleans as "True"/"False"',
     {'cluster.labels': dict(WIZARD_LABELS, auto_scaling_enabled='True')},
     lambda r: _group(r).scaling.autoscale, True),
    ('auto healing "False"',
     {'cluster.labels': dict(WIZARD_LABELS, auto_healing_enabled='False')},
     lambda r: r.auto_healing, False),
    # min_node_count 0 is a number in the wizard, "0" once stored.
    ('minimum of zero as "0"', {},
     lambda r: _group(r).scaling.min_count, 0),
    # The wizard lists flavors by name and sends the names.
    ('control plane flavor by name', {},
     lambda r: r.control_plane.flavor.name, 'm1.large'),
    ('worker flavor by name', {'cluster.flavor_id': 'm1.small'},
     lambda r: _group(r).flavor.name, 'm1.small'),
    # "Additional Labels" are lower-cased, keys and values.
    ('lower-cased choice value',
     {'cluster.labels': dict(WIZARD_LABELS,
                             csi_cinder_volume_binding_mode='immediate')},
     lambda r: r.storage_class.binding_mode, 'Immediate'),
    ('lower-cased boolean value',
     {'cluster.labels': dict(WIZARD_LABELS,
                             csi_cinder_allow_volume_expansion='false')},
     lambda r: r.storage_class.allow_expansion, False),
    # The zone is a label; zone names have spaces and any letters.
    ('availability_zone label', {},
     lambda r: r.control_plane.availability_zone, 'Düdingen Nord'),
    # Template labels are copied into the cluster; a template-only label
    # copied there is not the cluster's to change.
    ('template-only label copied into the cluster',
     {'template.labels': dict(TEMPLATE_LABELS,
                              capi_helm_chart_version='0.26.1'),
      'cluster.labels': dict(WIZARD_LABELS,
                             capi_helm_chart_version='0.26.1')},
     lambda r: r.chart_version, '0.26.1'),
    ('template label copied into the cluster', {},
     lambda r: r.control_plane.root_volume.size_gb, 20),
    # master_lb_floating_ip_enabled is always sent ("False" unless ticked)
    # and wins over the template's floating_ip_enabled.
    ('floating IP label over the template field',
     {'template.floating_ip_enabled': True},
     lambda r: r.api_server.floating_ip, False),
    # Add-on and ingress label sets of other drivers are ignored.
    ('labels of other drivers',
     {'cluster.labels': dict(WIZARD_LABELS, ingress_controller='octavia',
                             cinder_csi_enabled='true')},
     lambda r: r.addons.cni, 'calico'),
])
def test_quirk(quirk, changes, read, expected):
    assert read(wizard(**changes)) == expected


def test_copied_kube_tag_follows_the_new_template_on_upgrade():
    """The wizard copies the template's kube_tag into the cluster."""
    labels = dict(WIZARD_LABELS, kube_tag='v1.31.4')
    assert spec.upgraded_labels(labels, {'kube_tag': 'v1.32.1'})[
        'kube_tag'] == 'v1.32.1'
    assert 'kube_tag' not in spec.upgraded_labels(labels, {})


def test_create_timeout_of_the_wizard_is_the_create_deadline():
    """The wizard always sends create_timeout 60 (minutes)."""
    cluster = types.SimpleNamespace(create_timeout=60)
    assert driver.Driver._timeouts(cluster)['create'] == 3600
