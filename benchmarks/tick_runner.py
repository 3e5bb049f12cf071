"""One Magnum conductor's periodic ticks, for one driver, on command.

Run by ``benchmarks.status_poll`` under the Python of whichever virtualenv
holds the driver being measured (ours, or magnum-capi-helm in its own
virtualenv with its own Magnum), so it imports nothing from this
repository: only Magnum and, through Magnum's entry points, the driver.

It creates the scenario's rows in a Magnum database of its own (MariaDB),
then reads one JSON command per line on stdin and answers one JSON line on
stdout:

- ``{"job": "status"|"health", "noop": false}``: one tick of Magnum's
  periodic task (``MagnumPeriodicTasks.sync_cluster_status`` or
  ``sync_cluster_health_status``), exactly as the conductor runs it: Magnum
  lists the clusters in the states the job selects and starts one looping
  call (a thread) per cluster; the tick ends when every one has finished.
  With ``"noop": true`` the driver's poll is replaced by a no-op, so the
  tick measures Magnum's own share. Answer: ``{"wall": seconds,
  "clusters": selected, "errors": polls that raised, "warnings": Magnum's
  and the driver's records logged at WARNING or above, "gc": seconds spent
  in garbage collection during the tick, "blocks": memory blocks Python
  has allocated after the tick}`` (a driver that
  gives up on a poll, e.g. on a timeout, logs a warning rather than
  raising; every record goes to stderr).
- ``{"quit": true}``: drop the database and exit.

Every HTTP request the process makes carries ``X-Bench-Client: <name>``
so the stand-in can count the driver's traffic, whatever library it uses.
"""

import argparse
import gc
import http.client
import json
import logging
import sys
import time
from importlib import metadata


def tag_http(name):
    """Add the client header to every request made through http.client."""
    original = http.client.HTTPConnection.endheaders

    def endheaders(self, *args, **kwargs):
        self.putheader('X-Bench-Client', name)
        return original(self, *args, **kwargs)

    http.client.HTTPConnection.endheaders = endheaders


def driver_class(entry_point):
    for ep in metadata.entry_points(group='magnum.drivers'):
        if ep.name == entry_point:
            return ep.load()
    raise SystemExit('no Magnum driver entry point %r' % entry_point)


def configure(db_url, overrides):
    import sqlalchemy

    import magnum.conf
    from magnum.common import config as magnum_config
    from magnum.common import rpc

    conf = magnum.conf.CONF
    server, _, database = db_url.rpartition('/')
    engine = sqlalchemy.create_engine(server)
    with engine.begin() as connection:
        connection.exec_driver_sql('DROP DATABASE IF EXISTS `%s`' % database)
        connection.exec_driver_sql('CREATE DATABASE `%s`' % database)
    engine.dispose()
    conf.set_default('connection', db_url, group='database')
    conf.set_default('host', 'bench-conductor')
    magnum_config.parse_args([], default_config_files=[])
    conf.set_override('transport_url', 'fake:/')
    conf.set_override('driver', ['noop'],
                      group='oslo_messaging_notifications')
    for item in overrides:
        key, _, value = item.partition('=')
        group, _, option = key.rpartition('.')
        conf.set_override(option, value, group=group or None)
    rpc.init(conf)
    from magnum.db.sqlalchemy import models
    from oslo_db.sqlalchemy import enginefacade
    models.Base.metadata.create_all(enginefacade.writer.get_engine())
    return conf


def create_rows(scenario):
    """Template, clusters and nodegroups as the API and a create leave them.

    Clusters and nodegroups are CREATE_IN_PROGRESS with a release name in
    stack_id, as a create leaves them while CAPI builds the cluster.
    """
    from magnum.common import context
    from magnum import objects

    status = objects.fields.ClusterStatus.CREATE_IN_PROGRESS
    templates = {}
    for spec in scenario['clusters']:
        ctx = context.RequestContext(
            project_id=spec['project_id'], user_id=spec['user_id'],
            roles=['member'], is_admin=False)
        template = templates.get(spec['project_id'])
        if template is None:
            template = objects.ClusterTemplate(
                ctx, project_id=spec['project_id'],
                user_id=spec['user_id'], **scenario['template'])
            template.create()
            templates[spec['project_id']] = template
        cluster = objects.Cluster(
            ctx, uuid=spec['uuid'], name=spec['name'],
            project_id=spec['project_id'], user_id=spec['user_id'],
            cluster_template_id=template.uuid, stack_id=spec['stack_id'],
            status=status, status_reason=None, create_timeout=1440,
            keypair=template.keypair_id, labels=dict(template.labels),
            master_lb_enabled=True, floating_ip_enabled=False,
            flavor_id=template.flavor_id,
            master_flavor_id=template.master_flavor_id,
            health_status='UNKNOWN', health_status_reason={})
        cluster.create()
        for ng in spec['nodegroups']:
            master = ng['role'] == 'master'
            objects.NodeGroup(
                ctx, uuid=ng['uuid'], name=ng['name'],
                cluster_id=cluster.uuid, project_id=spec['project_id'],
                role=ng['role'], is_default=ng['is_default'],
                node_count=ng['node_count'], min_node_count=ng['node_count']
                if master else 0, max_node_count=None,
                flavor_id=template.master_flavor_id if master
                else template.flavor_id, image_id=template.image_id,
                labels=dict(template.labels), node_addresses=[],
                status=status, stack_id=spec['stack_id'],
                docker_volume_size=None).create()


