"""The whole product on one machine: real services, real clients.

``up`` starts, each as its own process on loopback:

* the real Keystone (keystone from PyPI), region ``Düdingen Test``, a
  member user in each of two projects, Magnum's service user, and the
  catalog entries of every service below;
* the Kubernetes API stand-in with its Cluster API simulator, as the
  management cluster;
* the Glance/Nova/Neutron stand-in (tests.fixtures.openstack_api);
* the real magnum-api WSGI application (under waitress) and two real
  ``magnum-conductor`` services, as on two controller hosts (each its own
  ``host``, each with ``[conductor] workers = 2``), reading a magnum.conf
  written here, with this driver found through its entry point;
* with ``dashboard=True``, Horizon with magnum-ui from ``.venv-horizon``
  (tools.stack.dashboard), logged in to with the clouds.yaml users.

Two services, not one: Magnum 23's conductor starts its RPC server in the
parent process before oslo.service forks the workers, so the workers inherit
a server that never consumes (RabbitMQ lists one consumer on the conductor
queue whatever ``workers`` says). Operations reach several processes only
through several conductor services, which is how clouds run it.

The database is a fresh MariaDB database migrated by ``magnum-db-manage
upgrade`` and RPC goes over RabbitMQ (a fresh vhost) when those servers
answer on 127.0.0.1. Otherwise (see tools.stack.embedded) the stack says so
and runs on an sqlite file, with the API and the conductor in one process.

State (config files, logs, pidfiles, Keystone's database, helm caches) is in
one run dir; ``down`` stops every process recorded there and removes it,
and the MariaDB database and RabbitMQ vhost with it.
"""

import dataclasses
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from keystoneauth1 import exceptions as ks_exceptions
import requests

from tools.stack import config
from tools.stack import processes

REPO = pathlib.Path(__file__).resolve().parents[2]
CHART = REPO / 'tests' / 'charts' / 'openstack-cluster'
STATE = 'stack.json'
# Stop order, after the conductors: clients of a service before the service.
CONDUCTORS = 2
STOP_ORDER = ['dashboard', 'magnum-api', 'embedded', 'kubeapi',
              'openstack-api', 'keystone']
DEFAULT_SPEED = 200.0
HORIZON_PYTHON = REPO / '.venv-horizon' / 'bin' / 'python'


def default_run_dir():
    return os.environ.get('MAGNUM_CAPI_STACK_DIR') or os.path.join(
        tempfile.gettempdir(), 'magnum-capi-stack-%d' % os.getuid())


@dataclasses.dataclass
class State:
    """What a running stack is; saved as stack.json in the run dir."""

    run_dir: str
    mode: str
    auth_url: str = ''
    magnum_url: str = ''
    kube_url: str = ''
    cloud_url: str = ''
    clouds_yaml: str = ''
    database: str = ''
    vhost: str = ''
    transport_url: str = ''
    dashboard_url: str = ''

    def save(self):
        path = os.path.join(self.run_dir, STATE)
        with open(path + '.tmp', 'w') as f:
            json.dump(dataclasses.asdict(self), f, indent=2)
        os.replace(path + '.tmp', path)

    @classmethod
    def load(cls, run_dir):
        with open(os.path.join(run_dir, STATE)) as f:
            return cls(**json.load(f))


class StackError(Exception):
    pass


def _answers(port, host='127.0.0.1'):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def choose_mode(requested):
    """'servers' (MariaDB and RabbitMQ) or 'embedded', and why."""
    servers = _answers(3306) and _answers(5672)
    if requested == 'servers' and not servers:
        raise StackError('MariaDB on 127.0.0.1:3306 and RabbitMQ on '
                         '127.0.0.1:5672 must both answer for --backends '
                         'servers')
    if requested == 'auto':
        return 'servers' if servers else 'embedded'
    return requested


def say(message):
    print('stack: %s' % message, flush=True)


