"""Configuration of the driver: the ``[capi_driver]`` group of magnum.conf.

Options live here, in one place, so that ``oslo-config-generator`` (through
``list_opts``) documents all of them and the code imports one module.
"""

from oslo_config import cfg

GROUP = 'capi_driver'

capi_driver_group = cfg.OptGroup(
    name=GROUP,
    title='Cluster API driver',
    help='Options of the magnum-capi-driver: where the management cluster '
         'is, which chart to deploy and how long operations may take.')

management_cluster_opts = [
    cfg.StrOpt('kubeconfig_file',
               default='',
               help='Path to the kubeconfig of the Cluster API management '
                    'cluster. Empty means the standard places: '
                    '$KUBECONFIG, then ~/.kube/config, then the in-cluster '
                    'service account.'),
    cfg.StrOpt('kubeconfig_context',
               default='',
               help='Context to use from the kubeconfig; empty means its '
                    'current-context.'),
    cfg.StrOpt('namespace_prefix',
               default='magnum',
               help='Prefix of the namespace that holds the clusters of one '
                    'OpenStack project; the namespace is '
                    '"<prefix>-<project id>".'),
]

helm_opts = [
    cfg.StrOpt('chart_name',
               default='openstack-cluster',
               help='Chart deployed for every cluster. A chart name in '
                    'chart_repository, an OCI reference (oci://...) or a '
                    'local path to a chart directory or archive.'),
    cfg.StrOpt('chart_repository',
               default='https://azimuth-cloud.github.io/capi-helm-charts',
               help='Helm repository that holds chart_name. Ignored when '
                    'chart_name is an OCI reference or a local path.'),
    cfg.StrOpt('chart_version',
               default='0.27.0',
               help='Version of the chart. Empty means the latest, which is '
                    'not recommended: pin the version you have tested.'),
    cfg.StrOpt('helm_executable',
               default='helm',
               help='The helm binary (3.x or 4.x), a name on $PATH or a '
                    'path.'),
    cfg.IntOpt('helm_timeout',
               default=300,
               min=10,
               help='Seconds a single helm command may take before it is '
                    'considered failed.'),
]

timeout_opts = [
    cfg.IntOpt('create_timeout',
               default=60,
               min=1,
               help='Minutes a cluster create may take when the cluster '
                    'gives no create_timeout; after that the cluster is '
                    'CREATE_FAILED with a reason that says what was not '
                    'ready.'),
    cfg.IntOpt('update_timeout',
               default=60,
               min=1,
               help='Minutes an update, resize or upgrade may take before '
                    'the cluster is UPDATE_FAILED.'),
    cfg.IntOpt('delete_timeout',
               default=60,
               min=1,
               help='Minutes a delete may take before the cluster is '
                    'DELETE_FAILED.'),
]

lock_opts = [
    cfg.IntOpt('lock_lease_duration',
               default=15,
               min=1,
               help='Seconds after which the per-cluster lock (a Lease on '
                    'the management cluster) held by a conductor that '
                    'stopped renewing it (it crashed) may be taken over.'),
    cfg.FloatOpt('lock_renew_interval',
                 default=5,
                 min=0.1,
                 help='Seconds between renewals of a held per-cluster lock; '
                      'keep it well below lock_lease_duration.'),
    cfg.IntOpt('lock_wait_timeout',
               default=900,
               min=1,
               help='Seconds an operation waits for the per-cluster lock '
                    'before it fails as busy.'),
]

label_opts = [
    cfg.DictOpt('default_labels',
                default={},
                help='Site defaults for labels, used when neither the '
                     'template, the cluster nor the nodegroup sets a label. '
                     'Values are validated like labels given by users.'),
]

identity_opts = [
    cfg.ListOpt('application_credential_roles',
                default=[],
                help='Roles the per-cluster application credential is '
                     'restricted to. Empty means all the roles the user '
                     'holds in the project.'),
    cfg.IntOpt('application_credential_expiry_days',
               default=0,
               min=0,
               help='Days after which a per-cluster application credential '
                    'expires; 0 means it never expires. Expired credentials '
                    'break the cluster\'s cloud integration until rotated.'),
    cfg.BoolOpt('application_credential_unrestricted',
                default=False,
                help='Create unrestricted application credentials (they '
                     'can create further credentials and trusts). Only '
                     'enable this when a cluster add-on needs it.'),
    cfg.StrOpt('endpoint_interface',
               default='public',
               choices=['public', 'internal', 'admin'],
               help='Keystone catalog interface whose identity endpoint is '
                    'written into the clusters\' clouds.yaml.'),
    cfg.StrOpt('region_name',
               default='',
               help='Region written into the clusters\' clouds.yaml and used '
                    'to pick endpoints from the catalog. Empty means the '
                    'region of Magnum\'s [keystone_authtoken] section, or '
                    'the only region in the catalog.'),
]

observe_opts = [
    cfg.IntOpt('status_view_max_age',
               default=30,
               min=0,
               help='Staleness bound, in seconds, of the view of the '
                    'management cluster that each conductor process keeps '
                    'up to date with watches and from which status and '
                    'health polls take their snapshots. A poll never '
                    'decides from a view older than this: it reads its '
                    'cluster directly instead. Each watch lasts two thirds '
                    'of this (at least 5 seconds). 0 disables the view: '
                    'every poll reads its cluster directly. The view lists '
                    'and watches Clusters, KubeadmControlPlanes, '
                    'OpenStackClusters, MachineDeployments, Machines and '
                    'Helm release Secrets (metadata only) in all '
                    'namespaces; without that permission polls read '
                    'directly.'),
]

ALL_OPTS = (management_cluster_opts + helm_opts + timeout_opts + lock_opts
            + label_opts + identity_opts + observe_opts)


def register_opts(conf):
    conf.register_group(capi_driver_group)
    conf.register_opts(ALL_OPTS, group=capi_driver_group)


def list_opts():
    """Options for oslo-config-generator (entry point oslo.config.opts)."""
    return [(capi_driver_group, ALL_OPTS)]


CONF = cfg.CONF
register_opts(CONF)
