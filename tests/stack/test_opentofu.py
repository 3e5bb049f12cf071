"""OpenTofu's request pattern, replayed against the local stack.

terraform-provider-openstack's containerinfra resources (read for the
calls, bodies and microversions; nothing of theirs is used) drive Magnum's
REST API through gophercloud:

* cluster create: ``POST /v1/clusters`` without a microversion, then
  polling ``GET /v1/clusters/{id}`` at once (no delay), every 20 s, pending
  CREATE_IN_PROGRESS, target CREATE_COMPLETE; a 404 reads as
  DELETE_COMPLETE and any *_FAILED stops it with the status_reason;
* nodegroups: ``POST /v1/clusters/{id}/nodegroups`` at microversion 1.9,
  several at once (Terraform's default parallelism), each polled pending
  CREATE_IN_PROGRESS;
* ``node_count``: ``PATCH /v1/clusters/{id}`` replace ``/node_count``,
  polled with no pending list until UPDATE_COMPLETE;
* a ``cluster_template_id`` change: ``POST .../actions/upgrade`` at 1.8
  with ``{"cluster_template": id}``;
* a nodegroup's ``node_count``: ``POST .../actions/resize`` with
  ``{"node_count": n, "nodegroup": id}``, at 1.10 for zero;
* deletes, polled every 10 s until a 404.

Intervals are scaled down (20 s to 1 s). The parallel nodegroup creates
come from separate processes.

Polling at once can see the state from before the request (Magnum's API
returns before the conductor stores a new cluster or nodegroup, so a first
poll may get a 404, and before it marks an existing one in progress),
which the provider's pending lists reject. Polls that still see it are
recorded in ``races`` and polling goes on, as a rerun of ``tofu apply``
would; at the provider's real 20 s interval they are rarer than here.
"""

import concurrent.futures
import time

import pytest

from tests.stack.magnum_api import Magnum
from tests.stack.magnum_api import MASTERLESS
from tests.stack.magnum_api import StateError

NODEGROUPS = ('tofu-a', 'tofu-b', 'tofu-c')
UNSET = 'Cannot convert Unset to primitive'


def _create_nodegroup(args):
    """One `tofu apply` worker's nodegroup create (a separate process)."""
    clouds_yaml, cluster_id, body = args
    magnum = Magnum(clouds_yaml)
    return magnum.ok('POST', '/clusters/%s/nodegroups' % cluster_id, '1.9',
                     json=body)['uuid']


def _template(magnum, name, image):
    """openstack_containerinfra_clustertemplate_v1: every boolean sent."""
    return magnum.ok('POST', '/clustertemplates', json={
        'name': name, 'coe': 'kubernetes', 'image_id': image,
        'external_network_id': 'public',
        'flavor_id': 'Standard Dudingen c002m0004',
        'master_flavor_id': 'Standard Dudingen c002m0004',
        'network_driver': 'calico', 'server_type': 'vm',
        'master_lb_enabled': True, 'floating_ip_enabled': False,
        'tls_disabled': False, 'public': False, 'registry_enabled': False,
        'hidden': False, 'labels': {}})['uuid']


def _worker_count(magnum, cluster_id):
    """The provider reads node_count from the default worker nodegroup."""
    for ng in magnum.ok('GET', '/clusters/%s/nodegroups' % cluster_id,
                        '1.9')['nodegroups']:
        if ng['is_default'] and ng['role'] != 'master':
            return ng['node_count']


