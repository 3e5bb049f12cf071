"""Per-cluster OpenStack identity against the real Keystone server.

Application credentials are created with the user's real token, the
clouds.yaml the driver writes is used as-is to authenticate, and deletion
runs the way Magnum's periodic task does it: no user token, Magnum's service
credentials. The credentials Secret and the CA Secrets go to the Kubernetes
API stand-in; certificates come from Magnum's own cert manager on sqlite.
"""

import logging
import uuid

from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from keystoneauth1 import exceptions as ka_exceptions
from keystoneauth1.identity import v3
from keystoneauth1 import session as ka_session
from magnum.common.x509 import operations as magnum_x509
from magnum.conductor.handlers.common import cert_manager
from openstack import config as sdk_config
import pykube
import pytest
import yaml

from magnum_capi_driver import conf
from magnum_capi_driver import credentials
from magnum_capi_driver import identity
from magnum_capi_driver import kube
from magnum_capi_driver import secrets
from tests.fixtures import magnum as magnum_fixtures

NAMESPACE = 'magnum-demo'
GROUP = conf.GROUP


class Cluster(object):
    """What identity reads of a Magnum cluster: its name and uuid."""

    def __init__(self, name='démo cluster'):
        self.name = name
        self.uuid = str(uuid.uuid4())


@pytest.fixture
def ks(keystone, magnum_conf, caplog, capsys):
    """Keystone wired into Magnum's config; checks no secret leaks.

    Every test registers the secrets it sees in ``leaks``; at the end no
    log record (at DEBUG, all loggers) and no output may contain one.
    """
    keystone.configure_magnum(magnum_conf)
    magnum_conf.set_override('region_name', keystone.region_name,
                             group=GROUP)
    caplog.set_level(logging.DEBUG)
    leaks = []
    yield keystone, leaks
    for name in ('region_name', 'endpoint_interface',
                 'application_credential_roles',
                 'application_credential_expiry_days'):
        magnum_conf.clear_override(name, group=GROUP)
    keystone.configure_magnum(magnum_conf)
    out, err = capsys.readouterr()
    logged = [r.getMessage() for phase in ('setup', 'call')
              for r in caplog.get_records(phase)]
    assert logged, 'nothing was logged: the leak check would be blind'
    assert leaks, 'the test checked no secret'
    for secret in leaks:
        assert not [line for line in logged if secret in line]
        assert secret not in out + err


def app_credential_session(auth_url, cred_id, cred_secret):
    return ka_session.Session(auth=v3.ApplicationCredential(
        auth_url=auth_url, application_credential_id=cred_id,
        application_credential_secret=cred_secret))


def token_project(session):
    access = session.auth.get_access(session)
    return access.project_id, sorted(access.role_names)


def live_credentials(keystone, user_id, cluster):
    admin = keystone.admin_session()
    creds = admin.get('/users/%s/application_credentials' % user_id,
                      endpoint_filter={'service_type': 'identity'}).json()
    return [c['id'] for c in creds['application_credentials']
            if cluster.uuid in c['name']]


def test_credential_authenticates_scoped_to_the_project(ks):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    cred = identity.create_application_credential(
        identity.user_session(ctx), ctx.user_id, cluster)
    leaks.append(cred.secret)
    assert cluster.name in cred.name and cluster.uuid in cred.name
    session = app_credential_session(keystone.auth_url, cred.id, cred.secret)
    assert token_project(session) == (keystone.project_id,
                                      ['member', 'reader'])


def test_bare_token_context_works(ks):
    keystone, leaks = ks
    ctx = keystone.request_context(with_info=False)
    cred = identity.create_application_credential(
        identity.user_session(ctx), ctx.user_id, Cluster())
    leaks.append(cred.secret)
    session = app_credential_session(keystone.auth_url, cred.id, cred.secret)
    assert token_project(session)[0] == keystone.project_id


def test_roles_and_expiry_restrict_the_credential(ks, magnum_conf):
    keystone, leaks = ks
    magnum_conf.set_override('application_credential_roles', ['reader'],
                             group=GROUP)
    magnum_conf.set_override('application_credential_expiry_days', 7,
                             group=GROUP)
    ctx = keystone.request_context()
    cred = identity.create_application_credential(
        identity.user_session(ctx), ctx.user_id, Cluster())
    leaks.append(cred.secret)
    session = app_credential_session(keystone.auth_url, cred.id, cred.secret)
    assert token_project(session) == (keystone.project_id, ['reader'])
    stored = keystone.admin_session().get(
        '/users/%s/application_credentials/%s' % (ctx.user_id, cred.id),
        endpoint_filter={'service_type': 'identity'}).json()
    assert stored['application_credential']['expires_at']
    assert stored['application_credential']['unrestricted'] is False


