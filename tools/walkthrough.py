"""The product as a user meets it: the real ``openstack`` CLI, step by step.

Brings up the local stack (tools.stack: Keystone, magnum-api, two
magnum-conductor services, MariaDB and RabbitMQ when they answer, the
management-cluster stand-in) and walks a cluster through its life with the
unmodified ``openstack coe`` commands, printing each command and its
output. Every step waits the way a user does, by polling ``openstack coe
cluster show``, and prints how long it took.

    .venv/bin/python -m tools.walkthrough [--clouds-yaml PATH]

With ``--clouds-yaml`` it uses a stack already running (``python -m
tools.stack up --detach --clouds-yaml PATH``) and leaves it running.
"""

import argparse
import base64
import dataclasses
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import yaml

BIN = os.path.dirname(sys.executable)
MEMBER, ADMIN = 'magnum-capi', 'magnum-capi-admin'
FLAVOR = 'Standard Dudingen c002m0004'
TEMPLATE, NEW_TEMPLATE = 'my template', 'my template v1.32'
IMAGE, NEW_IMAGE = 'ubuntu-2204-kube-v1.31', 'ubuntu-2204-kube-v1.32'
CLUSTER = 'demo'
NODEGROUPS = ('gpu', 'highmem', 'batch')
POLL_INTERVAL = 2.0


class WalkthroughError(Exception):
    pass


@dataclasses.dataclass
class Step:
    """One step: the statuses seen while waiting, what it ended with."""

    title: str
    statuses: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    final: dict = dataclasses.field(default_factory=dict)
    facts: dict = dataclasses.field(default_factory=dict)


