"""A cluster's life through Horizon's magnum-ui, in a real browser.

Headless Chromium on the local stack's dashboard (``tools.stack up
--dashboard``): the member logs in, creates a cluster template, then a
cluster through the Create Cluster wizard filled as a person fills it, and
watches the clusters table until it is complete; then resizes and deletes
it. The wizard's own requests (string booleans, flavor names, template
labels copied into the cluster, lower-cased user labels, an
availability_zone label, create_timeout) reach Magnum and the driver as
they do in production. magnum-ui has no nodegroup panel: nodegroups are
not reachable from the dashboard.

Checks are on what the pages show (table cells, messages); a screenshot
of each step is saved under the test's temporary directory, and also into
``$MAGNUM_CAPI_DASHBOARD_SCREENS`` when set (see tools.dashboard_screens).
"""

import os

import pytest
import yaml

from tests.stack import browser as chromium
from tests.unit import test_horizon_wizard

TEMPLATE = 'kubernetes-v1.31'
IMAGE = 'ubuntu-2204-kube-v1.31'
FLAVOR = 'Standard Dudingen c002m0004'
MASTER_FLAVOR = 'Standard Dudingen c004m0008'
ZONE = 'Düdingen Nord'
# Magnum accepts only ASCII letters, digits, "_", "." and "-" in names.
ACCENTED = 'démo-düdingen'
NAME = 'demo-dudingen'
CLUSTERS = '/project/clusters'
TEMPLATES = '/project/cluster_templates'
CREATE_TIMEOUT = 240


@pytest.fixture
def browser(local_stack, tmp_path):
    if not local_stack.dashboard_url:
        pytest.fail('the stack under test runs without --dashboard')
    shots = os.environ.get('MAGNUM_CAPI_DASHBOARD_SCREENS') or str(
        tmp_path / 'screenshots')
    window = chromium.Browser(local_stack.dashboard_url, shots)
    yield window
    window.close()


def _member(local_stack):
    with open(local_stack.clouds_yaml) as f:
        return yaml.safe_load(f)['clouds']['magnum-capi']['auth']


def _create_template(browser):
    browser.open(TEMPLATES)
    browser.click('Create Cluster Template')
    browser.fill('name', TEMPLATE)
    browser.choose('coe', 'Kubernetes')
    browser.shot('template-info')
    browser.step('Node Spec')
    browser.choose('image_id', IMAGE)
    browser.choose('keypair_id', 'default')
    browser.choose('flavor_id', FLAVOR)
    browser.choose('master_flavor_id', MASTER_FLAVOR)
    browser.shot('template-node-spec')
    browser.step('Network')
    browser.choose('network_driver', 'Calico')
    browser.choose('external_network_id', 'public')
    browser.check('master_lb_enabled')
    browser.step('Labels')
    browser.fill('labels', 'boot_volume_size=20,monitoring_enabled=false')
    browser.shot('template-labels')
    browser.click('Submit', browser.modal)
    seen = browser.watch(TEMPLATES, TEMPLATE, lambda cells: cells,
                         timeout=30)
    browser.shot('template-created')
    return seen[-1]


def _create_cluster(browser):
    browser.open(CLUSTERS)
    browser.click('Create Cluster')
    browser.fill('name', ACCENTED)
    browser.wait(lambda d: 'Cluster name must begin with an alphabetical'
                 in browser.modal.text, message='accented name accepted')
    browser.shot('cluster-name-refused')
    browser.fill('name', NAME)
    browser.choose('cluster_template_id', TEMPLATE)
    browser.choose('availability_zone', ZONE)
    browser.choose('keypair', 'default')
    browser.shot('cluster-details')
    browser.step('Size')
    browser.fill('master_count', 3)
    browser.choose('master_flavor_id', MASTER_FLAVOR)
    browser.fill('node_count', 2)
    browser.choose('flavor_id', FLAVOR)
    browser.check('auto_scaling_enabled')
    browser.fill('min_node_count', 0)
    browser.fill('max_node_count', 4)
    browser.shot('cluster-size')
    browser.step('Advanced')
    browser.fill('labels', 'CSI_Cinder_Reclaim_Policy=Retain')
    browser.shot('cluster-labels')
    browser.click('Submit', browser.modal)
    browser.wait(lambda d: any('successfully created' in t
                               for t in browser.toasts()),
                 message='no confirmation of the create')
    browser.shot('cluster-submitted')


def _stored(local_stack, member):
    """The cluster as Magnum stored the wizard's request."""
    from keystoneauth1.identity import v3
    from keystoneauth1 import session
    auth = v3.Password(**member)
    reply = session.Session(auth=auth).get(
        '%s/clusters/%s' % (local_stack.magnum_url, NAME),
        headers={'OpenStack-API-Version': 'container-infra latest'})
    return reply.json()


def _status(wanted):
    def done(cells):
        if cells and cells['Status'].endswith('FAILED'):
            raise AssertionError('the dashboard shows %s' % cells)
        return bool(cells) and cells['Status'] == wanted
    return done


def _resize(browser, count):
    browser.row_action(NAME, 'Resize Cluster')
    browser.fill('node_count', count)
    browser.shot('cluster-resize')
    browser.click('Submit', browser.modal)


def _delete(browser, path, name, action, confirm):
    browser.open(path)
    browser.row_action(name, action)
    browser.click(confirm, browser.modal.find_element('css selector',
                                                      '.modal-footer'))


def test_cluster_life_in_the_dashboard(local_stack, browser):
    member = _member(local_stack)
    browser.login(member['username'], member['password'])
    template = _create_template(browser)
    assert (template['Name'], template['Keypair'],
            template['Network Driver']) == (TEMPLATE, 'default', 'calico')

    _create_cluster(browser)
    seen = browser.watch(CLUSTERS, NAME, _status('CREATE_COMPLETE'),
                         CREATE_TIMEOUT)
    browser.shot('cluster-complete')
    assert {cells['Status'] for cells in seen} <= {
        'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'}, seen
    complete = seen[-1]
    assert complete['Control Plane Node Count'] == '3'
    assert complete['Node Count'] == '2'
    assert complete['Kubernetes Version'] == 'v1.31.4'
    # What tests/unit/test_horizon_wizard.py builds is what the wizard sent.
    stored = _stored(local_stack, member)
    assert stored['labels'] == test_horizon_wizard.WIZARD_LABELS
    assert (stored['master_flavor_id'], stored['flavor_id'],
            stored['create_timeout'], stored['keypair']) == (
        MASTER_FLAVOR, FLAVOR, 60, 'default')

    # The group is autoscaled: the resize is accepted, and the count shown
    # afterwards is the autoscaler's, which the driver copies back
    # (doc/source/labels.rst, "Autoscaling bounds").
    _resize(browser, 1)
    seen = browser.watch(CLUSTERS, NAME, _status('UPDATE_COMPLETE'), 120)
    browser.shot('cluster-resized')
    assert (seen[-1]['Control Plane Node Count'],
            seen[-1]['Node Count']) == ('3', '2'), seen

    _delete(browser, CLUSTERS, NAME, 'Delete Cluster', 'Delete Cluster')
    seen = browser.watch(CLUSTERS, NAME, lambda cells: cells is None, 120)
    browser.shot('cluster-deleted')
    assert {cells['Status'] for cells in seen if cells} <= {
        'UPDATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE'}, seen

    _delete(browser, TEMPLATES, TEMPLATE, 'Delete Cluster Template',
            'Delete Cluster Template')
    browser.watch(TEMPLATES, TEMPLATE, lambda cells: cells is None, 30)
