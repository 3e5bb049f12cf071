"""A small Kubernetes API client: JSON over one keep-alive connection."""

import http.client
import json
import urllib.parse

USER_AGENT = 'capi-simulator/1.0'


class ApiError(Exception):
    """An answer other than 2xx; ``code`` is the HTTP status."""

    def __init__(self, code, message):
        super().__init__('%s: %s' % (code, message))
        self.code = code


def collection_path(kind, namespace=None):
    group_version = kind.api_version
    root = '/api/v1' if group_version == 'v1' else '/apis/' + group_version
    if namespace:
        root += '/namespaces/' + urllib.parse.quote(namespace)
    return root + '/' + kind.plural


def object_path(kind, namespace, name, status=False):
    path = collection_path(kind, namespace) + '/' + urllib.parse.quote(name)
    return path + '/status' if status else path


class Client:
    """Speaks to the API at ``url`` (http://host:port) as the controllers.

    Connection failures and HTTP errors raise; the caller retries later.
    """

    def __init__(self, url, timeout=2.0, user_agent=USER_AGENT):
        self._user_agent = user_agent
        parsed = urllib.parse.urlsplit(url)
        self._host = parsed.hostname
        self._port = parsed.port or 80
        self._timeout = timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None,
                content_type='application/json'):
        headers = {'User-Agent': self._user_agent,
                   'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers['Content-Type'] = content_type
        if self._conn is None:
            self._conn = http.client.HTTPConnection(
                self._host, self._port, timeout=self._timeout)
        try:
            self._conn.request(method, path, body=data, headers=headers)
            response = self._conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader('Connection', '').lower() == 'close':
            self.close()
        if response.status >= 300:
            raise ApiError(response.status,
                           payload[:200].decode(errors='replace'))
        return json.loads(payload) if payload else {}

    def list(self, kind):
        """Every object of ``kind`` in all namespaces, page by page."""
        items = []
        token = ''
        while True:
            query = {'limit': '500'}
            if token:
                query['continue'] = token
            answer = self.request('GET', collection_path(kind) + '?'
                                  + urllib.parse.urlencode(query))
            for item in answer.get('items') or []:
                item.setdefault('apiVersion', kind.api_version)
                item.setdefault('kind', kind.kind)
                items.append(item)
            token = (answer.get('metadata') or {}).get('continue')
            if not token:
                return items

    def get(self, kind, namespace, name):
        return self.request('GET', object_path(kind, namespace, name))

    def create(self, kind, namespace, body):
        return self.request('POST', collection_path(kind, namespace), body)

    def patch(self, kind, namespace, name, body, status=False,
              resource_version=None):
        """A JSON merge patch; with ``resource_version`` it may conflict."""
        if resource_version:
            body = dict(body)
            body['metadata'] = dict(body.get('metadata') or {},
                                    resourceVersion=resource_version)
        return self.request('PATCH',
                            object_path(kind, namespace, name, status), body,
                            'application/merge-patch+json')

    def delete(self, kind, namespace, name):
        return self.request('DELETE', object_path(kind, namespace, name),
                            {'kind': 'DeleteOptions', 'apiVersion': 'v1',
                             'propagationPolicy': 'Background'})
