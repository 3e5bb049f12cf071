"""Magnum's REST API as gophercloud calls it, for the stack tests.

A keystoneauth session of a cloud in the stack's clouds.yaml, microversions
in the ``OpenStack-API-Version`` header, and terraform-provider-openstack's
way of waiting for a state.
"""

import time

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import yaml

FAILED = ('CREATE_FAILED', 'UPDATE_FAILED', 'DELETE_FAILED',
          'RESUME_FAILED', 'ROLLBACK_FAILED')
SCALE = 20.0
MASTERLESS = 'Invalid input for field/attribute master_count'


class StateError(Exception):
    pass


def member_session(clouds_yaml, cloud='magnum-capi'):
    with open(clouds_yaml) as f:
        auth = yaml.safe_load(f)['clouds'][cloud]
    return ks_session.Session(auth=v3.Password(**auth['auth'])), \
        auth['region_name']


class Magnum(object):
    """gophercloud's container-infra client, as the provider uses it."""

    def __init__(self, clouds_yaml):
        self.session, self.region = member_session(clouds_yaml)
        self.races = []

    def request(self, method, path, microversion=None, **kwargs):
        headers = {}
        if microversion:
            headers['OpenStack-API-Version'] = \
                'container-infra %s' % microversion
        return self.session.request(
            path, method, headers=headers, raise_exc=False,
            endpoint_filter={'service_type': 'container-infra',
                             'interface': 'public',
                             'region_name': self.region}, **kwargs)

    def ok(self, method, path, microversion=None, **kwargs):
        reply = self.request(method, path, microversion, **kwargs)
        assert reply.status_code < 300, (method, path, reply.status_code,
                                         reply.text)
        return reply.json() if reply.content else None

    def refresh(self, path, microversion=None):
        """The provider's StateRefreshFunc: 404 means DELETE_COMPLETE."""
        reply = self.request('GET', path, microversion)
        if reply.status_code == 404:
            return 'DELETE_COMPLETE', None
        if reply.status_code == 400 and MASTERLESS in reply.text:
            return MASTERLESS, None
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if body['status'] in FAILED:
            raise StateError('%s: %s' % (body['status'],
                                         body['status_reason']))
        return body['status'], body

    def wait(self, path, target, pending=(), before=None, interval=20.0,
             microversion=None, timeout=600):
        """retry.StateChangeConf with Delay 0, interval scaled down.

        A state outside pending (when pending is given) stops the provider
        with "unexpected state"; while it is still the state from before
        the request (the conductor has not acted yet, see
        tests.stack.test_opentofu) it is recorded as Magnum's race instead.
        """
        deadline = time.monotonic() + timeout
        acted = False
        while time.monotonic() < deadline:
            state, body = self.refresh(path, microversion)
            if state in target:
                return body
            if state == MASTERLESS:
                # Magnum deletes nodegroup rows before the cluster row, in
                # separate transactions: a GET in between fails validation
                # (master_count 0). The provider would stop with that 400.
                self.races.append((path, state))
            elif pending and state not in pending:
                if acted or state != before:
                    raise StateError('unexpected state %r, wanted %r'
                                     % (state, target))
                self.races.append((path, state))
            else:
                acted = True
            time.sleep(interval / SCALE)
        raise StateError('timeout waiting for %r at %s' % (target, path))