def up(run_dir, clouds_yaml, backends='auto', speed=DEFAULT_SPEED,
       helm=None, workers=2, conductors=CONDUCTORS, dashboard=False):
    """Start everything; returns the State once every service answers."""
    run_dir = os.path.abspath(run_dir)
    if os.path.exists(os.path.join(run_dir, STATE)):
        raise StackError('a stack already runs from %s; run "python -m '
                         'tools.stack down" first' % run_dir)
    if dashboard and not HORIZON_PYTHON.exists():
        raise StackError('the dashboard needs Horizon in %s; run '
                         'tools/setup-dev.sh' % HORIZON_PYTHON.parents[1])
    os.makedirs(run_dir, exist_ok=True)
    for sub in ('state', 'locks', 'home', 'keystone'):
        os.makedirs(os.path.join(run_dir, sub), exist_ok=True)
    mode = choose_mode(backends)
    state = State(run_dir=run_dir, mode=mode)
    state.save()
    try:
        _start(state, os.path.abspath(clouds_yaml), speed, helm, workers,
               backends, conductors)
        if dashboard:
            _start_dashboard(state)
    except BaseException:
        say('start failed; logs in %s; stopping what started' % run_dir)
        down(run_dir, keep_logs=True)
        raise
    return state


def _start(state, clouds_yaml, speed, helm, workers, backends,
           conductors):
    started = time.monotonic()
    run_dir = state.run_dir
    env = processes.environment(
        run_dir, PYTHONPATH=str(REPO), HOME=os.path.join(run_dir, 'home'),
        PYTHONWARNINGS='ignore')
    helm = helm or str(REPO / '.tools' / 'bin' / 'helm4')

    kube_port, cloud_port, api_port = (_free_port() for _ in range(3))
    kubeconfig = os.path.join(run_dir, 'kubeconfig')
    processes.spawn(run_dir, 'kubeapi', [
        sys.executable, '-m', 'tests.kubeapi', '--port', str(kube_port),
        '--kubeconfig', kubeconfig, '--capi', '--speed', str(speed)],
        env, cwd=str(REPO))
    processes.spawn(run_dir, 'openstack-api', [
        sys.executable, '-m', 'tests.fixtures.openstack_api', '--port',
        str(cloud_port), '--catalogue', 'stack'], env, cwd=str(REPO))
    state.kube_url = 'http://127.0.0.1:%d' % kube_port
    state.cloud_url = 'http://127.0.0.1:%d' % cloud_port

    if state.mode == 'servers':
        from tools.stack import backends as servers
        state.database = 'magnum_stack_' + uuid.uuid4().hex[:12]
        state.save()
        database_url = servers.create_database(state.database)
        state.vhost, state.transport_url = servers.create_vhost(
            'magnum-stack-' + uuid.uuid4().hex[:12])
        state.save()
        say('MariaDB database %s, RabbitMQ %s' % (
            state.database, 'vhost ' + state.vhost if state.vhost
            else 'default vhost'))
    else:
        database_url = 'sqlite:///%s/magnum.sqlite' % run_dir
        state.transport_url = 'fake://'
        say('EMBEDDED FALLBACK (%s): an sqlite file and oslo.messaging\'s '
            'in-process fake:// transport, so magnum-api and the conductor '
            'share ONE process (oslo.messaging has no broker-less '
            'transport between processes)' % (
                'as asked' if backends == 'embedded' else
                'no MariaDB and RabbitMQ on 127.0.0.1'))

    from tests.fixtures import keystone as keystone_fixture
    from tests.fixtures import openstack_api
    say('Keystone (keystone-manage db_sync, bootstrap) at %.0fs'
        % (time.monotonic() - started))
    process, ks = keystone_fixture.start(
        os.path.join(run_dir, 'keystone'), detached=True, env=env)
    processes.record(run_dir, 'keystone', process.pid)
    state.auth_url = ks.auth_url
    state.magnum_url = 'http://127.0.0.1:%d/v1' % api_port
    accounts = _populate_keystone(ks, state.magnum_url)
    openstack_api.register(ks, state.cloud_url)
    state.save()
    _wait_for_ports(run_dir, [kube_port, cloud_port])

    layout = config.Layout(
        run_dir=run_dir, auth_url=ks.auth_url, api_port=api_port,
        database_url=database_url, transport_url=state.transport_url,
        conductor_workers=workers, service=accounts['service'],
        member=accounts['member'], admin=accounts['admin'],
        kubeconfig=kubeconfig, helm=helm, chart=str(CHART),
        conductor_topic='magnum-conductor' if state.vhost or
        state.mode != 'servers' else 'magnum-conductor-' + uuid.uuid4().hex)
    conf = os.path.join(run_dir, 'magnum.conf')
    _write(conf, config.magnum_conf(layout))
    _write(os.path.join(run_dir, 'api-paste.ini'), config.api_paste_ini())
    if os.path.exists(clouds_yaml):
        with open(clouds_yaml) as f:
            if not f.readline().startswith(config.CLOUDS_YAML_MARK):
                raise StackError('%s exists and was not written by '
                                 'tools.stack; give another --clouds-yaml'
                                 % clouds_yaml)
    _write(clouds_yaml, config.clouds_yaml(layout))
    state.clouds_yaml = clouds_yaml
    state.save()

    bin_dir = os.path.dirname(sys.executable)
    say('Magnum at %.0fs' % (time.monotonic() - started))
    if state.mode == 'servers':
        _run([os.path.join(bin_dir, 'magnum-db-manage'), '--config-file',
              conf, 'upgrade'], env, os.path.join(run_dir, 'db-manage.log'))
        say('magnum-db-manage upgrade done at %.0fs'
            % (time.monotonic() - started))
        processes.spawn(run_dir, 'magnum-api', [
            sys.executable, '-m', 'tools.stack.api_server', '--config-file',
            conf, '--log-file', os.path.join(run_dir, 'magnum-api.log')],
            env, cwd=str(REPO))
        for name, host_conf in config.conductor_hosts(run_dir, conductors):
            _write(host_conf, config.conductor_conf(name))
            processes.spawn(run_dir, name, [
                os.path.join(bin_dir, 'magnum-conductor'), '--config-file',
                conf, '--config-file', host_conf, '--log-file',
                os.path.join(run_dir, name + '.log')], env, cwd=str(REPO))
    else:
        conductors = 1
        processes.spawn(run_dir, 'embedded', [
            sys.executable, '-m', 'tools.stack.embedded', '--config-file',
            conf, '--log-file', os.path.join(run_dir, 'magnum.log')],
            env, cwd=str(REPO))
    _wait_for_magnum(state, ks, conductors)
    say('up in %.1fs: Keystone %s, Magnum %s, management cluster %s, '
        'clouds.yaml %s (clouds magnum-capi, magnum-capi-admin)' % (
            time.monotonic() - started, state.auth_url, state.magnum_url,
            state.kube_url, clouds_yaml))


