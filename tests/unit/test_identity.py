"""Table tests of the pure parts of identity (no Keystone)."""

import datetime

import pytest

from magnum_capi_driver import identity

NOW = datetime.datetime(2026, 3, 1, 12, 30, 5, 123456,
                        tzinfo=datetime.timezone.utc)


def endpoint(interface, region, url):
    return {'interface': interface, 'region_id': region, 'region': region,
            'url': url}


CATALOG = [
    {'type': 'compute', 'endpoints': [
        endpoint('public', 'Düdingen Test', 'https://nova')]},
    {'type': 'identity', 'endpoints': [
        endpoint('public', 'Düdingen Test', 'https://ks-public/v3'),
        endpoint('internal', 'Düdingen Test', 'https://ks-internal/v3'),
        endpoint('public', 'RegionTwo', 'https://ks-two/v3'),
    ]},
]


@pytest.mark.parametrize('interface, region, expected', [
    ('public', 'Düdingen Test', ('https://ks-public/v3', 'Düdingen Test')),
    ('internal', 'Düdingen Test',
     ('https://ks-internal/v3', 'Düdingen Test')),
    ('public', 'RegionTwo', ('https://ks-two/v3', 'RegionTwo')),
    ('internal', '', ('https://ks-internal/v3', 'Düdingen Test')),
])
def test_identity_endpoint(interface, region, expected):
    assert identity.identity_endpoint(CATALOG, interface, region) == expected


@pytest.mark.parametrize('interface, region, message', [
    ('public', '', "regions 'Düdingen Test', 'RegionTwo'.*region_name"),
    ('public', 'Nowhere', "'Nowhere' has no public identity endpoint"),
    ('internal', 'RegionTwo', "'RegionTwo' has no internal"),
    ('admin', '', "no identity endpoint with interface 'admin'"),
])
def test_identity_endpoint_errors_name_the_choices(interface, region,
                                                   message):
    with pytest.raises(identity.CredentialError, match=message):
        identity.identity_endpoint(CATALOG, interface, region)


def test_credential_name_carries_cluster_name_and_uuid():
    name = identity.credential_name('demo', 'c0ffee', NOW)
    assert name == 'magnum-demo-c0ffee-20260301T123005.123Z'


def test_credential_name_is_bounded():
    name = identity.credential_name('x' * 300, 'c0ffee', NOW)
    assert len(name) < 255 and 'c0ffee' in name


@pytest.mark.parametrize('kwargs, expected', [
    ({}, {'unrestricted': False}),
    ({'roles': ['member', 'load-balancer_member']},
     {'unrestricted': False,
      'roles': [{'name': 'member'}, {'name': 'load-balancer_member'}]}),
    ({'expiry_days': 30}, {'unrestricted': False,
                           'expires_at': '2026-03-31T12:30:05'}),
    ({'unrestricted': True}, {'unrestricted': True}),
])
def test_credential_request(kwargs, expected):
    body = identity.credential_request('n', 'd', now=NOW, **kwargs)
    assert body == {'application_credential': dict(
        name='n', description='d', **expected)}


def test_app_credential_repr_hides_the_secret():
    cred = identity.AppCredential('id1', 'n', 'u', 'p', 'very-secret')
    assert 'very-secret' not in repr(cred)
    assert 'very-secret' not in repr(cred.reference())


UUID = '0f2c6a52-7b64-4d49-9d11-2c1c6bb4d1a9'
OTHER = '5b0e1d7e-3a51-4c8e-8e0b-7f36c0a1f2d4'


@pytest.mark.parametrize('name, found', [
    (identity.credential_name('demo', UUID, NOW), True),
    (identity.credential_name('démo with-dashes-' + OTHER, UUID, NOW), True),
    (identity.credential_name('x' * 300, UUID, NOW), True),
    (identity.credential_name('demo', OTHER, NOW), False),
    (identity.credential_name(UUID, OTHER, NOW), False),
    ('magnum-demo-%s' % UUID, False),
    ('my-own-%s-credential' % UUID, False),
    ('', False),
    (None, False),
])
def test_cluster_credential_is_found_by_its_name(name, found):
    assert identity.is_cluster_credential(name, UUID) is found


def test_orphaned_keeps_the_referenced_and_other_clusters():
    mine = identity.credential_name('demo', UUID, NOW)
    creds = [{'id': 'kept', 'name': mine},
             {'id': 'orphan-2', 'name': mine},
             {'id': 'orphan-1', 'name': mine},
             {'id': 'other', 'name': identity.credential_name('demo', OTHER,
                                                              NOW)},
             {'id': 'users', 'name': 'ci-token'}]
    assert identity.orphaned(creds, UUID, keep={'kept'}) == [
        'orphan-1', 'orphan-2']
    assert identity.orphaned(creds, UUID) == ['kept', 'orphan-1',
                                              'orphan-2']
