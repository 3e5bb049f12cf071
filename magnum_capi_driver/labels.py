"""The label schema: value types, merging by scope, site defaults, docs.

Each chart feature (magnum_capi_driver.features) declares the labels it
reads, once; the schema is the union of the loaded features'
declarations. Each declaration gives the label's name, how its value is
parsed and checked, its default, where it may be set (template, cluster,
nodegroup) and its help text. Parsing, error messages, site defaults and the
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

from oslo_utils import strutils
import semver
import yaml

from magnum_capi_driver import exceptions

TEMPLATE = 'template'
CLUSTER = 'cluster'
NODEGROUP = 'nodegroup'


def invalid(field, value, accepted):
    """The error for a value that cannot be used, naming all three."""
    return exceptions.InvalidClusterInput(field=field, value=value,
                                          accepted=accepted)


# -- values the chart writes without quotes

# YAML 1.1 words that Helm's YAML parser reads as booleans or null.
_YAML_WORDS = frozenset((
    'y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null', '~', ''))
_PLAIN_START = re.compile(r'[\w(/]')
PLAIN_ACCEPTED = ('text that YAML reads as the same string: not a number '
                  '(such as 2024, 1e3, 0x1f, .5, inf), not a YAML word '
                  '(true, on, y, null, ~ ...), not starting with a YAML '
                  'indicator (#, -, ?, :, quotes, brackets ...) and without '
                  '": ", " #" or line breaks')


def _numeric(text):
    candidate = text.replace('_', '')
    for parse in (float, lambda t: int(t, 0)):
        try:
            parse(candidate)
            return True
        except ValueError:
            pass
    return False


def plain_scalar(text):
    """Whether ``text`` survives being written unquoted into a manifest.

    The openstack-cluster chart writes some values bare (``sshKeyName:
    {{ . }}``, flavors, volume types, zones, ids), so Helm's YAML parser
    reads them back as whatever they look like: ``2024`` becomes a number,
    ``on`` a boolean, ``a: b`` a mapping. Only text that reads back as the
    same string is accepted there (YAML 1.1, which Helm follows, and Go's
    number syntax, which is broader than YAML's).
    """
    if not isinstance(text, str) or text != text.strip():
        return False
    if text.lower() in _YAML_WORDS or _numeric(text):
        return False
    if not _PLAIN_START.match(text) or ': ' in text or ' #' in text \
            or text.endswith(':') or any(ord(c) < 32 for c in text):
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def check_plain(field, value, accepted):
    """``value`` as text, refused unless the chart can carry it bare."""
    text = str(value).strip()
    if not plain_scalar(text):
        raise invalid(field, value, accepted + ', and ' + PLAIN_ACCEPTED)
    return text


# -- value types


@dataclasses.dataclass(frozen=True)
class Kind:
    """How a label's text becomes a value, and how that is explained."""
    accepted: str
    parse: object


BOOL_ACCEPTED = ('a boolean: true/false, yes/no, on/off, 1/0 or t/f, y/n, '
                 'in any case')


def _bool(field, value):
    if isinstance(value, bool):
        return value
    try:
        return strutils.bool_from_string(str(value).strip(), strict=True)
    except ValueError:
        raise invalid(field, value, BOOL_ACCEPTED)


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


def choice(*choices):
    """One of fixed words, matched in any case (Horizon lowercases)."""
    accepted = 'one of ' + ', '.join(choices) + ' (any case)'

    def parse(field, value):
        text = str(value).strip().lower()
        for choice in choices:
            if choice.lower() == text:
                return choice
        raise invalid(field, value, accepted)
    return Kind(accepted, parse)


def matching(pattern, accepted, max_length=255, plain=False):
    """Text matching ``pattern``; ``plain`` when the chart writes it bare."""
    regex = re.compile(pattern)

    def parse(field, value):
        text = str(value).strip()
        if len(text) > max_length or not regex.fullmatch(text):
            raise invalid(field, value, accepted)
        return check_plain(field, value, accepted) if plain else text
    return Kind(accepted, parse)


VERSION_ACCEPTED = 'a Kubernetes version such as v1.31.2 or 1.31.2'


def version(field, value):
    """'v1.31.2' or '1.31.2' as a semver.Version (no pre-release part)."""
    text = str(value).strip()
    try:
        parsed = semver.Version.parse(text[1:] if text[:1] in 'vV' and text
                                      else text)
    except (ValueError, TypeError):
        raise invalid(field, value, VERSION_ACCEPTED)
    if parsed.prerelease or parsed.build:
        raise invalid(field, value, VERSION_ACCEPTED)
    return parsed


def parse_version(field, value):
    """'v1.31.2' or '1.31.2' -> '1.31.2' (the form the chart expects)."""
    return str(version(field, value))


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
    if len(text) > 255 or not re.fullmatch(r'\w[\w .-]*', text):
        raise invalid(field, value, accepted)
    return check_plain(field, value, accepted)


BOOL = Kind(BOOL_ACCEPTED, _bool)
COUNT = int_between(0)
SIZE_GB = int_between(0, 65536)
VERSION = Kind(VERSION_ACCEPTED, parse_version)
CIDRS = Kind('comma-separated networks in CIDR notation', _cidr_list)
NODE_CIDR = Kind('an IPv4 network in CIDR notation, /8 to /28', _ipv4_cidr)
NETWORK_NAMES = Kind('space-separated Neutron network names', _name_list)
ZONE = Kind('an availability zone name', _zone)
VOLUME_TYPE = matching(r'[\w][\w .:-]*', 'a Cinder volume type name '
                       '(letters, digits, spaces, ".", ":", "_", "-")',
                       plain=True)
PROVIDER = matching(r'[a-z][a-z0-9_-]*', 'an Octavia provider name in '
                    'lower case, such as amphora or ovn', 63)
FSTYPE = choice('ext4', 'xfs', 'ext3', 'btrfs')
CHART_VERSION = matching(r'v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?',
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


@dataclasses.dataclass(frozen=True)
class LabelFamily:
    """Labels named by a prefix and a key, e.g. ``machine_label:team``.

    ``check(field, key, value)`` refuses a bad key or value (raising
    ``invalid``) and returns the value to use. Family members of the
    nodegroup, cluster, template and site merge by key, nodegroup first.
    """
    prefix: str
    accepted: str
    check: object
    help: str
    scopes: tuple = ALL_SCOPES


def registry():
    """The loaded chart features, whose declarations make the schema."""
    from magnum_capi_driver import features
    return features.load()


def schema():
    """Every label declared by a loaded feature, grouped by feature."""
    return registry().labels


def families():
    """Every label family declared by a loaded feature."""
    return registry().families


def by_name():
    return registry().by_name


def _replaced():
    return {label.replaced_by: label.name for label in registry().labels
            if label.replaced_by}


def _family(name):
    for family in families():
        if name.startswith(family.prefix):
            return family
    return None


SITE_DEFAULTS = '[capi_driver] default_labels'


def parse(raw, origin):
    """Parsed values of the known labels in ``raw``; unknown ones ignored.

    ``origin`` (e.g. "cluster demo") goes into error messages. Every known
    label is checked wherever it appears, even where it has no effect, so
    a typo never passes silently.
    """
    parsed = {}
    known = by_name()
    for name, value in (raw or {}).items():
        field = 'label %s of %s' % (name, origin)
        label = known.get(name)
        if label is not None:
            parsed[name] = label.kind.parse(field, value)
            continue
        family = _family(name)
        if family is not None:
            parsed[name] = family.check(field, name[len(family.prefix):],
                                        value)
    return parsed


def unknown(raw):
    """Names in ``raw`` no feature declares (for warnings)."""
    known = by_name()
    return sorted(name for name in (raw or {})
                  if name not in known and _family(name) is None)


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
        self._known = by_name()
        self._replaced = _replaced()

    def _given(self, name, scopes=None):
        label = self._known[name]
        found = None
        for scope, layer in self._layers:
            if scope in (scopes or label.scopes) and name in layer:
                found = (layer[name],)
        return found

    def __getitem__(self, name):
        label = self._known[name]
        given = self._given(name)
        if given is not None:
            return given[0]
        old = self._replaced.get(name)
        if old and self._given(old) is not None:
            return self._given(old)[0]
        if name in self._site:
            return self._site[name]
        if old and old in self._site:
            return self._site[old]
        return label.default

    def is_set(self, name):
        """True when a user or the site gave the label (not the schema)."""
        old = self._replaced.get(name)
        names = (name, old) if old else (name,)
        return any(self._given(n) is not None or n in self._site
                   for n in names)

    def given_on(self, name, scope):
        """The value set in one layer (e.g. the nodegroup's), or None."""
        given = self._given(name, (scope,))
        return given[0] if given is not None else None

    def family(self, prefix):
        """{key: value} of a label family, the most specific layer winning.

        Layers: site, then those of the family's scopes.
        """
        family = next(f for f in families() if f.prefix == prefix)
        result = {}
        layers = (('site', self._site),) + tuple(
            layer for layer in self._layers if layer[0] in family.scopes)
        for _, layer in layers:
            for name, value in layer.items():
                if name.startswith(prefix):
                    result[name[len(prefix):]] = value
        return result


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
                      'one of the labels: ' + ', '.join(
                          sorted(by_name()) + [family.prefix + '<key>'
                                               for family in families()]))
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
    for label in schema():
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
    for label in schema():
        lines += ['   * - ``%s``' % label.name,
                  '     - %s' % label.kind.accepted,
                  '     - %s' % _default_text(label),
                  '     - %s' % ', '.join(label.scopes),
                  '     - %s' % label.help]
    for family in families():
        lines += ['   * - ``%s<key>``' % family.prefix,
                  '     - %s' % family.accepted,
                  '     - (unset)',
                  '     - %s' % ', '.join(family.scopes),
                  '     - %s' % family.help]
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    sys.stdout.write(rst_table())
