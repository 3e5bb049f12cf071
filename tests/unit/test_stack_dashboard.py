"""The dashboard's static file handler (tools.stack.dashboard)."""

import io

import pytest

from tools.stack import dashboard


@pytest.fixture
def root(tmp_path):
    (tmp_path / 'dashboard' / 'css').mkdir(parents=True)
    (tmp_path / 'dashboard' / 'css' / 'output.css').write_text('body{}')
    (tmp_path.parent / 'secret.txt').write_text('no')
    return tmp_path


def call(app, path, method='GET'):
    seen = {}

    def start_response(status, headers):
        seen['status'], seen['headers'] = status, dict(headers)
    body = b''.join(app({'PATH_INFO': path, 'REQUEST_METHOD': method,
                         'wsgi.input': io.BytesIO()}, start_response))
    return seen['status'], seen['headers'], body


def django(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/html')])
    return [b'django']


@pytest.mark.parametrize('path,status,body', [
    ('/static/dashboard/css/output.css', '200 OK', b'body{}'),
    ('/static/dashboard/css/missing.css', '404 Not Found', b'not found'),
    ('/static/../secret.txt', '404 Not Found', b'not found'),
    ('/static/%2e%2e/secret.txt', '404 Not Found', b'not found'),
    ('/static/', '404 Not Found', b'not found'),
    ('/project/clusters', '200 OK', b'django'),
])
def test_static_files_beside_django(root, path, status, body):
    app = dashboard.with_static(django, str(root), '/static/')
    assert call(app, path)[::2] == (status, body)


def test_static_type_and_head(root):
    app = dashboard.with_static(django, str(root), '/static/')
    status, headers, body = call(app, '/static/dashboard/css/output.css',
                                 'HEAD')
    assert (status, headers['Content-Type'], body) == (
        '200 OK', 'text/css', b'')