def test_role_the_user_lacks_is_a_clear_error(ks, magnum_conf):
    keystone, leaks = ks
    magnum_conf.set_override('application_credential_roles', ['admin'],
                             group=GROUP)
    ctx = keystone.request_context()
    with pytest.raises(identity.CredentialError) as raised:
        identity.create_application_credential(
            identity.user_session(ctx), ctx.user_id, Cluster())
    assert 'create application credential magnum-' in str(raised.value)
    assert 'Keystone answered 4' in str(raised.value)
    leaks.append(keystone.user_password)


@pytest.mark.parametrize('interface, host', [('public', '127.0.0.1'),
                                             ('internal', 'localhost')])
def test_cloud_settings_follow_catalog_and_config(ks, magnum_conf,
                                                  interface, host):
    keystone, leaks = ks
    magnum_conf.set_override('endpoint_interface', interface, group=GROUP)
    magnum_conf.set_override('openstack_ca_file', '', group='drivers')
    settings = identity.cloud_settings(
        identity.user_session(keystone.request_context()))
    assert settings.auth_url.startswith('http://%s:' % host)
    assert settings.region_name.encode('utf-8') == (
        'Düdingen Test'.encode('utf-8'))
    assert settings.interface == interface
    assert (settings.verify, settings.cacert) == (True, '')
    leaks.append(keystone.user_password)


def test_region_must_be_chosen_when_catalog_has_several(ks, magnum_conf):
    keystone, leaks = ks
    magnum_conf.set_override('region_name', '', group=GROUP)
    with pytest.raises(identity.CredentialError,
                       match="'Düdingen Test', 'RegionTwo'"):
        identity.cloud_settings(
            identity.user_session(keystone.request_context()))
    leaks.append(keystone.user_password)


def test_delete_of_a_credential_already_gone_warns(ks, caplog):
    keystone, leaks = ks
    ctx = keystone.request_context()
    session = identity.user_session(ctx)
    cred = identity.create_application_credential(session, ctx.user_id,
                                                  Cluster())
    leaks.append(cred.secret)
    first = identity.delete_application_credential(
        identity.service_session(), ctx.user_id, cred.id)
    again = identity.delete_application_credential(
        identity.service_session(), ctx.user_id, cred.id, 'cluster-x')
    assert (first.outcome, again.outcome) == (identity.DELETED,
                                              identity.ALREADY_GONE)
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING]
    assert any(cred.id in w and ctx.user_id in w and 'cluster-x' in w
               for w in warnings)


def _credential_of_member_who_left(keystone, leaks):
    """A member creates a credential, then is removed from the project."""
    name = 'leaver-' + uuid.uuid4().hex[:8]
    user_id = keystone.create_member(name)
    ctx = keystone.request_context(name, keystone.user_password)
    cred = identity.create_application_credential(
        identity.user_session(ctx), user_id, Cluster())
    leaks.append(cred.secret)
    keystone.revoke_all(user_id)
    return user_id, cred


def test_credential_of_user_who_left_is_deleted_by_admin_service(ks):
    keystone, leaks = ks
    user_id, cred = _credential_of_member_who_left(keystone, leaks)
    with pytest.raises(ka_exceptions.Unauthorized):
        app_credential_session(keystone.auth_url, cred.id,
                               cred.secret).get_token()
    result = identity.delete_application_credential(
        identity.service_session(), user_id, cred.id)
    assert result.outcome == identity.DELETED


def test_forbidden_delete_warns_with_what_to_do(ks, magnum_conf, caplog):
    """A service user without the admin role gets 403: warn, go on."""
    keystone, leaks = ks
    user_id, cred = _credential_of_member_who_left(keystone, leaks)
    keystone.configure_magnum(magnum_conf, username=keystone.user_name,
                              password=keystone.user_password,
                              project_name=keystone.project_name)
    result = identity.delete_application_credential(
        identity.service_session(), user_id, cred.id, 'cluster-y')
    assert result.outcome == identity.FORBIDDEN
    assert '403' in result.detail
    warning = [r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING][-1]
    assert cred.id in warning and user_id in warning
    assert '/v3/users/%s/application_credentials/%s' % (user_id,
                                                        cred.id) in warning