class Counter(logging.Handler):
    """Counts Magnum's and the driver's log records at WARNING and above.

    Libraries' warnings (urllib3's "connection pool is full") are left out.
    """

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        if record.name.startswith('magnum'):
            self.count += 1


class GCTimer:
    """Seconds the process spent in garbage collection, all generations.

    A full collection walks every object of the process, so a conductor
    holding more (a driver's cache) makes Magnum's own share slower too.
    """

    def __init__(self):
        self.seconds = 0.0
        self._started = None
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if phase == 'start':
            self._started = time.perf_counter()
        elif self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None


class Ticker:
    """Runs Magnum's periodic tasks one tick at a time and waits for them."""

    def __init__(self, conf, drv_class):
        from magnum.conductor import monitors
        from magnum.service import periodic
        from oslo_service import loopingcall

        self._periodic = periodic
        self._monitors = monitors
        self._tasks = periodic.MagnumPeriodicTasks(conf)
        self._driver_class = drv_class
        self._started = []
        ticker = self

        class Recorded(loopingcall.FixedIntervalLoopingCall):
            def start(self, *args, **kwargs):
                ticker._started.append(self)
                return super().start(*args, **kwargs)

        periodic.loopingcall.FixedIntervalLoopingCall = Recorded
        self._errors = 0
        self._gc = GCTimer()
        self._warnings = Counter()
        logging.getLogger().addHandler(self._warnings)
        for name in ('update_status', 'update_health_status'):
            self._count_errors(name)

    def _count_errors(self, name):
        job = (self._periodic.ClusterUpdateJob if name == 'update_status'
               else self._periodic.ClusterHealthUpdateJob)
        original = getattr(job, name)
        ticker = self
        done = self._periodic.loopingcall.LoopingCallDone

        def counted(self):
            try:
                return original(self)
            except done:
                raise
            except Exception:
                ticker._errors += 1
                raise

        setattr(job, name, counted)

    def tick(self, job, noop):
        self._started = []
        self._errors = 0
        self._warnings.count = 0
        restore = self._noop() if noop else None
        gc_before = self._gc.seconds
        try:
            start = time.perf_counter()
            if job == 'status':
                self._tasks.sync_cluster_status(None)
            else:
                self._tasks.sync_cluster_health_status(None)
            for call in self._started:
                try:
                    call.wait()
                except Exception:  # counted in _count_errors already
                    pass
            wall = time.perf_counter() - start
        finally:
            if restore:
                restore()
        return {'wall': wall, 'clusters': len(self._started),
                'errors': self._errors, 'warnings': self._warnings.count,
                'gc': self._gc.seconds - gc_before,
                'blocks': sys.getallocatedblocks()}

    def _noop(self):
        """Replace the driver's status poll and health poll by no-ops.

        The no-op health poll reports the cluster's stored health, so
        Magnum still saves the cluster as it does after a real poll.
        """
        cls = self._driver_class
        monitors = self._monitors
        original_status = cls.__dict__.get('update_cluster_status')
        original_monitor = monitors.create_monitor

        def no_status(self, context, cluster, *args, **kwargs):
            return None

        def create_monitor(context, cluster):
            monitor = original_monitor(context, cluster)

            def no_poll():
                monitor.data = {
                    'health_status': cluster.health_status,
                    'health_status_reason': cluster.health_status_reason}
            monitor.poll_health_status = no_poll
            return monitor

        cls.update_cluster_status = no_status
        monitors.create_monitor = create_monitor
        self._periodic.monitors.create_monitor = create_monitor

        def restore():
            if original_status is None:
                del cls.update_cluster_status
            else:
                cls.update_cluster_status = original_status
            monitors.create_monitor = original_monitor
            self._periodic.monitors.create_monitor = original_monitor
        return restore


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scenario', required=True,
                        help='JSON file written by benchmarks.status_poll')
    parser.add_argument('--driver', required=True,
                        help="the driver's magnum.drivers entry point")
    parser.add_argument('--db', required=True,
                        help='mysql+pymysql://.../<database to create>')
    parser.add_argument('--client-name', required=True)
    parser.add_argument('--set', action='append', default=[],
                        metavar='GROUP.OPTION=VALUE')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    tag_http(args.client_name)
    with open(args.scenario) as stream:
        scenario = json.load(stream)
    drv_class = driver_class(args.driver)
    conf = configure(args.db, args.set)
    create_rows(scenario)
    ticker = Ticker(conf, drv_class)
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command.get('quit'):
            break
        print(json.dumps(ticker.tick(command['job'],
                                     command.get('noop', False))),
              flush=True)
    import sqlalchemy
    server, _, database = args.db.rpartition('/')
    engine = sqlalchemy.create_engine(server)
    with engine.begin() as connection:
        connection.exec_driver_sql('DROP DATABASE IF EXISTS `%s`' % database)
    return 0


if __name__ == '__main__':
    sys.exit(main())
