"""A Kubernetes API server stand-in for tests, with an optional CAPI
simulator: ``with ManagementCluster() as mc:`` then point real helm, kubectl
or pykube-ng at ``mc.kubeconfig``.
"""

import os
import shutil
import tempfile
import threading
import time

import yaml

from tests.kubeapi import server as server_mod
from tests.kubeapi import store as store_mod


class ManagementCluster:
    """The server on a free loopback port, its kubeconfig and its faults.

    ``capi=True`` also runs ``tests.kubeapi.capi.Simulator`` against it;
    ``speed`` is passed to the simulator untouched. ``crds=False`` starts
    without the Cluster API CRDs.
    """

    def __init__(self, capi=False, speed=1.0, crds=True, port=0,
                 kubeconfig=None):
        self.store = store_mod.Store(with_crds=crds)
        self._crds = crds
        self._server = server_mod.Server(self.store, ('127.0.0.1', port))
        self.port = self._server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self._tmp = None if kubeconfig else tempfile.mkdtemp(
            prefix='kubeapi-')
        self.kubeconfig = kubeconfig or os.path.join(self._tmp, 'kubeconfig')
        self._want_capi, self._speed = capi, speed
        self.capi = None
        self._thread = None

    @property
    def requests(self):
        return self._server.requests

    @property
    def faults(self):
        return self._server.faults

    @property
    def server(self):
        """The HTTP server (``too_large_wait`` and the like)."""
        return self._server

    def _serve(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.1},
                                        name='kubeapi', daemon=True)
        self._thread.start()

    def _halt(self, cut_everything=False):
        """Stop serving; watches end. A restart also cuts requests in
        flight; a final stop lets them finish."""
        if self._thread is not None:
            self._server.stopping = True
            if cut_everything:
                self._server.drop_connections()
            else:
                self._server.end_watches()
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def restart(self, fresh_store=False, down_for=0.0):
        """Stop the API server and start it again on the same port.

        Every connection (watches included) is cut. The store is kept, as
        etcd keeps its data, unless ``fresh_store``: then the server comes
        back empty with resourceVersions from the start, so clients must
        list again. The request log and the faults carry over.
        """
        self._halt(cut_everything=True)
        if down_for:
            time.sleep(down_for)
        if fresh_store:
            self.store = store_mod.Store(with_crds=self._crds)
        self._server = server_mod.Server(
            self.store, ('127.0.0.1', self.port), self._server.faults,
            self._server.requests)
        self._serve()

    def start(self):
        write_kubeconfig(self.kubeconfig, self.url)
        self._serve()
        if self._want_capi:
            from tests.kubeapi.capi import Simulator
            self.capi = Simulator(self.url, speed=self._speed)
            self.capi.start()
        return self

    def stop(self):
        if self.capi is not None:
            self.capi.stop()
            self.capi = None
        self._halt()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # Fault injection, see tests.kubeapi.faults.Faults.
    def fail(self, verb='*', resource='*', status=500, times=1,
             seconds=None):
        self.faults.fail(verb, resource, status, times, seconds)

    def outage(self, seconds=None, times=None, status=503):
        """Every request fails; open watches are cut."""
        self.faults.outage(seconds, times, status)
        self._server.end_watches()

    def refuse_connections(self, seconds=None, times=None):
        """Connections are reset; open watches are cut."""
        self.faults.refuse(seconds, times)
        self._server.end_watches()

    def latency(self, delay, seconds=None, verb='*', resource='*'):
        self.faults.latency(delay, seconds, verb, resource)

    def clear_faults(self):
        self.faults.clear()


def write_kubeconfig(path, url, token='test-token'):
    """A kubeconfig for plain HTTP; the server accepts and ignores tokens."""
    config = {
        'apiVersion': 'v1', 'kind': 'Config',
        'clusters': [{'name': 'management',
                      'cluster': {'server': url}}],
        'users': [{'name': 'admin', 'user': {'token': token}}],
        'contexts': [{'name': 'management',
                      'context': {'cluster': 'management',
                                  'user': 'admin'}}],
        'current-context': 'management',
    }
    with open(path, 'w') as stream:
        yaml.safe_dump(config, stream)
    os.chmod(path, 0o600)
