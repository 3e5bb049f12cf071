"""The configuration files the local stack writes, from plain data.

Pure functions: each takes what the running services are (addresses,
credentials, paths) and returns file contents, so what magnum-api and
magnum-conductor are told is visible in one place and testable.
"""

import configparser
import dataclasses
import io
import os

import yaml

REGION = 'Düdingen Test'
CLOUDS_YAML_MARK = '# Written by tools.stack'
DOMAIN = 'Default'


@dataclasses.dataclass(frozen=True)
class Account:
    """A Keystone user and the project it works in."""

    username: str
    password: str = dataclasses.field(repr=False)
    project_name: str


@dataclasses.dataclass(frozen=True)
class Layout:
    """Everything the configuration files depend on."""

    run_dir: str
    auth_url: str
    api_port: int
    database_url: str
    transport_url: str
    conductor_workers: int
    service: Account
    member: Account
    admin: Account
    kubeconfig: str
    helm: str
    chart: str
    conductor_topic: str = 'magnum-conductor'
    region: str = REGION


def _ini(sections):
    """An ini file from {section: {option: value}}, in the given order."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            parser.set(section, key, str(value))
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def _password_auth(layout, account):
    return {
        'auth_type': 'password',
        'auth_url': layout.auth_url,
        'username': account.username,
        'password': account.password,
        'project_name': account.project_name,
        'user_domain_name': DOMAIN,
        'project_domain_name': DOMAIN,
    }


def magnum_conf(layout):
    """magnum.conf for magnum-api, magnum-conductor and the DB migration."""
    region = {'region_name': layout.region}
    authtoken = dict(_password_auth(layout, layout.service),
                     www_authenticate_uri=layout.auth_url,
                     region_name=layout.region,
                     service_token_roles_required='true')
    return _ini({
        'DEFAULT': {
            'host': 'stack-conductor',
            'transport_url': layout.transport_url,
            'state_path': layout.run_dir + '/state',
            'debug': 'false',
            'use_stderr': 'false',
            # oslo.service waits this long for a graceful stop.
            'graceful_shutdown_timeout': 5,
        },
        'api': {
            'host': '127.0.0.1',
            'port': layout.api_port,
            'api_paste_config': layout.run_dir + '/api-paste.ini',
        },
        'conductor': {
            'workers': layout.conductor_workers,
            'topic': layout.conductor_topic,
        },
        'database': {'connection': layout.database_url},
        'keystone_authtoken': authtoken,
        'keystone_auth': _password_auth(layout, layout.service),
        # Magnum allows flannel and calico by default; the chart has calico
        # and cilium, so an operator lists those.
        'cluster_template': {
            'kubernetes_allowed_network_drivers': 'calico,cilium',
            'kubernetes_default_network_driver': 'calico',
        },
        'certificates': {'cert_manager_type': 'x509keypair'},
        'oslo_concurrency': {'lock_path': layout.run_dir + '/locks'},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'glance_client': region,
        'nova_client': region,
        'neutron_client': region,
        'octavia_client': region,
        'cinder_client': region,
        'magnum_client': region,
        'capi_driver': {
            'kubeconfig_file': layout.kubeconfig,
            'helm_executable': layout.helm,
            'chart_name': layout.chart,
            'chart_version': '',
            'region_name': layout.region,
        },
    })


def api_paste_ini():
    """The WSGI pipeline: Magnum's API behind Keystone token validation."""
    return _ini({
        'composite:main': {
            'paste.composite_factory': 'magnum.api:root_app_factory',
            '/': 'api',
        },
        'pipeline:api': {
            'pipeline': 'request_id authtoken api_v1',
        },
        'app:api_v1': {
            'paste.app_factory': 'magnum.api.app:app_factory',
        },
        'filter:authtoken': {
            'acl_public_routes': '/, /v1',
            'paste.filter_factory':
                'magnum.api.middleware.auth_token:'
                'AuthTokenMiddleware.factory',
        },
        'filter:request_id': {
            'paste.filter_factory': 'oslo_middleware:RequestId.factory',
        },
    })


def clouds_yaml(layout):
    """clouds.yaml: the member's cloud and the admin's cloud."""
    def cloud(account):
        auth = _password_auth(layout, account)
        return {
            'auth_type': auth.pop('auth_type'),
            'auth': auth,
            'region_name': layout.region,
            'identity_api_version': 3,
            'interface': 'public',
        }
    return CLOUDS_YAML_MARK + '; removed by its "down".\n' + yaml.safe_dump(
        {'clouds': {'magnum-capi': cloud(layout.member),
                    'magnum-capi-admin': cloud(layout.admin)}},
        allow_unicode=True, sort_keys=False)


def conductor_hosts(run_dir, count):
    """[(process name, its config overlay)] of count conductor services."""
    names = ['magnum-conductor'] + ['magnum-conductor-%d' % i
                                    for i in range(2, count + 1)]
    return [(name, os.path.join(run_dir, name + '.conf')) for name in names]


def conductor_conf(name):
    """The overlay that makes one conductor service a host of its own."""
    return _ini({'DEFAULT': {'host': 'stack-' + name}})


def horizon_settings(auth_url, static_root, secret_key, region=REGION):
    """Horizon's local_settings.py: the stack's Keystone, production mode.

    DEBUG is off and the static files are compressed offline
    (``COMPRESS_OFFLINE``), as on a production dashboard; sessions live in
    Horizon's default local-memory cache (one server process).
    """
    values = {
        'DEBUG': False,
        'ALLOWED_HOSTS': ['127.0.0.1', 'localhost'],
        'SECRET_KEY': secret_key,
        'OPENSTACK_KEYSTONE_URL': auth_url,
        'OPENSTACK_KEYSTONE_DEFAULT_DOMAIN': DOMAIN,
        'OPENSTACK_KEYSTONE_DEFAULT_ROLE': 'member',
        'OPENSTACK_ENDPOINT_TYPE': 'publicURL',
        'AVAILABLE_REGIONS': [],
        'DEFAULT_SERVICE_REGIONS': {'*': region},
        'STATIC_ROOT': static_root,
        'COMPRESS_ENABLED': True,
        'COMPRESS_OFFLINE': True,
        # Horizon defaults to memcached; one process needs no shared cache.
        'CACHES': {'default': {
            'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}},
        # The stand-in cloud has no routers, quotas or security groups.
        'OPENSTACK_NEUTRON_NETWORK': {
            'enable_router': False, 'enable_quotas': False,
            'enable_distributed_router': False, 'enable_ha_router': False,
            'enable_fip_topology_check': False},
        'LOGGING': {
            'version': 1, 'disable_existing_loggers': False,
            'handlers': {'stderr': {'class': 'logging.StreamHandler'}},
            'root': {'handlers': ['stderr'], 'level': 'INFO'}},
    }
    return '# Written by tools.stack for its dashboard.\n' + ''.join(
        '%s = %r\n' % item for item in values.items())
