"""Table tests of the Secret builders (no cluster, no Keystone)."""

import base64

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
from openstack import config as sdk_config
import pytest
import yaml

from magnum_capi_driver import secrets

REGIONS = [
    'Düdingen Test',
    'RegionOne',
    "it's \"quoted\"",
    'yes',
    'null',
    '123',
    '1e3',
    ' leading and trailing ',
    'colon: inside',
    '# not a comment',
    '- dash',
    '東京',
    'emoji 🚀',
    'tab\there',
    'line\nbreak',
    '*anchor',
    '',
]


def build(region='Düdingen Test', verify=True):
    return secrets.clouds_yaml('https://keystone.example:5000/v3', region,
                               'internal', 'cred-id', 'cred-secret',
                               verify=verify)


@pytest.mark.parametrize('region', REGIONS)
def test_region_name_round_trips_exactly(region):
    cloud = yaml.safe_load(build(region))['clouds']['openstack']
    assert cloud['region_name'] == region
    assert isinstance(cloud['region_name'], str)


def test_non_ascii_is_written_as_utf8_text():
    assert 'region_name: Düdingen Test' in build()


def test_cloud_is_an_application_credential_cloud():
    cloud = yaml.safe_load(build(verify=False))['clouds']['openstack']
    assert cloud == {
        'auth_type': 'v3applicationcredential',
        'auth': {'auth_url': 'https://keystone.example:5000/v3',
                 'application_credential_id': 'cred-id',
                 'application_credential_secret': 'cred-secret'},
        'region_name': 'Düdingen Test',
        'interface': 'internal',
        'identity_api_version': 3,
        'verify': False,
    }


@pytest.mark.parametrize('region', ['Düdingen Test', "it's \"quoted\"",
                                    'yes'])
def test_openstacksdk_reads_the_cloud(tmp_path, region):
    path = tmp_path / 'clouds.yaml'
    path.write_text(build(region), encoding='utf-8')
    loader = sdk_config.OpenStackConfig(config_files=[str(path)],
                                        vendor_files=[])
    cloud = loader.get_one(cloud='openstack')
    assert cloud.get_region_name() == region
    assert cloud.get_interface() == 'internal'
    assert cloud.config['auth_type'] == 'v3applicationcredential'
    assert cloud.config['auth']['application_credential_id'] == 'cred-id'


def credentials(cacert=''):
    return secrets.credentials_secret(
        'magnum-p1', 'demo-abc', build(),
        {'id': 'cred-id', 'user_id': 'user-1', 'name': 'magnum-demo'},
        'cluster-uuid', cacert=cacert)


def test_credentials_secret_holds_clouds_yaml_and_references():
    secret = credentials()
    assert secret['metadata']['name'] == 'demo-abc-cloud-credentials'
    assert secret['metadata']['namespace'] == 'magnum-p1'
    assert secrets.decode_data(secret) == {'clouds.yaml': build()}
    assert secrets.credential_reference(secret) == ('cred-id', 'user-1')
    assert secret['metadata']['annotations'][secrets.CLUSTER_UUID] == (
        'cluster-uuid')


def test_every_secret_is_labelled_with_the_cluster_uuid():
    """Deletion finds them by this label, whatever their names."""
    written = [credentials()] + secrets.ca_secrets('ns', 'demo',
                                                   'cluster-uuid', pems())
    for secret in written:
        assert secret['metadata']['labels'][
            'magnum.openstack.org/cluster-uuid'] == 'cluster-uuid'
    assert secrets.cluster_selector('cluster-uuid') == (
        'magnum.openstack.org/cluster-uuid=cluster-uuid')


def test_credential_secret_is_not_in_metadata():
    secret = credentials()
    assert 'cred-secret' not in repr(secret['metadata'])


def test_cacert_key_only_with_a_private_ca():
    assert 'cacert' not in credentials()['data']
    pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    assert secrets.decode_data(credentials(pem))['cacert'] == pem


@pytest.mark.parametrize('secret', [
    None,
    {},
    {'metadata': {}},
    {'metadata': {'annotations': {'other': 'x'}}},
])
def test_no_credential_reference(secret):
    assert secrets.credential_reference(secret) is None


@pytest.mark.parametrize('kind, name', [
    ('ca', 'demo-abc-ca'),
    ('etcd', 'demo-abc-etcd'),
    ('proxy', 'demo-abc-proxy'),
    ('sa', 'demo-abc-sa'),
])
def test_ca_secret_names_follow_cluster_api(kind, name):
    assert secrets.ca_secret_name('demo-abc', kind) == name


def test_unknown_ca_kind_is_named_in_the_error():
    with pytest.raises(ValueError, match="'front-proxy'.*ca, etcd, proxy"):
        secrets.ca_secret_name('demo', 'front-proxy')


def pems():
    return {kind: ('CERT-' + kind, 'KEY-' + kind)
            for kind in secrets.CA_SECRETS}


def test_ca_secrets_are_capi_secrets_with_tls_keys():
    built = secrets.ca_secrets('ns', 'demo', 'uuid-1', pems())
    assert [s['metadata']['name'] for s in built] == [
        'demo-ca', 'demo-etcd', 'demo-proxy', 'demo-sa']
    for secret, kind in zip(built, secrets.CA_SECRETS):
        assert secret['type'] == 'cluster.x-k8s.io/secret'
        assert secret['metadata']['labels'][
            'cluster.x-k8s.io/cluster-name'] == 'demo'
        assert secrets.decode_data(secret) == {
            'tls.crt': 'CERT-' + kind, 'tls.key': 'KEY-' + kind}


def test_missing_certificate_is_refused():
    certificates = pems()
    del certificates['etcd']
    with pytest.raises(ValueError, match='etcd are missing'):
        secrets.ca_secrets('ns', 'demo', 'uuid-1', certificates)


def test_public_key_matches_private_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    public = serialization.load_pem_public_key(
        secrets.public_key_pem(pem).encode())
    assert public.public_numbers() == key.public_key().public_numbers()


def test_data_is_base64():
    secret = credentials()
    raw = base64.b64decode(secret['data']['clouds.yaml']).decode('utf-8')
    assert 'Düdingen Test' in raw
