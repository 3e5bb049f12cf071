"""OpenStack identity of a cluster: one application credential per cluster.

Keystone trusts are gone from Magnum, so the driver creates an application
credential with the user's token when the cluster is created, and writes it
as clouds.yaml into the cluster's credentials Secret (see ``secrets``). The
Secret's annotations record which credential it holds and whose it is,
because the credential is deleted much later, by the periodic status task,
which has no user token: it then uses Magnum's service credentials
(``[keystone_auth]``), which Keystone lets delete any user's credential when
they carry the admin role.

The credential secret is only ever put in the Kubernetes Secret: it is kept
out of reprs, logs, exception messages and Helm values, and requests that
carry it are sent with keystoneauth's request logging off.
"""

import dataclasses
import datetime
import re

from keystoneauth1.access import access as ka_access
from keystoneauth1 import exceptions as ka_exceptions
from keystoneauth1.identity import access as ka_access_plugin
from keystoneauth1.identity import v3 as ka_v3
from keystoneauth1 import loading as ka_loading
from keystoneauth1 import session as ka_session
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import keystone as magnum_keystone
from magnum.common import utils as magnum_utils
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import excutils

from magnum_capi_driver import conf
from magnum_capi_driver import secrets

LOG = logging.getLogger(__name__)
CONF = conf.CONF

KEYSTONE_AUTH_GROUP = 'keystone_auth'
IDENTITY = {'service_type': 'identity'}

# Outcomes of a deletion (DeletionResult.outcome).
DELETED = 'deleted'
ALREADY_GONE = 'already-gone'
FORBIDDEN = 'forbidden'
NOT_ATTEMPTED = 'not-attempted'


class CredentialError(exception.MagnumException):
    """Keystone refused or failed an application credential operation."""
    message = 'Could not %(action)s: %(error)s'
    code = 500


@dataclasses.dataclass(frozen=True)
class AppCredential:
    """A created application credential; the secret stays out of repr."""
    id: str
    name: str
    user_id: str
    project_id: str
    secret: str = dataclasses.field(repr=False)

    def reference(self):
        return {'id': self.id, 'name': self.name, 'user_id': self.user_id}


@dataclasses.dataclass(frozen=True)
class CloudSettings:
    """What the cluster's clouds.yaml says besides the credential."""
    auth_url: str
    region_name: str
    interface: str
    verify: bool
    cacert: str = ''


@dataclasses.dataclass(frozen=True)
class DeletionResult:
    """What became of a cluster's credential; the driver may record it."""
    credential_id: str
    user_id: str
    outcome: str
    detail: str = ''


# Pure functions.

def credential_name(cluster_name, cluster_uuid, now):
    """Unique per creation, and found by the cluster's name or uuid."""
    stamp = now.strftime('%Y%m%dT%H%M%S.%f')[:-3] + 'Z'
    return 'magnum-%s-%s-%s' % ((cluster_name or 'cluster')[:64],
                                cluster_uuid, stamp)


def is_cluster_credential(name, cluster_uuid):
    """Whether ``credential_name`` made this name for this cluster.

    The uuid and the creation stamp end every such name, so a credential
    is found by its cluster even when no Secret records it (a crash
    between creating it and writing the Secret).
    """
    pattern = r'magnum-.*-%s-\d{8}T\d{6}\.\d{3}Z' % re.escape(cluster_uuid)
    return bool(name) and re.fullmatch(pattern, name) is not None


def orphaned(credentials, cluster_uuid, keep=()):
    """The ids of the cluster's credentials, except those in ``keep``.

    ``credentials`` as Keystone lists them (dicts with id and name); the
    one the credentials Secret references goes in ``keep``.
    """
    return sorted(c['id'] for c in credentials
                  if c.get('id') not in keep
                  and is_cluster_credential(c.get('name'), cluster_uuid))


def credential_request(name, description, roles=(), expiry_days=0,
                       unrestricted=False, now=None):
    """Body of POST /v3/users/{user}/application_credentials."""
    body = {'name': name, 'description': description,
            'unrestricted': bool(unrestricted)}
    if roles:
        body['roles'] = [{'name': role} for role in roles]
    if expiry_days:
        expires = now + datetime.timedelta(days=expiry_days)
        body['expires_at'] = expires.strftime('%Y-%m-%dT%H:%M:%S')
    return {'application_credential': body}