# The credentials Secret and CA Secrets on the Kubernetes API stand-in.

@pytest.fixture
def kube_api(management_cluster):
    api = pykube.HTTPClient(pykube.KubeConfig.from_file(
        str(management_cluster.kubeconfig)))
    api.request('POST', version='v1', url='namespaces', json={
        'apiVersion': 'v1', 'kind': 'Namespace',
        'metadata': {'name': NAMESPACE}}).raise_for_status()
    return api


def stored_cloud(api, release):
    secret = secrets.read_secret(api, NAMESPACE,
                                 secrets.credentials_secret_name(release))
    return secret, secrets.decode_data(secret)


def authenticate_with_clouds_yaml(tmp_path, text):
    """Use the clouds.yaml as-is: openstacksdk's loader, then keystoneauth."""
    path = tmp_path / ('clouds-%s.yaml' % uuid.uuid4().hex)
    path.write_text(text, encoding='utf-8')
    loader = sdk_config.OpenStackConfig(config_files=[str(path)],
                                        vendor_files=[])
    region = loader.get_one(cloud='openstack')
    sdk_project = region.get_session().auth.get_access(
        region.get_session()).project_id
    cloud = yaml.safe_load(text)['clouds']['openstack']
    auth = cloud['auth']
    session = app_credential_session(
        auth['auth_url'], auth['application_credential_id'],
        auth['application_credential_secret'])
    return sdk_project, token_project(session)[0], region.get_region_name()


def test_cluster_credentials_secret_authenticates(ks, kube_api, tmp_path):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    name = identity.create_cluster_credentials(ctx, kube_api, NAMESPACE,
                                               'demo-1', cluster)
    assert name == 'demo-1-cloud-credentials'
    secret, data = stored_cloud(kube_api, 'demo-1')
    cloud = yaml.safe_load(data['clouds.yaml'])['clouds']['openstack']
    leaks.append(cloud['auth']['application_credential_secret'])
    assert set(data) == {'clouds.yaml'}
    assert cloud['verify'] is True
    sdk_project, ka_project, region = authenticate_with_clouds_yaml(
        tmp_path, data['clouds.yaml'])
    assert sdk_project == ka_project == keystone.project_id
    stored_region = keystone.admin_session().get(
        '/regions', endpoint_filter={'service_type': 'identity'}).json()
    assert region.encode('utf-8') in [
        r['id'].encode('utf-8') for r in stored_region['regions']]
    assert region.encode('utf-8') == b'D\xc3\xbcdingen Test'
    assert secrets.credential_reference(secret) == (
        cloud['auth']['application_credential_id'], ctx.user_id)
    assert cloud['auth']['application_credential_secret'] not in repr(
        secret['metadata'])

    # A re-run (after a crash) keeps the credential that is there.
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-1',
                                        cluster)
    again, _ = stored_cloud(kube_api, 'demo-1')
    assert secrets.credential_reference(again) == secrets.credential_reference(
        secret)
    assert live_credentials(keystone, ctx.user_id, cluster) == [
        cloud['auth']['application_credential_id']]


def test_private_ca_and_verify_follow_magnum_drivers_options(
        ks, kube_api, magnum_conf, tmp_path):
    keystone, leaks = ks
    pem = magnum_x509.generate_ca_certificate('Private Cloud CA')[
        'certificate'].decode()
    ca_file = tmp_path / 'ca.pem'
    ca_file.write_text(pem)
    magnum_conf.set_override('openstack_ca_file', str(ca_file),
                             group='drivers')
    magnum_conf.set_override('verify_ca', False, group='drivers')
    try:
        identity.create_cluster_credentials(
            keystone.request_context(), kube_api, NAMESPACE, 'demo-2',
            Cluster())
    finally:
        magnum_conf.clear_override('openstack_ca_file', group='drivers')
        magnum_conf.clear_override('verify_ca', group='drivers')
    _, data = stored_cloud(kube_api, 'demo-2')
    cloud = yaml.safe_load(data['clouds.yaml'])['clouds']['openstack']
    leaks.append(cloud['auth']['application_credential_secret'])
    assert data['cacert'] == pem
    assert cloud['verify'] is False


