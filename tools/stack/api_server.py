"""magnum-api's WSGI application served by waitress on loopback.

Magnum ships the application as ``magnum.wsgi.api:application`` for any
WSGI server; importing it parses magnum.conf from the command line, as it
does under uWSGI or mod_wsgi. Waitress is a plain production WSGI server
that needs no C toolchain.

    python -m tools.stack.api_server --config-file magnum.conf \
        --log-file api.log
"""

import sys


def main():
    import waitress
    from magnum.wsgi import api
    import magnum.conf
    conf = magnum.conf.CONF
    waitress.serve(api.application, host=conf.api.host, port=conf.api.port,
                   threads=8, _quiet=True)


if __name__ == '__main__':
    sys.argv[0] = 'magnum-api'
    main()