def identity_endpoint(catalog, interface, region_name=''):
    """(url, region) of Keystone's endpoint in a v3 token catalog.

    Without a region, the catalog must have a single region for that
    interface; otherwise the error names the regions to choose from.
    """
    endpoints = [e for service in catalog or []
                 if service.get('type') == 'identity'
                 for e in service.get('endpoints') or []
                 if e.get('interface') == interface]
    regions = sorted({e.get('region_id') or e.get('region') or ''
                      for e in endpoints})
    if not endpoints:
        raise CredentialError(
            action='find the Keystone endpoint',
            error='the catalog has no identity endpoint with interface %r; '
                  'set [capi_driver] endpoint_interface to one it has'
                  % interface)
    if not region_name:
        if len(regions) > 1:
            raise CredentialError(
                action='find the Keystone endpoint',
                error='the catalog has identity endpoints in regions %s; '
                      'set [capi_driver] region_name to one of them'
                      % ', '.join(repr(r) for r in regions))
        region_name = regions[0]
    for endpoint in endpoints:
        if region_name in (endpoint.get('region_id'), endpoint.get('region')):
            return endpoint['url'], region_name
    raise CredentialError(
        action='find the Keystone endpoint',
        error='region_name %r has no %s identity endpoint; accepted are %s'
              % (region_name, interface,
                 ', '.join(repr(r) for r in regions)))


def _describe(exc):
    """A keystoneauth error as status and Keystone's message, no bodies."""
    if isinstance(exc, ka_exceptions.HttpError):
        return 'Keystone answered %s %s' % (exc.http_status, exc.message)
    return exc.__class__.__name__


# Keystone adapter.

def user_session(context):
    """A session acting as the requesting user, scoped to their project."""
    url = auth_url(context)
    if context.auth_token_info:
        access = ka_access.create(body=context.auth_token_info,
                                  auth_token=context.auth_token)
        auth = ka_access_plugin.AccessInfoPlugin(access, auth_url=url)
    elif context.auth_token:
        auth = ka_v3.Token(auth_url=url, token=context.auth_token,
                           project_id=context.project_id)
    else:
        raise CredentialError(
            action='create an application credential for project %s'
                   % context.project_id,
            error='the request carries no user token')
    return _session(auth)


def service_session():
    """A session with Magnum's service credentials ([keystone_auth])."""
    client = magnum_keystone.KeystoneClientV3(
        magnum_context.make_admin_context())
    try:
        return client.session
    except Exception as exc:
        raise CredentialError(
            action="use Magnum's service credentials ([keystone_auth])",
            error=_describe(exc))


def _session(auth):
    try:
        return ka_loading.load_session_from_conf_options(
            CONF, KEYSTONE_AUTH_GROUP, auth=auth)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return ka_session.Session(auth=auth)


def auth_url(context):
    """Keystone's URL as Magnum knows it for this request."""
    try:
        url = magnum_keystone.KeystoneClientV3(context).auth_url
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        url = None
    return url or getattr(context, 'auth_url', None)


def cloud_settings(session):
    """Auth URL from the catalog and TLS settings for the clouds.yaml."""
    options = CONF[conf.GROUP]
    try:
        catalog = session.auth.get_access(session).service_catalog.catalog
    except ka_exceptions.ClientException as exc:
        raise CredentialError(action='read the Keystone catalog',
                              error=_describe(exc))
    auth_url, region = identity_endpoint(
        catalog, options.endpoint_interface,
        options.region_name or _authtoken_region())
    return CloudSettings(auth_url=auth_url, region_name=region,
                         interface=options.endpoint_interface,
                         verify=CONF.drivers.verify_ca,
                         cacert=magnum_utils.get_openstack_ca())


def _authtoken_region():
    try:
        return CONF.keystone_authtoken.region_name or ''
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return ''


def create_application_credential(session, user_id, cluster, now=None):
    """Create the cluster's credential as the session's user."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    options = CONF[conf.GROUP]
    name = credential_name(cluster.name, cluster.uuid, now)
    body = credential_request(
        name,
        'Cloud credential of Magnum cluster %s (%s); deleted with the '
        'cluster.' % (cluster.name, cluster.uuid),
        roles=options.application_credential_roles,
        expiry_days=options.application_credential_expiry_days,
        unrestricted=options.application_credential_unrestricted, now=now)
    try:
        response = session.post(
            '/users/%s/application_credentials' % user_id, json=body,
            endpoint_filter=IDENTITY, log=False)
    except ka_exceptions.ClientException as exc:
        raise CredentialError(
            action='create application credential %s for user %s'
                   % (name, user_id),
            error=_describe(exc))
    created = response.json()['application_credential']
    LOG.info('Created application credential %(id)s (%(name)s) of user '
             '%(user)s for cluster %(cluster)s.',
             {'id': created['id'], 'name': name, 'user': user_id,
              'cluster': cluster.uuid})
    return AppCredential(id=created['id'], name=name, user_id=user_id,
                         project_id=created['project_id'],
                         secret=created['secret'])


def credential_exists(session, user_id, credential_id):
    """Whether the user's credential still exists (and is visible)."""
    try:
        session.get('/users/%s/application_credentials/%s'
                    % (user_id, credential_id), endpoint_filter=IDENTITY)
    except (ka_exceptions.NotFound, ka_exceptions.Forbidden):
        return False
    except ka_exceptions.ClientException as exc:
        raise CredentialError(
            action='look up application credential %s of user %s'
                   % (credential_id, user_id),
            error=_describe(exc))
    return True