@pytest.fixture(scope='module')
def applied(local_stack):
    """Run the whole provider sequence; returns what it saw."""
    magnum = Magnum(local_stack.clouds_yaml)
    seen = {}
    old = _template(magnum, 'tofu v1.31', 'ubuntu-2204-kube-v1.31')
    new = _template(magnum, 'tofu v1.32', 'ubuntu-2204-kube-v1.32')

    cluster_id = magnum.ok('POST', '/clusters', json={
        'cluster_template_id': old, 'name': 'tofu', 'keypair': 'default',
        'labels': {}, 'master_count': 1, 'node_count': 1,
        'create_timeout': 60, 'floating_ip_enabled': False,
        'merge_labels': False, 'master_lb_enabled': True})['uuid']
    path = '/clusters/%s' % cluster_id
    seen['created'] = magnum.wait(path, ['CREATE_COMPLETE'],
                                  ['CREATE_IN_PROGRESS'],
                                  before='DELETE_COMPLETE')

    # gophercloud leaves out empty strings, maps and zero counts.
    bodies = [(local_stack.clouds_yaml, cluster_id,
               {'name': name, 'node_count': 1}) for name in NODEGROUPS]
    with concurrent.futures.ProcessPoolExecutor(len(bodies)) as pool:
        ng_ids = list(pool.map(_create_nodegroup, bodies))
    seen['nodegroups'] = [magnum.wait(
        '%s/nodegroups/%s' % (path, ng_id), ['CREATE_COMPLETE'],
        ['CREATE_IN_PROGRESS'], before='DELETE_COMPLETE',
        microversion='1.9') for ng_id in ng_ids]

    magnum.ok('PATCH', path, json=[
        {'op': 'replace', 'path': '/node_count', 'value': 2}])
    magnum.wait(path, ['UPDATE_COMPLETE'])
    seen['patched'] = wait_for(
        lambda: _worker_count(magnum, cluster_id) == 2 and
        magnum.refresh(path)[0] == 'UPDATE_COMPLETE')

    reply = magnum.request('POST', path + '/actions/upgrade', '1.8',
                           json={'cluster_template': new})
    seen['upgrade_reply'] = (reply.status_code, reply.text)
    if reply.status_code == 500 and UNSET in reply.text:
        # Magnum's bug, not the driver's: see test_upgrade_request_as_sent.
        magnum.ok('POST', path + '/actions/upgrade', '1.8',
                  json={'cluster_template': new, 'max_batch_size': 1})
    magnum.wait(path, ['UPDATE_COMPLETE'])
    seen['upgraded'] = wait_for(lambda: _upgraded(magnum, path, new))

    ng_path = '%s/nodegroups/%s' % (path, ng_ids[0])
    before = magnum.refresh(ng_path, '1.9')[0]
    magnum.ok('POST', path + '/actions/resize', '1.10',
              json={'node_count': 0, 'nodegroup': ng_ids[0]})
    # The nodegroup may still show UPDATE_COMPLETE from the upgrade: the
    # provider then returns at once; the next plan reads the real state.
    magnum.wait(ng_path, ['UPDATE_COMPLETE'], ['UPDATE_IN_PROGRESS'],
                before=before, microversion='1.9')
    seen['zero'] = wait_for(lambda: _resized(magnum, ng_path, 0))

    ng_paths = ['%s/nodegroups/%s' % (path, ng_id) for ng_id in ng_ids]
    # The conductor, not the API, marks a nodegroup DELETE_IN_PROGRESS.
    befores = [magnum.refresh(ng, '1.9')[0] for ng in ng_paths]
    for ng in ng_paths:
        magnum.ok('DELETE', ng, '1.9')
    for ng, before in zip(ng_paths, befores):
        magnum.wait(ng, ['DELETE_COMPLETE'], ['DELETE_IN_PROGRESS'],
                    before=before, interval=10.0, microversion='1.9')
    magnum.ok('DELETE', path)
    magnum.wait(path, ['DELETE_COMPLETE'], interval=10.0)
    seen['races'] = magnum.races
    return seen


def wait_for(predicate, timeout=600):
    """What the next `tofu plan` would read once the apply is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(1)
    raise StateError('not reached in %ss' % timeout)


def _resized(magnum, path, count):
    state, body = magnum.refresh(path, '1.9')
    return body if state == 'UPDATE_COMPLETE' and \
        body['node_count'] == count else None


def _upgraded(magnum, path, template):
    state, body = magnum.refresh(path)
    return body if state == 'UPDATE_COMPLETE' and \
        body['cluster_template_id'] == template and \
        body['coe_version'] == 'v1.32.1' else None


def test_create_polled_at_once_ends_complete(applied):
    created = applied['created']
    assert created['status'] == 'CREATE_COMPLETE'
    assert created['api_address'].startswith('https://')
    assert created['coe_version'] == 'v1.31.4'


def test_parallel_nodegroups_all_land(applied):
    landed = applied['nodegroups']
    assert sorted(ng['name'] for ng in landed) == sorted(NODEGROUPS)
    assert all(ng['status'] == 'CREATE_COMPLETE' for ng in landed)
    assert all(ng['node_count'] == 1 for ng in landed)


def test_patched_node_count_is_applied(applied):
    assert applied['patched'] is True


def test_upgrade_request_as_sent(applied):
    """The provider sends no max_batch_size; Magnum 23 then fails.

    Magnum's API passes the unset field into the RPC call, which cannot
    serialise it: a 500 before any driver is asked. The openstack CLI always
    sends max_batch_size, so only OpenTofu users meet this. When Magnum
    fixes it, this test fails and the workaround in ``applied`` can go.
    """
    status, text = applied['upgrade_reply']
    assert (status, UNSET in text) == (500, True)


def test_template_change_is_an_upgrade(applied):
    assert applied['upgraded']['status_reason'] is None


def test_nodegroup_resized_to_zero(applied):
    assert applied['zero']['node_count'] == 0
    assert applied['zero']['status'] == 'UPDATE_COMPLETE'


def test_only_magnums_own_first_poll_race_is_seen(applied):
    """Each race is a poll that saw the state from before the request."""
    for path, state in applied['races']:
        assert state in ('DELETE_COMPLETE', 'CREATE_COMPLETE',
                         'UPDATE_COMPLETE', MASTERLESS), (path, state)
