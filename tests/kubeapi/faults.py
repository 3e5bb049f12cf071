"""Fault injection and the request log, both safe to use from any thread."""

import collections
import threading
import time

Request = collections.namedtuple(
    'Request', 'method path query client status time verb resource '
               'namespace name subresource bytes accept')
# Bytes of the response body (all events of a watch) and the Accept header.
Request.__new__.__defaults__ = (0, '')


class RequestLog:
    """Every request the server answered, in order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items = []

    def append(self, request):
        with self._lock:
            self._items.append(request)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __iter__(self):
        with self._lock:
            return iter(list(self._items))

    def __len__(self):
        with self._lock:
            return len(self._items)

    def filter(self, method=None, verb=None, resource=None, client=None,
               status=None, path=None, namespace=None, name=None,
               since=None):
        """Requests matching every given criterion; ``client`` matches the
        start of the User-Agent, ``path`` a substring, ``since`` the
        ``time.time()`` at or after which the request ended."""
        def wanted(r):
            return ((method is None or r.method == method.upper())
                    and (verb is None or r.verb == verb)
                    and (resource is None or r.resource == resource)
                    and (client is None or r.client.startswith(client))
                    and (status is None or r.status == status)
                    and (path is None or path in r.path)
                    and (namespace is None or r.namespace == namespace)
                    and (name is None or r.name == name)
                    and (since is None or r.time >= since))
        return [r for r in self if wanted(r)]

    def count(self, **criteria):
        return len(self.filter(**criteria))

    def bytes(self, **criteria):
        """Response bytes of the matching requests."""
        return sum(r.bytes for r in self.filter(**criteria))


class _Rule:
    def __init__(self, verb, resource, status, times, seconds, delay=0.0):
        self.verb, self.resource, self.status = verb, resource, status
        self.remaining = times
        self.until = time.monotonic() + seconds if seconds else None
        self.delay = delay

    def expired(self):
        return (self.remaining is not None and self.remaining <= 0) or (
            self.until is not None and time.monotonic() >= self.until)

    def matches(self, verb, resource):
        return (self.verb in ('*', verb)
                and self.resource in ('*', resource))


class Faults:
    """What the server should get wrong next."""

    def __init__(self):
        self._lock = threading.Lock()
        self._errors = []
        self._delays = []
        self._refusal = None

    def fail(self, verb='*', resource='*', status=500, times=1,
             seconds=None):
        """Answer ``status`` to matching requests, ``times`` times (None:
        unlimited) or for ``seconds``."""
        if not 400 <= status <= 599:
            raise ValueError('status %r: an HTTP error code (400-599) is '
                             'accepted' % status)
        with self._lock:
            self._errors.append(_Rule(verb, resource, status, times,
                                      seconds))

    def outage(self, seconds=None, times=None, status=503):
        """Every request fails with ``status`` until cleared or expired."""
        self.fail('*', '*', status, times, seconds)

    def refuse(self, seconds=None, times=None):
        """Reset connections (new and kept-alive) instead of answering."""
        with self._lock:
            self._refusal = _Rule('*', '*', None, times, seconds)

    def latency(self, delay, seconds=None, verb='*', resource='*'):
        """Delay matching requests by ``delay`` seconds."""
        with self._lock:
            self._delays.append(_Rule(verb, resource, None, None, seconds,
                                      delay))

    def clear(self):
        with self._lock:
            self._errors, self._delays, self._refusal = [], [], None

    def refusing(self):
        with self._lock:
            rule = self._refusal
            if rule is None or rule.expired():
                self._refusal = None
                return False
            if rule.remaining is not None:
                rule.remaining -= 1
            return True

    def check(self, verb, resource):
        """(delay in seconds, error status or None) for a request."""
        with self._lock:
            self._errors = [r for r in self._errors if not r.expired()]
            self._delays = [r for r in self._delays if not r.expired()]
            delay = sum(r.delay for r in self._delays
                        if r.matches(verb, resource))
            for rule in self._errors:
                if rule.matches(verb, resource):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return delay, rule.status
            return delay, None