def list_application_credentials(session, user_id):
    """The user's credentials (id and name); [] if not visible.

    A user who no longer exists, or whom these credentials may not see,
    has nothing the driver can delete: that is a warning, not an error.
    """
    try:
        response = session.get('/users/%s/application_credentials'
                               % user_id, endpoint_filter=IDENTITY)
    except (ka_exceptions.NotFound, ka_exceptions.Forbidden) as exc:
        LOG.warning('Could not list the application credentials of user '
                    '%(user)s: %(error)s.',
                    {'user': user_id, 'error': _describe(exc)})
        return []
    except ka_exceptions.ClientException as exc:
        raise CredentialError(
            action='list the application credentials of user %s' % user_id,
            error=_describe(exc))
    return [{'id': c.get('id'), 'name': c.get('name')}
            for c in response.json().get('application_credentials') or []]


def delete_orphaned_credentials(session, user_id, cluster_uuid, keep=()):
    """Delete the user's credentials named for the cluster, but ``keep``.

    They are left by a create that stopped (a killed conductor) between
    Keystone and the Secret. Returns the DeletionResults.
    """
    found = orphaned(list_application_credentials(session, user_id),
                     cluster_uuid, keep)
    results = []
    for credential_id in found:
        LOG.info('Application credential %(id)s of user %(user)s is named '
                 'for cluster %(cluster)s but no Secret holds it; '
                 'deleting it.', {'id': credential_id, 'user': user_id,
                                  'cluster': cluster_uuid})
        results.append(delete_application_credential(
            session, user_id, credential_id, cluster_uuid))
    return results


def delete_application_credential(session, user_id, credential_id,
                                  cluster_label=''):
    """Delete a credential; already gone or not permitted is not an error.

    Those two end with a warning that says what to do, because a cluster
    whose owner left the project must still be deletable. Other failures
    (Keystone unreachable) raise, so that a later attempt can retry.
    """
    path = '/users/%s/application_credentials/%s' % (user_id, credential_id)
    where = {'id': credential_id, 'user': user_id,
             'cluster': cluster_label or 'unknown'}
    try:
        session.delete(path, endpoint_filter=IDENTITY)
    except ka_exceptions.NotFound:
        LOG.warning('Application credential %(id)s of user %(user)s '
                    '(cluster %(cluster)s) was already deleted; nothing left '
                    'to do.', where)
        return DeletionResult(credential_id, user_id, ALREADY_GONE,
                              'already deleted')
    except ka_exceptions.Forbidden as exc:
        LOG.warning('Not allowed to delete application credential %(id)s '
                    'of user %(user)s (cluster %(cluster)s): %(error)s. '
                    'The user may have left the project, or Magnum\'s '
                    '[keystone_auth] user lacks the admin role. An '
                    'administrator should delete it: DELETE '
                    '/v3/users/%(user)s/application_credentials/%(id)s.',
                    dict(where, error=_describe(exc)))
        return DeletionResult(credential_id, user_id, FORBIDDEN,
                              _describe(exc))
    except ka_exceptions.ClientException as exc:
        raise CredentialError(
            action='delete application credential %s of user %s'
                   % (credential_id, user_id),
            error=_describe(exc))
    LOG.info('Deleted application credential %(id)s of user %(user)s '
             '(cluster %(cluster)s).', where)
    return DeletionResult(credential_id, user_id, DELETED)


# The cluster's credential lifecycle (Keystone + the credentials Secret).

def _write_credentials_secret(session, api, namespace, release, cluster,
                              credential):
    settings = cloud_settings(session)
    clouds = secrets.clouds_yaml(
        settings.auth_url, settings.region_name, settings.interface,
        credential.id, credential.secret, verify=settings.verify)
    secrets.apply_secret(api, secrets.credentials_secret(
        namespace, release, clouds, credential.reference(), cluster.uuid,
        cacert=settings.cacert))


def _create_and_write(context, session, api, namespace, release, cluster):
    """A new credential in the Secret; the credential is undone if not."""
    credential = create_application_credential(session, context.user_id,
                                               cluster)
    try:
        _write_credentials_secret(session, api, namespace, release, cluster,
                                  credential)
    except Exception:
        with excutils.save_and_reraise_exception():
            delete_application_credential(session, credential.user_id,
                                          credential.id, cluster.uuid)
    return credential