def _start_dashboard(state):
    """Horizon: settings, collected and compressed static files, server."""
    started = time.monotonic()
    base = os.path.join(state.run_dir, 'dashboard')
    os.makedirs(os.path.join(base, 'local'), exist_ok=True)
    _write(os.path.join(base, 'local', '__init__.py'), '')
    _write(os.path.join(base, 'local', 'local_settings.py'),
           config.horizon_settings(state.auth_url,
                                   os.path.join(base, 'static'),
                                   secrets.token_urlsafe(48)))
    env = processes.environment(
        state.run_dir, PYTHONPATH=str(REPO), PYTHONWARNINGS='ignore',
        HOME=os.path.join(state.run_dir, 'home'))
    command = [str(HORIZON_PYTHON), '-m', 'tools.stack.dashboard',
               '--settings-dir', base]
    _run(command + ['collect'], env,
         os.path.join(state.run_dir, 'dashboard-collect.log'))
    port = _free_port()
    processes.spawn(state.run_dir, 'dashboard',
                    command + ['serve', '--port', str(port)], env,
                    cwd=str(REPO))
    _wait_for_ports(state.run_dir, [port])
    state.dashboard_url = 'http://127.0.0.1:%d/' % port
    state.save()
    say('dashboard (Horizon, magnum-ui) up in %.1fs'
        % (time.monotonic() - started))


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def _run(argv, env, log):
    with open(log, 'ab') as out:
        result = subprocess.run(argv, env=env, stdout=out,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=300)
    if result.returncode:
        raise StackError('%s failed (exit %d), see %s'
                         % (os.path.basename(argv[0]), result.returncode,
                            log))


IDENTITY = {'service_type': 'identity', 'interface': 'public'}