class CLI(object):
    """Runs the openstack CLI against a clouds.yaml and shows it."""

    def __init__(self, clouds_yaml, out=print, timeout=600):
        self.env = dict(os.environ, OS_CLIENT_CONFIG_FILE=clouds_yaml,
                        PYTHONWARNINGS='ignore')
        # `coe cluster config` reads $SHELL to pick its export syntax; CI
        # and cron jobs run without one, as a login shell would not.
        self.env.setdefault('SHELL', '/bin/sh')
        for name in list(self.env):
            if name.startswith('OS_') and name != 'OS_CLIENT_CONFIG_FILE':
                del self.env[name]
        self.out = out
        self.timeout = timeout

    def argv(self, cloud, args):
        return [os.path.join(BIN, 'openstack'), '--os-cloud', cloud] + list(
            args)

    def show(self, cloud, args):
        return '$ openstack --os-cloud %s %s' % (cloud, shlex.join(args))

    def call(self, cloud, *args, echo=True, check=True):
        """Run one command; print it and its output when echo."""
        result = subprocess.run(self.argv(cloud, args), env=self.env,
                                capture_output=True, text=True,
                                stdin=subprocess.DEVNULL,
                                timeout=self.timeout)
        if echo:
            self.out(self.show(cloud, args))
            self.out((result.stdout + result.stderr).rstrip())
        if check and result.returncode:
            raise WalkthroughError('%s failed (exit %d): %s' % (
                self.show(cloud, args), result.returncode,
                result.stderr.strip()[-2000:]))
        return result

    def json(self, cloud, *args, echo=False, check=True):
        result = self.call(cloud, *(args + ('-f', 'json')), echo=echo,
                           check=check)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def parallel(self, cloud, commands):
        """Start several commands at once, as OpenTofu does; show each."""
        processes = [subprocess.Popen(
            self.argv(cloud, args), env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
            for args in commands]
        failed = []
        for args, process in zip(commands, processes):
            stdout, stderr = process.communicate(timeout=self.timeout)
            self.out(self.show(cloud, args) + '   (started with the others)')
            self.out((stdout + stderr).rstrip())
            if process.returncode:
                failed.append(self.show(cloud, args))
        if failed:
            raise WalkthroughError('failed: %s' % '; '.join(failed))


def cluster_show(cli, name=CLUSTER):
    """`coe cluster show` as JSON, or None once the cluster is gone."""
    result = cli.call(MEMBER, 'coe', 'cluster', 'show', name, '-f', 'json',
                      echo=False, check=False)
    if result.returncode == 0:
        return json.loads(result.stdout)
    if 'could not be found' in result.stderr or '404' in result.stderr:
        return None
    raise WalkthroughError('coe cluster show failed: %s'
                           % result.stderr.strip()[-2000:])


def wait(cli, step, done, timeout=900):
    """Poll `coe cluster show` until done(cluster) (cluster None: gone).

    Prints every status (and reason) change and the time it took; fails on
    any *_FAILED status, as OpenTofu and Rally do.
    """
    cli.out('   waiting: polling "openstack coe cluster show %s" every %gs'
            % (CLUSTER, POLL_INTERVAL))
    started = time.monotonic()
    seen = None
    while True:
        cluster = cluster_show(cli)
        state = (cluster['status'], cluster['status_reason']) if cluster \
            else ('(gone: 404)', None)
        if state != seen:
            seen = state
            step.statuses.append(state[0])
            cli.out('   %6.1fs  %s%s' % (
                time.monotonic() - started, state[0],
                '  (%s)' % state[1] if state[1] else ''))
        if cluster and cluster['status'].endswith('_FAILED'):
            raise WalkthroughError('%s: cluster went %s: %s' % (
                step.title, cluster['status'], cluster['status_reason']))
        if done(cluster):
            step.seconds = time.monotonic() - started
            step.final = cluster or {}
            cli.out('   %s: done in %.1fs' % (step.title, step.seconds))
            return cluster
        if time.monotonic() - started > timeout:
            raise WalkthroughError('%s: still %s after %ds'
                                   % (step.title, state[0], timeout))
        time.sleep(POLL_INTERVAL)


def _after(before):
    """Whether a cluster record was saved after the `before` snapshot."""
    def changed(cluster):
        return (cluster or {}).get('updated_at') != before.get('updated_at')
    return changed


def heading(cli, text):
    cli.out('\n== %s' % text)


def walk(cli):
    """The whole walkthrough; returns the steps with what each saw."""
    steps = []

    def step(title):
        heading(cli, title)
        steps.append(Step(title))
        return steps[-1]

    step('an admin publishes two templates (--public needs the admin role)')
    for name, image in ((TEMPLATE, IMAGE), (NEW_TEMPLATE, NEW_IMAGE)):
        cli.call(ADMIN, 'coe', 'cluster', 'template', 'create', name,
                 '--public', '--coe', 'kubernetes', '--image', image,
                 '--external-network', 'public', '--master-flavor', FLAVOR,
                 '--flavor', FLAVOR, '--network-driver', 'cilium',
                 '--master-lb-enabled')
    cli.call(MEMBER, 'coe', 'cluster', 'template', 'list')
    steps[-1].facts['templates'] = {
        t['name']: t for t in cli.json(MEMBER, 'coe', 'cluster', 'template',
                                       'list', '--fields', 'public,driver')}

    create = step('create a cluster (1 control-plane node, 1 worker)')
    cli.call(MEMBER, 'coe', 'cluster', 'create', '--cluster-template',
             TEMPLATE, '--master-count', '1', '--node-count', '1',
             '--keypair', 'default', CLUSTER)
    wait(cli, create, lambda c: c['status'] == 'CREATE_COMPLETE')
    cli.call(MEMBER, 'coe', 'cluster', 'show', CLUSTER)

    ngs = step('three nodegroups created at once')
    before = cluster_show(cli)
    cli.parallel(MEMBER, [('coe', 'nodegroup', 'create', CLUSTER, name,
                           '--node-count', '1') for name in NODEGROUPS])

    def nodegroups_done(cluster):
        if cluster['status'] != 'UPDATE_COMPLETE' or \
                not _after(before)(cluster):
            return False
        listed = cli.json(MEMBER, 'coe', 'nodegroup', 'list', CLUSTER)
        return all(ng['status'] == 'CREATE_COMPLETE' for ng in listed
                   if ng['name'] in NODEGROUPS) and \
            {ng['name'] for ng in listed} >= set(NODEGROUPS)
    wait(cli, ngs, nodegroups_done)
    cli.call(MEMBER, 'coe', 'nodegroup', 'list', CLUSTER)
    ngs.facts['nodegroups'] = cli.json(MEMBER, 'coe', 'nodegroup', 'list',
                                       CLUSTER)

    resize = step('resize the default workers to 3 nodes')
    before = cluster_show(cli)
    cli.call(MEMBER, 'coe', 'cluster', 'resize', CLUSTER, '3')
    wait(cli, resize, lambda c: c['status'] == 'UPDATE_COMPLETE' and
         _after(before)(c) and
         _nodegroup(cli, 'default-worker')['node_count'] == 3)
    resize.facts['default-worker'] = _nodegroup(cli, 'default-worker')

    upgrade = step('upgrade to the template with Kubernetes v1.32')
    new_id = steps[0].facts['templates'][NEW_TEMPLATE]['uuid']
    cli.call(MEMBER, 'coe', 'cluster', 'upgrade', CLUSTER, NEW_TEMPLATE)
    wait(cli, upgrade, lambda c: c['status'] == 'UPDATE_COMPLETE' and
         c['cluster_template_id'] == new_id and
         (c.get('coe_version') or '').startswith('v1.32'))
    cli.call(MEMBER, 'coe', 'cluster', 'show', CLUSTER)

    config = step('cluster config: a kubeconfig signed through Magnum')
    with tempfile.TemporaryDirectory() as tmp:
        cli.call(MEMBER, 'coe', 'cluster', 'config', CLUSTER, '--dir', tmp)
        with open(os.path.join(tmp, 'config')) as f:
            kubeconfig = yaml.safe_load(f)
    ca_pem = cli.call(MEMBER, 'coe', 'ca', 'show', CLUSTER).stdout
    cluster = cluster_show(cli)
    config.facts = _check_kubeconfig(cli, kubeconfig, ca_pem, cluster)

    rotate = step('rotate the cluster\'s OpenStack credential')
    before_creds = _app_credentials(cli)
    cli.call(MEMBER, 'coe', 'credential', 'rotate', CLUSTER)
    after_creds = _app_credentials(cli)
    cli.call(MEMBER, 'application', 'credential', 'list')
    rotate.facts = {'before': before_creds, 'after': after_creds}
    cli.out('   application credentials before: %s; after: %s' % (
        sorted(before_creds.values()), sorted(after_creds.values())))
    wait(cli, rotate, lambda c: c['status'] == 'UPDATE_COMPLETE')

    delete_ng = step('delete nodegroup %s' % NODEGROUPS[0])
    cli.call(MEMBER, 'coe', 'nodegroup', 'delete', CLUSTER, NODEGROUPS[0])
    wait(cli, delete_ng, lambda c: c['status'] == 'UPDATE_COMPLETE' and
         NODEGROUPS[0] not in {ng['name'] for ng in cli.json(
             MEMBER, 'coe', 'nodegroup', 'list', CLUSTER)})
    cli.call(MEMBER, 'coe', 'nodegroup', 'list', CLUSTER)
    delete_ng.facts['nodegroups'] = cli.json(MEMBER, 'coe', 'nodegroup',
                                             'list', CLUSTER)

    delete = step('delete the cluster')
    cli.call(MEMBER, 'coe', 'cluster', 'delete', CLUSTER)
    wait(cli, delete, lambda c: c is None)
    cli.call(MEMBER, 'coe', 'cluster', 'list')
    delete.facts['credentials'] = _app_credentials(cli)
    return steps


def _nodegroup(cli, name):
    return cli.json(MEMBER, 'coe', 'nodegroup', 'show', CLUSTER, name)


def _app_credentials(cli):
    """{id: name} of the member's application credentials for the cluster.

    The driver names them after the cluster (magnum-<name>-<uuid>-<time>).
    """
    return {c['ID']: c['Name'] for c in cli.json(
        MEMBER, 'application', 'credential', 'list')
        if c['Name'].startswith('magnum-%s-' % CLUSTER)}


def _check_kubeconfig(cli, kubeconfig, ca_pem, cluster):
    """The kubeconfig trusts Magnum's CA and points at api_address."""
    entry = kubeconfig['clusters'][0]['cluster']
    ca = base64.b64decode(entry['certificate-authority-data']).decode()
    facts = {'server': entry['server'], 'api_address':
             cluster['api_address'], 'ca_is_magnums':
             ca.strip() == ca_pem.strip()}
    cli.out('   kubeconfig server %s (cluster api_address %s)'
            % (facts['server'], facts['api_address']))
    cli.out('   kubeconfig CA is Magnum\'s cluster CA: %s'
            % facts['ca_is_magnums'])
    if facts['server'] != facts['api_address'] or not facts['ca_is_magnums']:
        raise WalkthroughError('kubeconfig does not match the cluster: %s'
                               % facts)
    return facts


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m tools.walkthrough',
        description=__doc__.splitlines()[0])
    parser.add_argument('--clouds-yaml',
                        help='use the running stack this clouds.yaml '
                             'describes (default: start one, then stop it)')
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.clouds_yaml:
        steps = walk(CLI(os.path.abspath(args.clouds_yaml)))
    else:
        import tools.stack as stack
        run_dir = tempfile.mkdtemp(prefix='magnum-capi-walkthrough-')
        try:
            stack.up(run_dir, os.path.join(run_dir, 'clouds.yaml'))
            steps = walk(CLI(os.path.join(run_dir, 'clouds.yaml')))
        finally:
            for problem in stack.down(run_dir):
                print('stack: %s' % problem)
    print('\n== summary')
    for step in steps:
        if step.statuses:
            print('   %6.1fs  %-60s %s' % (
                step.seconds, step.title, ' -> '.join(step.statuses)))
    print('   walkthrough took %.0fs' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