def create_cluster_credentials(context, api, namespace, release, cluster):
    """Make sure the cluster's credentials Secret holds a live credential.

    Idempotent: when the Secret already names a credential of this user that
    still exists (a create re-run after a crash), it is kept.
    Returns the Secret's name, for cloudCredentialsSecretName.
    """
    name = secrets.credentials_secret_name(release)
    session = user_session(context)
    reference = secrets.credential_reference(
        secrets.read_secret(api, namespace, name))
    if reference and reference[1] == context.user_id and credential_exists(
            session, context.user_id, reference[0]):
        LOG.info('Cluster %(cluster)s keeps application credential %(id)s.',
                 {'cluster': cluster.uuid, 'id': reference[0]})
        kept = reference[0]
    else:
        kept = _create_and_write(context, session, api, namespace, release,
                                 cluster).id
    _sweep(session, context.user_id, cluster.uuid, kept)
    return name


def _sweep(session, user_id, cluster_uuid, kept):
    """Delete what an earlier, interrupted run left; never ``kept``.

    Best effort: what is left now is found again when the cluster is
    deleted.
    """
    try:
        delete_orphaned_credentials(session, user_id, cluster_uuid, {kept})
    except CredentialError as exc:
        LOG.warning('Cluster %(cluster)s: left application credentials '
                    'not cleaned up now: %(error)s. They are deleted with '
                    'the cluster.', {'cluster': cluster_uuid, 'error': exc})


def rotate_cluster_credentials(context, api, namespace, release, cluster):
    """Replace the cluster's credential; the old one goes last.

    The Secret is updated in place with the new credential first, so the
    cluster never holds a deleted credential. The old one is deleted as the
    requesting user when it is theirs, else with Magnum's service
    credentials.
    """
    name = secrets.credentials_secret_name(release)
    session = user_session(context)
    old = secrets.credential_reference(
        secrets.read_secret(api, namespace, name))
    new = _create_and_write(context, session, api, namespace, release,
                            cluster)
    result = None
    if old is not None:
        old_id, old_user = old
        if old_user == context.user_id:
            result = delete_application_credential(session, old_user, old_id,
                                                   cluster.uuid)
        else:
            result = _delete_as_service(old_user, old_id, cluster.uuid)
    _sweep(session, context.user_id, cluster.uuid, new.id)
    return result


def _delete_as_service(user_id, credential_id, cluster_label):
    try:
        session = service_session()
    except CredentialError as exc:
        LOG.warning('Could not delete application credential %(id)s of '
                    'user %(user)s (cluster %(cluster)s): %(error)s. An '
                    'administrator should delete it.',
                    {'id': credential_id, 'user': user_id,
                     'cluster': cluster_label, 'error': exc})
        return DeletionResult(credential_id, user_id, NOT_ATTEMPTED,
                              str(exc))
    return delete_application_credential(session, user_id, credential_id,
                                         cluster_label)


def _delete_orphans_as_service(user_ids, cluster_uuid, handled=()):
    try:
        session = service_session()
    except CredentialError as exc:
        LOG.warning('Could not look for application credentials left by '
                    'cluster %(cluster)s: %(error)s. An administrator '
                    'should delete those whose names hold the cluster\'s '
                    'uuid.', {'cluster': cluster_uuid, 'error': exc})
        return []
    results = []
    for user_id in user_ids:
        results.extend(delete_orphaned_credentials(session, user_id,
                                                   cluster_uuid, handled))
    return results


def delete_cluster_credentials(api, namespace, release, cluster_label='',
                               cluster_uuid=None, owners=()):
    """Delete the cluster's credentials, then its credentials Secret.

    Call only once the CAPI Cluster and OpenStackCluster are gone: CAPO
    needs the Secret until then. Works without a user token. With
    ``cluster_uuid``, credentials named for the cluster (see
    ``is_cluster_credential``) of the Secret's user and of ``owners`` (the
    cluster's creator) go too: those a crash kept out of the Secret.
    ``release`` may be None when the release was never named. Returns the
    DeletionResult of the Secret's credential, or None when no Secret (or
    no credential) was found.
    """
    name = secrets.credentials_secret_name(release) if release else None
    secret = secrets.read_secret(api, namespace, name) if name else None
    reference = secrets.credential_reference(secret)
    result = None
    users = set(owners)
    handled = set()
    if reference:
        credential_id, user_id = reference
        users.add(user_id)
        handled.add(credential_id)
        label = cluster_label or (secret['metadata'].get('annotations') or
                                  {}).get(secrets.CLUSTER_UUID, release)
        result = _delete_as_service(user_id, credential_id, label)
    if cluster_uuid:
        _delete_orphans_as_service(sorted(u for u in users if u),
                                   cluster_uuid, handled)
    if secret is not None:
        secrets.delete_secret(api, namespace, name)
    return result
