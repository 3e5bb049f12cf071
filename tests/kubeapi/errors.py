"""API errors, each rendered as a metav1.Status like a real server's."""


class ApiError(Exception):
    code = 500
    reason = 'InternalError'

    def __init__(self, message, details=None):
        super().__init__(message)
        self.message = message
        self.details = details

    def status(self):
        body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
                'status': 'Failure', 'message': self.message,
                'reason': self.reason, 'code': self.code}
        if self.details:
            body['details'] = self.details
        return body


class BadRequest(ApiError):
    code, reason = 400, 'BadRequest'


class Forbidden(ApiError):
    code, reason = 403, 'Forbidden'


class NotFound(ApiError):
    code, reason = 404, 'NotFound'


class MethodNotAllowed(ApiError):
    code, reason = 405, 'MethodNotAllowed'


class AlreadyExists(ApiError):
    code, reason = 409, 'AlreadyExists'


class Conflict(ApiError):
    code, reason = 409, 'Conflict'


class NotAcceptable(ApiError):
    code, reason = 406, 'NotAcceptable'


class Gone(ApiError):
    code, reason = 410, 'Expired'


class UnsupportedMediaType(ApiError):
    code, reason = 415, 'UnsupportedMediaType'


class Invalid(ApiError):
    code, reason = 422, 'Invalid'


class TooLargeResourceVersion(ApiError):
    """A resourceVersion the server has not reached (after waiting)."""
    code, reason = 504, 'Timeout'

    def __init__(self, wanted, current):
        super().__init__(
            'Too large resource version: %d, current: %d' % (
                wanted, current),
            {'causes': [{'reason': 'ResourceVersionTooLarge',
                         'message': 'Too large resource version'}],
             'retryAfterSeconds': 1})


class Injected(ApiError):
    """A fault the test asked for."""

    def __init__(self, code, message='injected fault'):
        super().__init__(message)
        self.code = code
        self.reason = {500: 'InternalError', 503: 'ServiceUnavailable',
                       504: 'Timeout', 429: 'TooManyRequests'}.get(
                           code, 'InternalError')


def not_found(resource, name):
    return NotFound('%s "%s" not found' % (resource, name),
                    {'name': name, 'kind': resource})