def test_rotation_leaves_one_live_credential(ks, kube_api, tmp_path):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-3',
                                        cluster)
    _, before = stored_cloud(kube_api, 'demo-3')
    old = yaml.safe_load(before['clouds.yaml'])['clouds']['openstack']
    leaks.append(old['auth']['application_credential_secret'])
    result = identity.rotate_cluster_credentials(ctx, kube_api, NAMESPACE,
                                                 'demo-3', cluster)
    assert result.outcome == identity.DELETED
    _, after = stored_cloud(kube_api, 'demo-3')
    new = yaml.safe_load(after['clouds.yaml'])['clouds']['openstack']
    leaks.append(new['auth']['application_credential_secret'])
    assert live_credentials(keystone, ctx.user_id, cluster) == [
        new['auth']['application_credential_id']]
    assert authenticate_with_clouds_yaml(tmp_path, after['clouds.yaml'])[
        1] == keystone.project_id
    # Keystone answers 404 for a deleted credential.
    with pytest.raises((ka_exceptions.Unauthorized, ka_exceptions.NotFound)):
        authenticate_with_clouds_yaml(tmp_path, before['clouds.yaml'])


def test_rotation_by_another_member_deletes_the_old_owner_credential(
        ks, kube_api):
    keystone, leaks = ks
    name = 'owner-' + uuid.uuid4().hex[:8]
    owner_id = keystone.create_member(name)
    owner = keystone.request_context(name, keystone.user_password)
    cluster = Cluster()
    identity.create_cluster_credentials(owner, kube_api, NAMESPACE, 'demo-4',
                                        cluster)
    ctx = keystone.request_context()
    result = identity.rotate_cluster_credentials(ctx, kube_api, NAMESPACE,
                                                 'demo-4', cluster)
    assert (result.user_id, result.outcome) == (owner_id, identity.DELETED)
    assert live_credentials(keystone, owner_id, cluster) == []
    secret, data = stored_cloud(kube_api, 'demo-4')
    assert secrets.credential_reference(secret)[1] == ctx.user_id
    leaks.append(yaml.safe_load(data['clouds.yaml'])['clouds']['openstack'][
        'auth']['application_credential_secret'])


def test_failed_secret_write_undoes_the_credential(ks, kube_api,
                                                   management_cluster):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    management_cluster.fail(verb='create', resource='secrets', status=500)
    with pytest.raises(Exception) as raised:
        identity.create_cluster_credentials(ctx, kube_api, NAMESPACE,
                                            'demo-5', cluster)
    assert 'Secret magnum-demo/demo-5-cloud-credentials' in str(raised.value)
    assert live_credentials(keystone, ctx.user_id, cluster) == []
    leaks.append(keystone.user_password)


def test_delete_with_the_credential_already_gone(ks, kube_api, caplog):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-6',
                                        cluster)
    secret, data = stored_cloud(kube_api, 'demo-6')
    leaks.append(yaml.safe_load(data['clouds.yaml'])['clouds']['openstack'][
        'auth']['application_credential_secret'])
    cred_id, user_id = secrets.credential_reference(secret)
    identity.delete_application_credential(keystone.admin_session(),
                                           user_id, cred_id)
    result = identity.delete_cluster_credentials(kube_api, NAMESPACE,
                                                 'demo-6')
    assert result.outcome == identity.ALREADY_GONE
    assert stored_cloud(kube_api, 'demo-6')[0] is None
    assert any(cred_id in r.getMessage() and cluster.uuid in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)
    # Deleting again (a second poll) finds nothing and does not fail.
    assert identity.delete_cluster_credentials(kube_api, NAMESPACE,
                                               'demo-6') is None


@pytest.mark.parametrize('service_is_admin, outcome', [
    (True, identity.DELETED),
    (False, identity.FORBIDDEN),
])
def test_delete_when_the_owner_left_the_project(ks, kube_api, magnum_conf,
                                                service_is_admin, outcome):
    keystone, leaks = ks
    name = 'leaver-' + uuid.uuid4().hex[:8]
    user_id = keystone.create_member(name)
    cluster = Cluster()
    identity.create_cluster_credentials(
        keystone.request_context(name, keystone.user_password), kube_api,
        NAMESPACE, 'demo-7', cluster)
    _, data = stored_cloud(kube_api, 'demo-7')
    leaks.append(yaml.safe_load(data['clouds.yaml'])['clouds']['openstack'][
        'auth']['application_credential_secret'])
    keystone.revoke_all(user_id)
    if not service_is_admin:
        keystone.configure_magnum(magnum_conf, username=keystone.user_name,
                                  password=keystone.user_password,
                                  project_name=keystone.project_name)
    result = identity.delete_cluster_credentials(kube_api, NAMESPACE,
                                                 'demo-7')
    assert (result.user_id, result.outcome) == (user_id, outcome)
    assert stored_cloud(kube_api, 'demo-7')[0] is None


