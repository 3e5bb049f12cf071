"""The configuration files tools.stack writes, from plain data."""

import configparser

import pytest
import yaml

from tools.stack import config

LAYOUT = config.Layout(
    run_dir='/run/s', auth_url='http://127.0.0.1:5000/v3', api_port=9511,
    database_url='mysql+pymysql://root@127.0.0.1:3306/m?charset=utf8',
    transport_url='rabbit://guest:guest@127.0.0.1:5672/v',
    conductor_workers=2,
    service=config.Account('magnum', 's3cret', 'service'),
    member=config.Account('demo-user', 'm3mber', 'demo'),
    admin=config.Account('admin', 'adm1n', 'admin'),
    kubeconfig='/run/s/kubeconfig', helm='/tools/helm4',
    chart='/repo/tests/charts/openstack-cluster')


def parsed(text):
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


@pytest.mark.parametrize('section, option, value', [
    ('DEFAULT', 'transport_url', LAYOUT.transport_url),
    ('conductor', 'workers', '2'),
    ('conductor', 'topic', 'magnum-conductor'),
    ('database', 'connection', LAYOUT.database_url),
    ('api', 'host', '127.0.0.1'),
    ('api', 'port', '9511'),
    ('api', 'api_paste_config', '/run/s/api-paste.ini'),
    ('keystone_authtoken', 'username', 'magnum'),
    ('keystone_authtoken', 'region_name', 'Düdingen Test'),
    ('keystone_auth', 'project_name', 'service'),
    ('certificates', 'cert_manager_type', 'x509keypair'),
    ('cluster_template', 'kubernetes_allowed_network_drivers',
     'calico,cilium'),
    ('glance_client', 'region_name', 'Düdingen Test'),
    ('capi_driver', 'kubeconfig_file', '/run/s/kubeconfig'),
    ('capi_driver', 'helm_executable', '/tools/helm4'),
    ('capi_driver', 'chart_name', '/repo/tests/charts/openstack-cluster'),
    ('capi_driver', 'chart_version', ''),
])
def test_magnum_conf(section, option, value):
    assert parsed(config.magnum_conf(LAYOUT)).get(section, option) == value


def test_api_validates_tokens_before_magnum():
    pipeline = parsed(config.api_paste_ini()).get('pipeline:api', 'pipeline')
    assert pipeline.split() == ['request_id', 'authtoken', 'api_v1']


@pytest.mark.parametrize('cloud, username, project', [
    ('magnum-capi', 'demo-user', 'demo'),
    ('magnum-capi-admin', 'admin', 'admin'),
])
def test_clouds_yaml(cloud, username, project):
    text = config.clouds_yaml(LAYOUT)
    assert text.startswith(config.CLOUDS_YAML_MARK)
    found = yaml.safe_load(text)['clouds'][cloud]
    assert found['region_name'] == 'Düdingen Test'
    assert (found['auth']['username'], found['auth']['project_name']) == (
        username, project)
    assert found['auth']['auth_url'] == LAYOUT.auth_url


def test_horizon_settings_point_at_keystone_in_production_mode():
    text = config.horizon_settings('http://127.0.0.1:5000/v3',
                                   '/run/s/dashboard/static', 'k' * 40)
    settings = {}
    exec(compile(text, 'local_settings.py', 'exec'), settings)
    assert settings['OPENSTACK_KEYSTONE_URL'] == 'http://127.0.0.1:5000/v3'
    assert settings['OPENSTACK_KEYSTONE_DEFAULT_DOMAIN'] == 'Default'
    assert settings['DEFAULT_SERVICE_REGIONS'] == {'*': 'Düdingen Test'}
    assert settings['DEBUG'] is False
    assert settings['COMPRESS_OFFLINE'] is True
    assert settings['STATIC_ROOT'] == '/run/s/dashboard/static'
    assert settings['SECRET_KEY'] == 'k' * 40
