"""Horizon with magnum-ui, as the local stack's dashboard.

Runs in ``.venv-horizon`` (Horizon pins Django and clients that differ from
Magnum's), from a ``local_settings.py`` the stack writes into
``<run dir>/dashboard/local`` (see ``tools.stack.config.horizon_settings``).
Horizon imports its settings overrides as the top-level module
``local.local_settings``, so that directory comes first on ``sys.path``.

``collect`` gathers the static files and compresses them offline into the
run dir, as a production deployment does before serving (so every page
loads the compressed bundles, never the development ones).
``serve`` runs Horizon's WSGI application on a threaded server from the
standard library, answering ``/static/`` from the collected files itself:
Django serves no static files with DEBUG off, and a production site hands
them to its web server the same way.

    .venv-horizon/bin/python -m tools.stack.dashboard \
        --settings-dir RUN/dashboard collect|serve --port P
"""

import argparse
import mimetypes
import os
import posixpath
import socketserver
import sys
from urllib import parse
from wsgiref import simple_server


class _ThreadingServer(socketserver.ThreadingMixIn,
                       simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.log_date_time_string(),
                                      fmt % args))


def static_path(root, url_path, prefix):
    """The file under root a /static/ URL names, or None (outside root)."""
    relative = posixpath.normpath(parse.unquote(url_path[len(prefix):]))
    if relative.startswith(('..', '/')) or relative == '.':
        return None
    path = os.path.join(root, *relative.split('/'))
    return path if os.path.isfile(path) else None


def with_static(application, root, prefix):
    """``application`` with GET prefix* answered from files under root."""
    def app(environ, start_response):
        url_path = environ.get('PATH_INFO', '')
        if not url_path.startswith(prefix):
            return application(environ, start_response)
        path = static_path(root, url_path, prefix)
        if path is None or environ['REQUEST_METHOD'] not in ('GET', 'HEAD'):
            start_response('404 Not Found',
                           [('Content-Type', 'text/plain')])
            return [b'not found']
        kind = mimetypes.guess_type(path)[0] or 'application/octet-stream'
        with open(path, 'rb') as f:
            body = f.read()
        start_response('200 OK', [
            ('Content-Type', kind), ('Content-Length', str(len(body))),
            ('Cache-Control', 'max-age=3600')])
        return [body] if environ['REQUEST_METHOD'] == 'GET' else []
    return app


def _django(settings_dir):
    sys.path.insert(0, settings_dir)
    os.environ['DJANGO_SETTINGS_MODULE'] = 'openstack_dashboard.settings'
    import django
    django.setup()


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tools.stack.dashboard')
    parser.add_argument('--settings-dir', required=True,
                        help='directory holding local/local_settings.py')
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('collect', help='collectstatic and compress offline')
    serve = sub.add_parser('serve', help='serve on 127.0.0.1')
    serve.add_argument('--port', type=int, required=True)
    args = parser.parse_args(argv)
    _django(args.settings_dir)
    from django.conf import settings
    if args.command == 'collect':
        from django.core import management
        management.call_command('collectstatic', interactive=False,
                                verbosity=0)
        management.call_command('compress', force=True, verbosity=0)
        return 0
    from django.core.wsgi import get_wsgi_application
    app = with_static(get_wsgi_application(), settings.STATIC_ROOT,
                      settings.STATIC_URL)
    httpd = simple_server.make_server('127.0.0.1', args.port, app,
                                      server_class=_ThreadingServer,
                                      handler_class=_QuietHandler)
    httpd.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
