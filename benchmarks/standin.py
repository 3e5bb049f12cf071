"""The Kubernetes API stand-in in a process of its own, with traffic counts.

The benchmark runs the stand-in here so that serving requests is not
counted against the driver being measured. Every request is counted, with
the bytes of its response (headers and body, watch streams included, as
they are written), under the client's ``X-Bench-Client`` header (the
benchmark's tick runner sets it) or, failing that, its User-Agent. A second
loopback port answers ``GET /stats`` with the running totals as JSON::

    {"<client>": {"requests": 12, "bytes": 34567}, ...}

    .venv/bin/python -m benchmarks.standin --kubeconfig PATH

prints one JSON line ``{"url": ..., "kubeconfig": ..., "stats": ...}`` once
both ports listen, then serves until stdin closes or it is killed.
"""

import argparse
import http.server
import json
import sys
import threading

from tests.kubeapi import ManagementCluster
from tests.kubeapi import server as server_mod

CLIENT_HEADER = 'X-Bench-Client'


class Traffic:
    """Requests and response bytes per client, thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._totals = {}

    def add(self, client, requests=0, nbytes=0):
        with self._lock:
            entry = self._totals.setdefault(client,
                                            {'requests': 0, 'bytes': 0})
            entry['requests'] += requests
            entry['bytes'] += nbytes

    def snapshot(self):
        with self._lock:
            return {k: dict(v) for k, v in self._totals.items()}


class _CountingWriter:
    """The handler's socket writer, counting bytes for the current client."""

    def __init__(self, inner, handler, traffic):
        self._inner = inner
        self._handler = handler
        self._traffic = traffic

    def write(self, data):
        written = self._inner.write(data)
        self._traffic.add(getattr(self._handler, 'bench_client', '?'),
                          nbytes=len(data) if written is None else written)
        return written

    def __getattr__(self, name):
        return getattr(self._inner, name)


def count_traffic(handler_class, traffic):
    """Wrap the stand-in's request handler so it reports to traffic.

    Only stdlib hooks (setup, parse_request) are wrapped, so the stand-in's
    own code is unchanged.
    """
    original_setup = handler_class.setup
    original_parse = handler_class.parse_request

    def setup(self):
        original_setup(self)
        self.wfile = _CountingWriter(self.wfile, self, traffic)

    def parse_request(self):
        parsed = original_parse(self)
        if parsed:
            self.bench_client = (self.headers.get(CLIENT_HEADER)
                                 or self.headers.get('User-Agent', '?'))
            traffic.add(self.bench_client, requests=1)
        return parsed

    handler_class.setup = setup
    handler_class.parse_request = parse_request


def stats_server(traffic):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(traffic.snapshot()).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True,
                     name='bench-stats').start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m benchmarks.standin')
    parser.add_argument('--kubeconfig', required=True)
    parser.add_argument('--port', type=int, default=0)
    args = parser.parse_args(argv)
    traffic = Traffic()
    count_traffic(server_mod.Handler, traffic)
    stats = stats_server(traffic)
    with ManagementCluster(capi=False, port=args.port,
                           kubeconfig=args.kubeconfig) as mc:
        print(json.dumps({
            'url': mc.url, 'kubeconfig': mc.kubeconfig,
            'stats': 'http://127.0.0.1:%d/stats' % stats.server_address[1],
        }), flush=True)
        sys.stdin.read()
    stats.shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
