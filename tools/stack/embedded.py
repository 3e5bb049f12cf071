"""magnum-api and magnum-conductor in ONE process: the broker-less fallback.

oslo.messaging has no transport that carries RPC between processes without
a broker (``fake://`` reaches only its own process; ``kafka`` is for
notifications), so on a machine without RabbitMQ the conductor's RPC server,
its periodic tasks and the API's WSGI application share this process, on an
sqlite file whose schema is created from Magnum's models (its alembic
migrations do not run on sqlite). Its writers queue for sqlite's lock as
they would for MariaDB's (tests.fixtures.magnum.serialise_writers); without
that, parallel nodegroup creates fail with "database is locked" before
Magnum has stored them. It is the same Magnum code, but not the deployment
shape: one conductor, no ``[conductor] workers``.

    python -m tools.stack.embedded --config-file magnum.conf --log-file F
"""

import sys


def main():
    import waitress
    from magnum.api import app as api_app
    from magnum.cmd import conductor as conductor_cmd
    from magnum.common import rpc_service
    from magnum.common import service
    from magnum.common import short_id
    import magnum.conf
    from magnum.db.sqlalchemy import migration
    from magnum.db.sqlalchemy import models
    from oslo_db.sqlalchemy import enginefacade
    from oslo_log import log

    from tests.fixtures import magnum as magnum_fixtures

    conf = magnum.conf.CONF
    service.prepare_service(sys.argv)
    engine = enginefacade.writer.get_engine()
    magnum_fixtures.serialise_writers(engine)
    models.Base.metadata.create_all(engine)
    with magnum_fixtures.loggers_kept():
        migration.stamp('head')
    # Magnum's alembic env.py replaced the log handlers with its own.
    log.setup(conf, 'magnum')

    handlers = conductor_cmd
    endpoints = [
        handlers.indirection_api.Handler(),
        handlers.cluster_conductor.Handler(),
        handlers.conductor_listener.Handler(),
        handlers.credential_conductor.Handler(),
        handlers.ca_conductor.Handler(),
        handlers.federation_conductor.Handler(),
        handlers.nodegroup_conductor.Handler(),
    ]
    server = rpc_service.Service.create(
        conf.conductor.topic, short_id.generate_id(), endpoints,
        binary='magnum-conductor')
    server.create_periodic_tasks()
    server.start()
    waitress.serve(api_app.load_app(), host=conf.api.host,
                   port=conf.api.port, threads=8, _quiet=True)


if __name__ == '__main__':
    sys.argv[0] = 'magnum-embedded'
    main()
