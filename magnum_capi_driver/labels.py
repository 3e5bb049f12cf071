"""The label schema: every label the driver reads, declared once.

Each declaration gives the label's name, how its value is parsed and
checked, its default, where it may be set (template, cluster, nodegroup)
and its help text. Parsing, error messages, site defaults and the
documentation table all come from these declarations, so a label cannot
be documented one way and read another.

The names and meanings follow magnum-capi-helm 1.4.0, so templates move
over unchanged; availability_zone (sent by Horizon) and kube_tag are added.
Labels the schema does not know are ignored: Horizon copies add-on labels
of other drivers into every cluster.

Run ``python -m magnum_capi_driver.labels`` to print the RST table.
"""

import dataclasses
import ipaddress
import re
import sys

import yaml

from magnum_capi_driver import exceptions

TEMPLATE = 'template'
CLUSTER = 'cluster'
NODEGROUP = 'nodegroup'

_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


def invalid(field, value, accepted):
    """The error for a value that cannot be used, naming all three."""
    return exceptions.InvalidClusterInput(field=field, value=value,
                                          accepted=accepted)


# -- value types


@dataclasses.dataclass(frozen=True)
class Kind:
    """How a label's text becomes a value, and how that is explained."""
    accepted: str
    parse: object


def _bool(field, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise invalid(field, value, 'a boolean: true/false, yes/no, on/off or '
                                '1/0, in any case')


def int_between(minimum, maximum=None):
    accepted = 'a whole number from %d' % minimum
    accepted += ' to %d' % maximum if maximum is not None else ' up'

    def parse(field, value):
        if isinstance(value, bool):
            raise invalid(field, value, accepted)
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not text.isascii() or not text.isdigit():
                raise invalid(field, value, accepted)
            number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            raise invalid(field, value, accepted)
        return number
    return Kind(accepted, parse)


def _choice(*choices):
    """One of fixed words, matched in any case (Horizon lowercases)."""
    accepted = 'one of ' + ', '.join(choices) + ' (any case)'

    def parse(field, value):
        text = str(value).strip().lower()
        for choice in choices:
            if choice.lower() == text:
                return choice
        raise invalid(field, value, accepted)
    return Kind(accepted, parse)


def _matching(pattern, accepted, max_length=255):
    regex = re.compile(pattern)

    def parse(field, value):
        text = str(value).strip()
        if len(text) > max_length or not regex.fullmatch(text):
            raise invalid(field, value, accepted)
        return text
    return Kind(accepted, parse)


VERSION_RE = re.compile(r'v?(\d{1,3})\.(\d{1,3})\.(\d{1,3})')
VERSION_ACCEPTED = 'a Kubernetes version such as v1.31.2 or 1.31.2'


def parse_version(field, value):
    """'v1.31.2' or '1.31.2' -> '1.31.2' (the form the chart expects)."""
    match = VERSION_RE.fullmatch(str(value).strip())
    if not match:
        raise invalid(field, value, VERSION_ACCEPTED)
    return '.'.join(str(int(part)) for part in match.groups())


def _cidr(field, text, value, accepted):
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise invalid(field, value, accepted)
    return str(network)


def _cidr_list(field, value):
    accepted = ('comma-separated networks in CIDR notation such as '
                '192.0.2.0/24,2001:db8::/32 (a bare address means /32 or '
                '/128; host bits must be zero)')
    result = []
    for item in str(value).split(','):
        item = item.strip()
        if item:
            result.append(_cidr(field, item, value, accepted))
    return tuple(result)


def _ipv4_cidr(field, value):
    accepted = ('an IPv4 network in CIDR notation with a prefix from /8 to '
                '/28, such as 10.0.0.0/24')
    cidr = _cidr(field, str(value).strip(), value, accepted)
    network = ipaddress.ip_network(cidr)
    if network.version != 4 or not 8 <= network.prefixlen <= 28:
        raise invalid(field, value, accepted)
    return cidr


_NAME = r'[A-Za-z0-9][A-Za-z0-9._-]*'


def _name_list(field, value):
    accepted = ('space-separated Neutron network names (letters, digits, '
                '".", "_" and "-")')
    names = tuple(str(value).split())
    for name in names:
        if not re.fullmatch(_NAME, name) or len(name) > 255:
            raise invalid(field, value, accepted)
    return names


def _zone(field, value):
    """A name written verbatim into YAML: keep it a plain string there."""
    accepted = ('an availability zone name: letters (any script), digits, '
                'spaces, ".", "_" and "-", starting with a letter or digit, '
                'at most 255 characters')
    text = str(value).strip()
    if (len(text) > 255 or not re.fullmatch(r'\w[\w .-]*', text)
            or not isinstance(yaml.safe_load(text), str)):
        raise invalid(field, value, accepted + ', not a YAML number, '
                      'boolean or null')
    return text


BOOL = Kind('a boolean: true/false, yes/no, on/off or 1/0, in any case',
            _bool)
COUNT = int_between(0)
SIZE_GB = int_between(0, 65536)
VERSION = Kind(VERSION_ACCEPTED, parse_version)
CIDRS = Kind('comma-separated networks in CIDR notation', _cidr_list)
NODE_CIDR = Kind('an IPv4 network in CIDR notation, /8 to /28', _ipv4_cidr)
NETWORK_NAMES = Kind('space-separated Neutron network names', _name_list)
ZONE = Kind('an availability zone name', _zone)
VOLUME_TYPE = _matching(r'[\w][\w .:-]*', 'a Cinder volume type name '
                        '(letters, digits, spaces, ".", ":", "_", "-")')
PROVIDER = _matching(r'[a-z][a-z0-9_-]*', 'an Octavia provider name in '
                     'lower case, such as amphora or ovn', 63)
FSTYPE = _choice('ext4', 'xfs', 'ext3', 'btrfs')
CHART_VERSION = _matching(r'v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?',
                          'a chart version such as 0.27.0', 64)


# -- the schema


@dataclasses.dataclass(frozen=True)
class Label:
    """One label: its name, value type, default, scopes and meaning."""
    name: str
    kind: Kind
    default: object
    help: str
    scopes: tuple = (TEMPLATE, CLUSTER)
    #: a newer label that wins over this one when both are set
    replaced_by: str = None
    #: taken from the new template when a cluster is upgraded
    follows_template: bool = False


ALL_SCOPES = (TEMPLATE, CLUSTER, NODEGROUP)

SCHEMA = (
    # Kubernetes and images
    Label('kube_tag', VERSION, None,
          'Kubernetes version. Without it the image property kube_version '
          'is used; one of the two is required. On a nodegroup it sets '
          'that group\'s version (within the supported skew).',
          ALL_SCOPES, follows_template=True),
    Label('capi_helm_chart_version', CHART_VERSION, None,
          'Version of the openstack-cluster chart for clusters of this '
          'template. Read from the template only.', (TEMPLATE,)),
    Label('availability_zone', ZONE, None,
          'Nova availability zone of the machines (the control plane and '
          'every nodegroup without its own). Sent by Horizon.', ALL_SCOPES),
    # health and scaling
    Label('auto_healing_enabled', BOOL, True,
          'Replace machines whose node stays unhealthy (machine health '
          'checks).'),
    Label('auto_scaling_enabled', BOOL, False,
          'Run the cluster autoscaler; a nodegroup scales between its '
          'min_node_count and max_node_count.', ALL_SCOPES),
    Label('min_node_count', COUNT, None,
          'Autoscaling minimum when the nodegroup does not set '
          'min_node_count; 0 allows scale to zero.', ALL_SCOPES),
    Label('max_node_count', COUNT, None,
          'Autoscaling maximum when the nodegroup does not set '
          'max_node_count; unset means the node count.', ALL_SCOPES),
    # API server and load balancer
    Label('master_lb_floating_ip_enabled', BOOL, None,
          'Give the Kubernetes API a floating IP. Unset means the '
          'cluster\'s floating_ip_enabled.'),
    Label('api_master_lb_allowed_cidrs', CIDRS, (),
          'Networks allowed to reach the API load balancer; empty allows '
          'all.'),
    Label('octavia_provider', PROVIDER, 'amphora',
          'Octavia provider of the API and service load balancers.'),
    Label('octavia_lb_algorithm',
          _choice('ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP',
                  'SOURCE_IP_PORT'), None,
          'Load balancing algorithm of service load balancers. Unset means '
          'SOURCE_IP_PORT for the ovn provider (the only one it has), '
          'ROUND_ROBIN otherwise.'),
    Label('octavia_lb_healthcheck', BOOL, True,
          'Create health monitors on service load balancers.'),
    # networking
    Label('fixed_subnet_cidr', NODE_CIDR, '10.0.0.0/24',
          'CIDR of the subnet created for the nodes when the cluster has '
          'no fixed network.'),
    Label('extra_network_names', NETWORK_NAMES, (),
          'Extra Neutron networks attached to every worker node.'),
    Label('extra_network_name', NETWORK_NAMES, (),
          'Deprecated: use extra_network_names.',
          replaced_by='extra_network_names'),
    # volumes
    Label('boot_volume_size', SIZE_GB, None,
          'Root volume size in GB; 0 or unset means the nodegroup\'s '
          'docker_volume_size, else the flavor\'s ephemeral disk.',
          ALL_SCOPES),
    Label('boot_volume_type', VOLUME_TYPE, None,
          'Cinder volume type of root volumes.', ALL_SCOPES),
    Label('etcd_blockdevice_size', SIZE_GB, 0,
          'Size in GB of a separate etcd disk; 0 keeps etcd on the root '
          'disk.'),
    Label('etcd_blockdevice_type', _choice('volume', 'local'), 'volume',
          'Kind of the etcd disk: a Cinder volume or a local ephemeral '
          'disk.'),
    Label('etcd_blockdevice_volume_type', VOLUME_TYPE, None,
          'Cinder volume type of the etcd volume.'),
    Label('etcd_blockdevice_volume_az', ZONE, None,
          'Cinder availability zone of the etcd volume.'),
    Label('etcd_volume_size', SIZE_GB, 0,
          'Deprecated: use etcd_blockdevice_size.',
          replaced_by='etcd_blockdevice_size'),
    Label('etcd_volume_type', VOLUME_TYPE, None,
          'Deprecated: use etcd_blockdevice_volume_type.',
          replaced_by='etcd_blockdevice_volume_type'),
    # add-ons
    Label('monitoring_enabled', BOOL, False,
          'Install the monitoring stack (Prometheus, Grafana, Loki).'),
    Label('kube_dashboard_enabled', BOOL, True,
          'Accepted for compatibility; chart 0.27.0 has no dashboard '
          'add-on, so it has no effect.'),
    Label('keystone_auth_enabled', BOOL, False,
          'Authenticate Kubernetes users with Keystone tokens '
          '(k8s-keystone-auth webhook).'),
    Label('csi_cinder_availability_zone', ZONE, 'nova',
          'Availability zone of volumes of the default storage class.'),
    Label('csi_cinder_reclaim_policy', _choice('Retain', 'Delete'),
          'Retain', 'Reclaim policy of the default storage class.'),
    Label('csi_cinder_volume_binding_mode',
          _choice('WaitForFirstConsumer', 'Immediate'),
          'WaitForFirstConsumer',
          'Volume binding mode of the default storage class.'),
    Label('csi_cinder_fstype', FSTYPE, 'ext4',
          'Filesystem of volumes of the default storage class.'),
    Label('csi_cinder_allow_volume_expansion', BOOL, True,
          'Allow persistent volumes to be resized.'),
)

BY_NAME = {label.name: label for label in SCHEMA}
REPLACED = {label.replaced_by: label.name for label in SCHEMA
            if label.replaced_by}

SITE_DEFAULTS = '[capi_driver] default_labels'


def parse(raw, origin):
    """Parsed values of the known labels in ``raw``; unknown ones ignored.

    ``origin`` (e.g. "cluster demo") goes into error messages. Every known
    label is checked wherever it appears, even where it has no effect, so
    a typo never passes silently.
    """
    parsed = {}
    for name, value in (raw or {}).items():
        label = BY_NAME.get(name)
        if label is None:
            continue
        parsed[name] = label.kind.parse(
            'label %s of %s' % (name, origin), value)
    return parsed


def unknown(raw):
    """Names in ``raw`` the schema does not know (for warnings)."""
    return sorted(set(raw or {}) - set(BY_NAME))


class Resolved(object):
    """Label values after merging the layers that apply to each label.

    Layers, lowest first: schema default, site default, template, cluster,
    nodegroup. A label only reads the layers of its scopes; a deprecated
    label is read only when its replacement is set nowhere.
    """

    def __init__(self, site, template, cluster=None, nodegroup=None):
        self._layers = ((TEMPLATE, template or {}), (CLUSTER, cluster or {}),
                        (NODEGROUP, nodegroup or {}))
        self._site = site or {}

    def _given(self, name):
        label = BY_NAME[name]
        found = None
        for scope, layer in self._layers:
            if scope in label.scopes and name in layer:
                found = (layer[name],)
        return found

    def __getitem__(self, name):
        label = BY_NAME[name]
        given = self._given(name)
        if given is not None:
            return given[0]
        old = REPLACED.get(name)
        if old and self._given(old) is not None:
            return self._given(old)[0]
        if name in self._site:
            return self._site[name]
        if old and old in self._site:
            return self._site[old]
        return label.default

    def is_set(self, name):
        """True when a user or the site gave the label (not the schema)."""
        old = REPLACED.get(name)
        names = (name, old) if old else (name,)
        return any(self._given(n) is not None or n in self._site
                   for n in names)


def site_defaults(conf):
    """The site defaults of ``[capi_driver] default_labels``, checked.

    Unknown names are an operator error here (a typo in magnum.conf), so
    they are rejected rather than ignored; values are checked when a
    cluster is built, like any label. Magnum's own ``[cinder]`` volume
    defaults fill in, as they did for magnum-capi-helm.
    """
    raw = dict(conf.capi_driver.default_labels or {})
    for name in unknown(raw):
        raise invalid('%s key %s' % (SITE_DEFAULTS, name), raw[name],
                      'one of the labels: ' + ', '.join(sorted(BY_NAME)))
    cinder = getattr(conf, 'cinder', None)
    for label, option in (('boot_volume_size', 'default_boot_volume_size'),
                          ('boot_volume_type', 'default_boot_volume_type'),
                          ('etcd_volume_type', 'default_etcd_volume_type')):
        value = getattr(cinder, option, None) if cinder else None
        if value and label not in raw:
            raw[label] = value
    return raw


def upgraded_labels(labels, template_labels):
    """Labels after moving to a new template: version labels follow it.

    Labels marked ``follows_template`` (kube_tag) take the new template's
    value, or are dropped when it has none so the new image's kube_version
    applies; every other label keeps the value the user gave.
    """
    result = dict(labels or {})
    template_labels = template_labels or {}
    for label in SCHEMA:
        if not label.follows_template:
            continue
        if label.name in template_labels:
            result[label.name] = template_labels[label.name]
        else:
            result.pop(label.name, None)
    return result


# -- documentation


def _default_text(label):
    if label.default is None or label.default == ():
        return '(unset)'
    if isinstance(label.default, bool):
        return 'true' if label.default else 'false'
    return '``%s``' % (label.default,)


def rst_table():
    """The label reference as an RST list-table (for the docs build)."""
    lines = ['.. list-table:: Labels',
             '   :header-rows: 1',
             '   :widths: 20 25 10 15 30',
             '',
             '   * - Label',
             '     - Accepted values',
             '     - Default',
             '     - Set on',
             '     - Meaning']
    for label in SCHEMA:
        lines += ['   * - ``%s``' % label.name,
                  '     - %s' % label.kind.accepted,
                  '     - %s' % _default_text(label),
                  '     - %s' % ', '.join(label.scopes),
                  '     - %s' % label.help]
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    sys.stdout.write(rst_table())