def _populate_keystone(ks, magnum_url):
    """Second project, Magnum's service user, Magnum in the catalog."""
    admin = ks.admin_session()

    def post(path, body):
        return admin.post(path, json=body,
                          endpoint_filter=IDENTITY).json()

    def role(name):
        found = admin.get('/roles?name=%s' % name,
                          endpoint_filter=IDENTITY).json()['roles']
        return found[0]['id'] if found else post(
            '/roles', {'role': {'name': name}})['role']['id']

    def user_in(project_name, username, roles):
        project = post('/projects', {'project': {
            'name': project_name, 'domain_id': 'default'}})['project']
        password = secrets.token_urlsafe(16)
        user = post('/users', {'user': {
            'name': username, 'password': password, 'domain_id': 'default',
            'default_project_id': project['id']}})['user']
        for name in roles:
            admin.put('/projects/%s/users/%s/roles/%s' % (
                project['id'], user['id'], role(name)),
                endpoint_filter=IDENTITY)
        return config.Account(username, password, project_name)

    user_in('other', 'other-user', ('member', 'reader'))
    service = user_in('service', 'magnum', ('admin', 'service'))
    magnum = post('/services', {'service': {
        'type': 'container-infra', 'name': 'magnum'}})['service']
    for interface in ('public', 'internal', 'admin'):
        post('/endpoints', {'endpoint': {
            'service_id': magnum['id'], 'interface': interface,
            'region_id': ks.region_name, 'url': magnum_url}})
    return {
        'service': service,
        'member': config.Account(ks.user_name, ks.user_password,
                                 ks.project_name),
        'admin': config.Account(ks.admin_username, ks.admin_password,
                                ks.admin_project_name),
    }


def _wait_for_ports(run_dir, ports, timeout=60):
    deadline = time.monotonic() + timeout
    for port in ports:
        while not _answers(port):
            _check_alive(run_dir)
            if time.monotonic() > deadline:
                raise StackError('nothing answers on port %d' % port)
            time.sleep(0.1)


def _wait_for_magnum(state, ks, conductors, timeout=120):
    """Until magnum-api answers and every conductor reports itself up."""
    deadline = time.monotonic() + timeout
    admin = ks.admin_session()
    last = None
    while time.monotonic() < deadline:
        _check_alive(state.run_dir)
        try:
            reply = admin.get(state.magnum_url + '/mservices',
                              headers={'OpenStack-API-Version':
                                       'container-infra latest'},
                              raise_exc=False)
            last = '%s %s' % (reply.status_code, reply.text[:200])
            if reply.status_code == 200:
                services = reply.json()['mservices']
                if sum(s['binary'] == 'magnum-conductor' and
                       s['state'] == 'up' for s in services) >= conductors:
                    return
        except (requests.ConnectionError,
                ks_exceptions.ConnectFailure) as e:
            last = str(e)
        time.sleep(0.5)
    raise StackError('Magnum did not come up in %ds (last answer: %s)'
                     % (timeout, last))


def _check_alive(run_dir):
    for name, (pid, start) in processes.recorded(run_dir).items():
        if not processes.same(pid, start):
            raise StackError('%s exited; see %s' % (
                name, os.path.join(run_dir, name + '.log')))


def down(run_dir, keep_logs=False):
    """Stop every process, drop the database and vhost, remove the run dir.

    Returns a list of problems (empty when everything is gone).
    """
    run_dir = os.path.abspath(run_dir)
    if not os.path.isdir(run_dir):
        return []
    problems = []
    conductors = sorted(name for name in processes.recorded(run_dir)
                        if name.startswith('magnum-conductor'))
    left = processes.stop_all(run_dir, conductors + STOP_ORDER)
    if left:
        return ['processes still alive: %s; run dir %s kept'
                % (left, run_dir)]
    try:
        state = State.load(run_dir)
    except FileNotFoundError:
        state = None
    if state and state.mode == 'servers':
        from tools.stack import backends
        if state.database:
            problems += backends.drop_database(state.database)
        if state.vhost:
            problems += backends.delete_vhost(state.vhost)
    if state and state.clouds_yaml and os.path.exists(state.clouds_yaml):
        os.unlink(state.clouds_yaml)
    if keep_logs:
        kept = tempfile.mkdtemp(prefix='magnum-capi-stack-logs-')
        for entry in os.listdir(run_dir):
            if entry.endswith('.log'):
                shutil.copy(os.path.join(run_dir, entry), kept)
        say('logs kept in %s' % kept)
    shutil.rmtree(run_dir, ignore_errors=True)
    return problems
