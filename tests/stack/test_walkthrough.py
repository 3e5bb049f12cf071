"""The README's walkthrough, through the real openstack CLI, checked.

tools.walkthrough runs the unmodified ``openstack coe`` commands against
the local stack (Keystone, magnum-api, two conductor services over RabbitMQ,
MariaDB, the management-cluster stand-in), and again against the embedded
fallback a laptop without those servers gets. Here every status a step saw
and every field a user relies on afterwards is checked. A status poll may
miss a short *_IN_PROGRESS window, so each step checks that what it saw
is a path through its allowed statuses ending where it must, not how
many polls caught each status.
"""

import os
import re

import pytest

from tools import walkthrough

TEMPLATES, CREATE, NODEGROUPS, RESIZE, UPGRADE, CONFIG, ROTATE, \
    DELETE_NG, DELETE = range(9)


@pytest.fixture(scope='module', params=['local_stack', 'embedded_stack'])
def walked(request):
    """(steps, transcript) of one walkthrough on each kind of stack."""
    running = request.getfixturevalue(request.param)
    transcript = []
    cli = walkthrough.CLI(running.clouds_yaml, out=transcript.append)
    steps = walkthrough.walk(cli)
    return steps, '\n'.join(transcript)


def path(steps, index, allowed, final):
    step = steps[index]
    assert step.statuses, step
    assert set(step.statuses) <= set(allowed), step.statuses
    assert step.statuses[-1] == final, step.statuses
    return step


def test_templates_are_public_and_use_the_driver(walked):
    templates = walked[0][TEMPLATES].facts['templates']
    for name in (walkthrough.TEMPLATE, walkthrough.NEW_TEMPLATE):
        assert templates[name]['public'] is True
        assert templates[name]['driver'] == 'k8s_capi_driver'


def test_create(walked):
    steps, _ = walked
    step = path(steps, CREATE, ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'],
                'CREATE_COMPLETE')
    cluster = step.final
    assert re.fullmatch(r'https://[0-9.]+:6443', cluster['api_address'])
    assert cluster['coe_version'] == 'v1.31.4'
    assert cluster['status_reason'] is None
    assert (cluster['master_count'], cluster['node_count']) == (1, 1)
    assert cluster['keypair'] == 'default'
    assert cluster['master_flavor_id'] == walkthrough.FLAVOR
    templates = steps[TEMPLATES].facts['templates']
    assert cluster['cluster_template_id'] == \
        templates[walkthrough.TEMPLATE]['uuid']
    assert len(cluster['master_addresses']) == 1
    assert len(cluster['node_addresses']) == 1


def test_three_nodegroups_at_once(walked):
    steps, _ = walked
    path(steps, NODEGROUPS, ['CREATE_COMPLETE', 'UPDATE_IN_PROGRESS',
                             'UPDATE_COMPLETE'], 'UPDATE_COMPLETE')
    listed = {ng['name']: ng for ng in steps[NODEGROUPS].facts['nodegroups']}
    assert set(listed) == {'default-master', 'default-worker',
                           *walkthrough.NODEGROUPS}
    for name in walkthrough.NODEGROUPS:
        assert listed[name]['status'] == 'CREATE_COMPLETE'
        assert listed[name]['node_count'] == 1
        assert listed[name]['role'] == 'worker'
        assert listed[name]['image_id'] == walkthrough.IMAGE


def test_resize(walked):
    steps, _ = walked
    path(steps, RESIZE, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'UPDATE_COMPLETE')
    worker = steps[RESIZE].facts['default-worker']
    assert worker['node_count'] == 3
    assert worker['status'] == 'UPDATE_COMPLETE'


def test_upgrade_moves_the_cluster_to_the_new_template(walked):
    steps, _ = walked
    step = path(steps, UPGRADE, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
                'UPDATE_COMPLETE')
    new = steps[TEMPLATES].facts['templates'][walkthrough.NEW_TEMPLATE]
    assert step.final['cluster_template_id'] == new['uuid']
    assert step.final['coe_version'] == 'v1.32.1'
    assert step.final['status_reason'] is None


def test_kubeconfig_trusts_magnums_ca_and_points_at_api_address(walked):
    facts = walked[0][CONFIG].facts
    assert facts['ca_is_magnums'] is True
    assert facts['server'] == facts['api_address']
    assert facts['server'].startswith('https://')


def test_credential_rotation_replaces_the_application_credential(walked):
    steps, _ = walked
    path(steps, ROTATE, ['UPDATE_COMPLETE'], 'UPDATE_COMPLETE')
    before, after = (steps[ROTATE].facts[k] for k in ('before', 'after'))
    assert len(before) == len(after) == 1
    assert set(before) != set(after)
    cluster_uuid = steps[CREATE].final['uuid']
    for name in (*before.values(), *after.values()):
        assert cluster_uuid in name


def test_nodegroup_delete(walked):
    steps, _ = walked
    path(steps, DELETE_NG, ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'],
         'UPDATE_COMPLETE')
    names = {ng['name'] for ng in steps[DELETE_NG].facts['nodegroups']}
    assert names == {'default-master', 'default-worker',
                     *walkthrough.NODEGROUPS[1:]}


def test_cluster_delete_removes_cluster_and_credential(walked):
    steps, _ = walked
    # Magnum records DELETE_COMPLETE, then its periodic job removes the
    # row (every conductor service tries): a poll in between sees it.
    path(steps, DELETE, ['DELETE_IN_PROGRESS', 'DELETE_COMPLETE',
                         '(gone: 404)'], '(gone: 404)')
    assert steps[DELETE].facts['credentials'] == {}


def test_transcript_shows_each_command_and_how_long_each_wait_took(walked):
    steps, transcript = walked
    for command in (
            'coe cluster template create \'my template\' --public',
            'coe cluster create --cluster-template \'my template\'',
            'coe nodegroup create demo gpu --node-count 1',
            'coe cluster resize demo 3',
            'coe cluster upgrade demo \'my template v1.32\'',
            'coe cluster config demo --dir',
            'coe credential rotate demo',
            'coe nodegroup delete demo gpu',
            'coe cluster delete demo'):
        assert command in transcript
    assert 'Request to create cluster' in transcript
    assert 'Request to upgrade cluster demo has been accepted.' in transcript
    for step in steps[CREATE:]:
        if step.statuses:
            assert '%s: done in %.1fs' % (step.title, step.seconds) in \
                transcript


def test_embedded_fallback_says_so_and_logs(embedded_stack):
    said = ''.join(embedded_stack.output)
    assert 'EMBEDDED FALLBACK' in said and 'sqlite' in said, said
    with open(os.path.join(embedded_stack.run_dir, 'magnum.log')) as f:
        assert ' INFO magnum' in f.read()