# Crash safety: what an interrupted operation left is found and deleted.

def _crashed_create(keystone, leaks, ctx, cluster):
    """A credential made just before a crash kept it out of any Secret.

    Exactly what a conductor killed between Keystone's answer and the
    Secret write leaves: a live credential named for the cluster.
    """
    orphan = identity.create_application_credential(
        identity.user_session(ctx), ctx.user_id, cluster)
    leaks.append(orphan.secret)
    return orphan


def _referenced(kube_api, release, leaks):
    secret, data = stored_cloud(kube_api, release)
    leaks.append(yaml.safe_load(data['clouds.yaml'])['clouds']['openstack'][
        'auth']['application_credential_secret'])
    return secrets.credential_reference(secret)[0]


def test_retried_create_deletes_the_credential_a_crash_orphaned(ks,
                                                                kube_api):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    orphan = _crashed_create(keystone, leaks, ctx, cluster)
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-9',
                                        cluster)
    referenced = _referenced(kube_api, 'demo-9', leaks)
    assert referenced != orphan.id
    assert live_credentials(keystone, ctx.user_id, cluster) == [referenced]


def test_retry_keeps_the_referenced_credential_and_deletes_the_orphan(
        ks, kube_api):
    """The Secret was written; a later run (rotation) crashed midway."""
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = Cluster()
    other = Cluster()
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-10',
                                        cluster)
    referenced = _referenced(kube_api, 'demo-10', leaks)
    _crashed_create(keystone, leaks, ctx, cluster)
    unrelated = _crashed_create(keystone, leaks, ctx, other)
    identity.create_cluster_credentials(ctx, kube_api, NAMESPACE, 'demo-10',
                                        cluster)
    assert _referenced(kube_api, 'demo-10', leaks) == referenced
    assert live_credentials(keystone, ctx.user_id, cluster) == [referenced]
    assert live_credentials(keystone, ctx.user_id, other) == [unrelated.id]


class MagnumCluster(Cluster):
    """What credentials.delete reads of a Magnum cluster."""

    def __init__(self, user_id, stack_id):
        super().__init__()
        self.user_id = user_id
        self.stack_id = stack_id


def _labelled(api, plural, version, cluster):
    return [o['metadata']['name'] for o in api.get(
        version=version, namespace=NAMESPACE, url=plural,
        params={'labelSelector': secrets.cluster_selector(cluster.uuid)}
    ).json()['items']]


def _lease(name, cluster_uuid):
    return {'apiVersion': 'coordination.k8s.io/v1', 'kind': 'Lease',
            'metadata': {'name': name, 'namespace': NAMESPACE, 'labels': {
                secrets.CLUSTER_UUID_LABEL: cluster_uuid}},
            'spec': {}}


@pytest.mark.parametrize('stack_id', ['demo-11', None],
                         ids=['release named', 'crash before stack_id'])
def test_delete_removes_orphans_and_everything_labelled(
        ks, kube_api, management_cluster, stack_id):
    keystone, leaks = ks
    ctx = keystone.request_context()
    cluster = MagnumCluster(ctx.user_id, stack_id)
    other = MagnumCluster(ctx.user_id, 'demo-12')
    mgmt = kube.Kube(pykube.KubeConfig.from_file(
        str(management_cluster.kubeconfig)))
    for each in (cluster, other):
        # What create_cluster writes before the release (the release name
        # is what Magnum would have stored had it not crashed).
        identity.create_cluster_credentials(ctx, mgmt.api, NAMESPACE,
                                            each.stack_id or 'demo-13',
                                            each)
        _referenced(mgmt.api, each.stack_id or 'demo-13', leaks)
        mgmt.create('Lease', NAMESPACE,
                    _lease('lock-' + each.uuid, each.uuid))
    _crashed_create(keystone, leaks, ctx, cluster)
    assert len(live_credentials(keystone, ctx.user_id, cluster)) == 2
    assert _labelled(mgmt.api, 'secrets', 'v1', cluster) == [
        'demo-13-cloud-credentials' if stack_id is None
        else 'demo-11-cloud-credentials']

    credentials.delete(None, cluster, mgmt, NAMESPACE)
    assert live_credentials(keystone, ctx.user_id, cluster) == []
    assert _labelled(mgmt.api, 'secrets', 'v1', cluster) == []
    assert _labelled(mgmt.api, 'leases', 'coordination.k8s.io/v1',
                     cluster) == []
    # Another cluster of the same user and namespace keeps everything.
    assert len(live_credentials(keystone, ctx.user_id, other)) == 1
    assert _labelled(mgmt.api, 'secrets', 'v1', other) == [
        'demo-12-cloud-credentials']
    assert len(_labelled(mgmt.api, 'leases', 'coordination.k8s.io/v1',
                         other)) == 1
    # A second poll finds nothing left and does not fail.
    credentials.delete(None, cluster, mgmt, NAMESPACE)


def admin_csr():
    """The CSR the client makes for `coe cluster config`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = crypto_x509.Name([
        crypto_x509.NameAttribute(NameOID.COMMON_NAME, 'admin'),
        crypto_x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                  'system:masters')])
    csr = crypto_x509.CertificateSigningRequestBuilder().subject_name(
        subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def as_text(value):
    return value.decode() if isinstance(value, bytes) else value


def test_magnum_ca_signs_client_certificates_from_the_capi_secret(
        magnum_db, kube_api):
    """What `openstack coe cluster config` does, with the CA CAPI uses."""
    ctx = magnum_fixtures.user_context()
    template = magnum_fixtures.make_template(ctx)
    cluster = magnum_fixtures.make_cluster(ctx, template, name='démo')
    magnum_fixtures.cluster_certificates(cluster, ctx)
    cluster.create()
    secrets.apply_ca_secrets(kube_api, NAMESPACE, 'demo-8', cluster, ctx)

    stored = {kind: secrets.read_secret(kube_api, NAMESPACE,
                                        secrets.ca_secret_name('demo-8',
                                                               kind))
              for kind in secrets.CA_SECRETS}
    assert {s['type'] for s in stored.values()} == {secrets.CAPI_SECRET_TYPE}
    ca = secrets.decode_data(stored['ca'])
    magnum_ca = cert_manager.get_cluster_ca_certificate(cluster, ctx)
    assert ca['tls.crt'] == as_text(magnum_ca.get_certificate())
    assert 'ENCRYPTED' not in ca['tls.key']

    signed = magnum_x509.sign(admin_csr(), cluster.name,
                              ca['tls.key'].encode())
    client = crypto_x509.load_pem_x509_certificate(
        as_text(signed).encode())
    issuer = crypto_x509.load_pem_x509_certificate(ca['tls.crt'].encode())
    assert client.issuer == issuer.subject
    assert client.subject.rfc4514_string() == 'O=system:masters,CN=admin'
    issuer.public_key().verify(client.signature, client.tbs_certificate_bytes,
                               padding.PKCS1v15(),
                               client.signature_hash_algorithm)

    for kind, ca_type in (('etcd', 'etcd'), ('proxy', 'front_proxy')):
        assert secrets.decode_data(stored[kind])['tls.crt'] == as_text(
            cert_manager.get_cluster_ca_certificate(
                cluster, ctx, ca_type).get_certificate())
    sa = secrets.decode_data(stored['sa'])
    magnum_sa = cert_manager.get_cluster_magnum_cert(cluster, ctx)
    assert sa['tls.key'] == as_text(magnum_sa.get_decrypted_private_key())
    assert sa['tls.crt'] == secrets.public_key_pem(sa['tls.key'])

    # Writing again (a create re-run) replaces them; deleting is final.
    secrets.apply_ca_secrets(kube_api, NAMESPACE, 'demo-8', cluster, ctx)
    secrets.delete_ca_secrets(kube_api, NAMESPACE, 'demo-8')
    secrets.delete_ca_secrets(kube_api, NAMESPACE, 'demo-8')
    assert [kind for kind in secrets.CA_SECRETS if secrets.read_secret(
        kube_api, NAMESPACE, secrets.ca_secret_name('demo-8', kind))] == []
