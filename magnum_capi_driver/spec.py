"""What a cluster should be, decided from Magnum's objects before any change.

``build_cluster_spec`` turns the template, the cluster, its nodegroups, the
site's default labels and a few cloud facts into frozen dataclasses. Every
check of user input happens here, so a bad label, count, flavor or network
is rejected (as ``InvalidClusterInput``, naming field, value and what is
accepted) before anything is created. This module decides the core (images,
versions, flavors, control plane, node groups); each chart feature decides
its own part (``spec.<part>``), and later only translates it into values.
"""

import dataclasses
import re
import typing

from magnum_capi_driver import features
from magnum_capi_driver import labels as label_schema
from magnum_capi_driver import names

invalid = label_schema.invalid
upgraded_labels = label_schema.upgraded_labels

OS_DISTROS = ('ubuntu', 'flatcar')
# kubeadm's preflight checks refuse smaller control plane machines.
CONTROL_PLANE_MIN_VCPUS = 2
CONTROL_PLANE_MIN_RAM_MB = 1700
# Kubelets may be up to three minor versions older than the API server.
KUBELET_MAX_SKEW = 3
TAINT_EFFECTS = ('NoSchedule', 'PreferNoSchedule', 'NoExecute')
# Node labels in kubernetes.io / k8s.io the kubelet may set for itself.
KUBELET_LABEL_PREFIXES = ('kubelet.kubernetes.io', 'node.kubernetes.io')
KUBELET_LABELS = (
    'beta.kubernetes.io/arch', 'beta.kubernetes.io/instance-type',
    'beta.kubernetes.io/os', 'failure-domain.beta.kubernetes.io/region',
    'failure-domain.beta.kubernetes.io/zone', 'kubernetes.io/arch',
    'kubernetes.io/hostname', 'kubernetes.io/os',
    'node.kubernetes.io/instance-type', 'topology.kubernetes.io/region',
    'topology.kubernetes.io/zone')
# The chart's own node label, used in its selectors.
CHART_LABEL_PREFIX = 'capi.stackhpc.com/'

_LABEL_NAME_RE = re.compile(r'[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?')
_DNS_SUBDOMAIN_RE = re.compile(
    r'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')
_KEYPAIR_RE = re.compile(r'[\w][\w .@-]*')


class CloudFacts(typing.Protocol):
    """Lookups in the user's cloud, by id or by name.

    The driver passes an adapter over Nova, Glance and Neutron; tests pass a
    small fake. Each method returns a plain dict and raises a Magnum
    exception (ImageNotFound, FlavorNotFound, ...) for what does not exist.
    """

    def image(self, ref) -> dict:
        """{'id', 'name', 'properties': {'os_distro', 'kube_version', ..}}"""

    def flavor(self, ref) -> dict:
        """{'id', 'name', 'vcpus', 'ram' (MB), 'disk' (GB), 'extra_specs'}"""

    def network(self, ref) -> dict:
        """{'id', 'name'} and, where known, 'external' (bool)"""

    def subnet(self, ref) -> dict:
        """{'id', 'name', 'network_id', 'dns_nameservers' (list)}"""


# -- the spec


@dataclasses.dataclass(frozen=True)
class RootVolume:
    size_gb: int = 0
    volume_type: str = None


@dataclasses.dataclass(frozen=True)
class Flavor:
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    #: Nova extra specs as sorted (key, value) pairs (GPUs, for instance)
    extra_specs: tuple = ()


@dataclasses.dataclass(frozen=True)
class Taint:
    key: str
    effect: str
    value: str = None


@dataclasses.dataclass(frozen=True)
class ControlPlaneSpec:
    flavor: Flavor
    count: int
    image_id: str
    root_volume: RootVolume
    availability_zone: str = None


class _Parts(object):
    """Reach each feature's part as an attribute: ``spec.network``."""

    def __getattr__(self, name):
        if name == 'parts':
            raise AttributeError(name)
        try:
            return self.parts[name]
        except KeyError:
            raise AttributeError(name)


@dataclasses.dataclass(frozen=True)
class NodeGroupSpec(_Parts):
    uuid: str
    magnum_name: str
    name: str
    flavor: Flavor
    image_id: str
    kubernetes_version: str
    node_count: int
    root_volume: RootVolume
    availability_zone: str = None
    node_labels: tuple = ()
    taints: tuple = ()
    #: each feature's part of the group, by part name (features.Feature)
    parts: typing.Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ClusterSpec(_Parts):
    release: str
    credentials_secret: str
    project_id: str
    kubernetes_version: str
    image_id: str
    os_distro: str
    keypair: str
    control_plane: ControlPlaneSpec
    node_groups: tuple
    chart_version: str = None
    #: each feature's part of the cluster, by part name (features.Feature)
    parts: typing.Mapping = dataclasses.field(default_factory=dict)


# -- pure helpers the driver calls


def _version_tuple(field, version):
    parsed = label_schema.version(field, version)
    return parsed.major, parsed.minor, parsed.patch


def check_upgrade(current_version, new_version):
    """Refuse downgrades, major changes and skipped minor versions."""
    current = _version_tuple('current Kubernetes version', current_version)
    new = _version_tuple('new Kubernetes version', new_version)
    accepted = ('the current version %s, a later patch release of it or '
                'the next minor version %d.%d.x' %
                ('.'.join(map(str, current)), current[0], current[1] + 1))
    if new < current or new[0] != current[0] or new[1] > current[1] + 1:
        raise invalid('new Kubernetes version', new_version, accepted)


def validate_master_count(count, lb_enabled):
    """An odd number of masters (etcd quorum); several need a balancer."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise invalid('master_count', count, 'a whole number')
    if count < 1 or count % 2 == 0:
        raise invalid('master_count', count, 'an odd number: 1, 3, 5, ...')
    if count > 1 and not lb_enabled:
        raise invalid('master_count', count,
                      '1 without master_lb_enabled; more masters need the '
                      'API load balancer (master_lb_enabled)')


def _count(field, value, minimum=0):
    return label_schema.int_between(minimum).parse(field, value)


def _first(*values):
    for value in values:
        if value not in (None, ''):
            return value
    return None


# -- images, versions, flavors


def _image(cloud, ref, field):
    if not ref:
        raise invalid(field, ref, 'a Glance image id or name')
    image = cloud.image(ref)
    label_schema.check_plain('id of image %s (%s)' % (ref, field),
                             image['id'], 'a Glance image id')
    return image


def _os_distro(image, field):
    distro = str((image.get('properties') or {}).get('os_distro') or '')
    if distro.lower() not in OS_DISTROS:
        raise invalid('os_distro property of image %s (%s)'
                      % (image.get('name'), field), distro or None,
                      'one of ' + ', '.join(OS_DISTROS))
    return distro.lower()


def _kubernetes_version(resolved, image, where):
    if resolved['kube_tag']:
        return resolved['kube_tag']
    prop = (image.get('properties') or {}).get('kube_version')
    if prop:
        return label_schema.parse_version(
            'kube_version property of image %s' % image.get('name'), prop)
    raise invalid('label kube_tag of %s' % where, None,
                  '%s, in the kube_tag label or the kube_version property '
                  'of image %s' % (label_schema.VERSION_ACCEPTED,
                                   image.get('name')))


def _flavor(cloud, ref, field):
    if not ref:
        raise invalid(field, ref, 'a Nova flavor id or name')
    found = cloud.flavor(ref)
    label_schema.check_plain('name of flavor %s (%s)' % (ref, field),
                             found['name'], 'a flavor name')
    return Flavor(name=found['name'], vcpus=int(found.get('vcpus') or 0),
                  ram_mb=int(found.get('ram') or 0),
                  disk_gb=int(found.get('disk') or 0),
                  extra_specs=tuple(sorted(
                      (str(k), str(v)) for k, v in
                      (found.get('extra_specs') or {}).items())))


def _root_volume(resolved, nodegroup, cluster, template, where):
    size = resolved['boot_volume_size'] or _first(
        getattr(nodegroup, 'docker_volume_size', None),
        cluster.docker_volume_size, template.docker_volume_size) or 0
    size = _count('docker_volume_size of %s' % where, size)
    volume_type = resolved['boot_volume_type']
    if volume_type and not size:
        raise invalid('label boot_volume_type of %s' % where, volume_type,
                      'a root volume type only together with a root volume '
                      'size (boot_volume_size label or docker_volume_size)')
    return RootVolume(size_gb=size, volume_type=volume_type)


# -- nodegroups


def qualified_name(key):
    prefix, _, name = key.rpartition('/')
    return (0 < len(name) <= 63 and _LABEL_NAME_RE.fullmatch(name)
            and (not prefix or (len(prefix) <= 253
                                and _DNS_SUBDOMAIN_RE.fullmatch(prefix))))


def label_value_ok(value):
    return value == '' or (len(value) <= 63
                           and _LABEL_NAME_RE.fullmatch(value))


def _kubelet_may_set(key):
    prefix, sep, _ = key.partition('/')
    restricted = sep and (prefix in ('kubernetes.io', 'k8s.io')
                          or prefix.endswith('.kubernetes.io')
                          or prefix.endswith('.k8s.io'))
    return (not restricted or prefix in KUBELET_LABEL_PREFIXES
            or key in KUBELET_LABELS)


def _node_labels(nodegroup, where):
    raw = getattr(nodegroup, 'node_labels', None) or {}
    field = 'node_labels of %s' % where
    if not isinstance(raw, dict):
        raise invalid(field, raw, 'a mapping of label keys to values')
    for key, value in raw.items():
        key, value = str(key), '' if value is None else str(value)
        if not qualified_name(key):
            raise invalid(field + ' key', key,
                          'a Kubernetes label key: [prefix/]name, name up to '
                          '63 letters, digits, "-", "_", "." starting and '
                          'ending alphanumeric; prefix a DNS subdomain')
        if key.startswith(CHART_LABEL_PREFIX) or not _kubelet_may_set(key):
            raise invalid(field + ' key', key,
                          'a key outside %s and the kubernetes.io/k8s.io '
                          'namespaces (except %s and %s)' %
                          (CHART_LABEL_PREFIX,
                           ', '.join(p + '/' for p in KUBELET_LABEL_PREFIXES),
                           ', '.join(KUBELET_LABELS)))
        if not label_value_ok(value):
            raise invalid('%s value of %s' % (field, key), value,
                          'a Kubernetes label value: up to 63 letters, '
                          'digits, "-", "_", "." starting and ending '
                          'alphanumeric, or empty')
    return tuple(sorted((str(k), '' if v is None else str(v))
                        for k, v in raw.items()))


def _taint(taint, index, where):
    name = 'node_taints[%d]' % index
    if not isinstance(taint, dict) or set(taint) - {'key', 'value',
                                                    'effect'}:
        raise invalid('%s of %s' % (name, where), taint,
                      'an object with key, effect and an optional value')
    key = str(taint.get('key') or '')
    value = taint.get('value')
    value = None if value in (None, '') else str(value)
    if not qualified_name(key):
        raise invalid('%s.key of %s' % (name, where), key,
                      'a Kubernetes taint key: [prefix/]name like a label '
                      'key')
    if value is not None and not label_value_ok(value):
        raise invalid('%s.value of %s' % (name, where), value,
                      'up to 63 letters, digits, "-", "_", "." starting and '
                      'ending alphanumeric')
    if taint.get('effect') not in TAINT_EFFECTS:
        raise invalid('%s.effect of %s' % (name, where), taint.get('effect'),
                      'one of ' + ', '.join(TAINT_EFFECTS))
    return Taint(key=key, effect=taint['effect'], value=value)


def _taints(nodegroup, where):
    raw = getattr(nodegroup, 'node_taints', None) or []
    return tuple(_taint(taint, index, where)
                 for index, taint in enumerate(raw))


def _check_skew(group_version, cp_version, where):
    group = _version_tuple('version', group_version)
    cp = _version_tuple('version', cp_version)
    if group[0] != cp[0] or group[1] > cp[1] or \
            cp[1] - group[1] > KUBELET_MAX_SKEW:
        raise invalid('Kubernetes version of %s' % where, group_version,
                      'a version from %d.%d to %d.%d (not newer than the '
                      'control plane %s, at most %d minor versions older)'
                      % (cp[0], max(cp[1] - KUBELET_MAX_SKEW, 0), cp[0],
                         cp[1], cp_version, KUBELET_MAX_SKEW))


def _node_group(nodegroup, ctx):
    where = 'nodegroup %s' % nodegroup.name
    raw = label_schema.parse(nodegroup.labels, where)
    resolved = label_schema.Resolved(ctx['site'], ctx['template_labels'],
                                     ctx['cluster_labels'], raw)
    cluster, template = ctx['cluster'], ctx['template']
    flavor = _flavor(ctx['cloud'], _first(nodegroup.flavor_id,
                                          cluster.flavor_id,
                                          template.flavor_id),
                     'flavor_id of %s' % where)
    image_ref = _first(nodegroup.image_id, template.image_id)
    if image_ref == template.image_id:
        image = ctx['image']
    else:
        image = _image(ctx['cloud'], image_ref, 'image_id of %s' % where)
        distro = _os_distro(image, 'image_id of %s' % where)
        if distro != ctx['os_distro']:
            raise invalid('image_id of %s' % where, image_ref,
                          'an image with os_distro %s, like the cluster\'s'
                          % ctx['os_distro'])
    if image is ctx['image'] and not resolved['kube_tag']:
        version = ctx['version']
    else:
        version = _kubernetes_version(resolved, image, where)
    _check_skew(version, ctx['version'], where)
    count = _count('node_count of %s' % where, nodegroup.node_count)
    group = features.GroupContext(
        nodegroup=nodegroup, labels=resolved, where=where, node_count=count)
    return NodeGroupSpec(
        uuid=nodegroup.uuid, magnum_name=nodegroup.name,
        name=names.node_group_name(nodegroup.name, nodegroup.uuid),
        flavor=flavor, image_id=image['id'], kubernetes_version=version,
        node_count=count,
        root_volume=_root_volume(resolved, nodegroup, cluster, template,
                                 where),
        availability_zone=resolved['availability_zone'],
        node_labels=_node_labels(nodegroup, where),
        taints=_taints(nodegroup, where),
        parts=label_schema.registry().group_parts(ctx['features'], group))


# -- the whole cluster


def _keypair(cluster, template, where):
    keypair = _first(cluster.keypair, template.keypair_id)
    if keypair and (len(str(keypair)) > 255
                    or not _KEYPAIR_RE.fullmatch(str(keypair))):
        raise invalid('keypair of %s' % where, keypair,
                      'a Nova keypair name (letters, digits, spaces, ".", '
                      '"@", "_", "-")')
    if not keypair:
        return None
    return label_schema.check_plain('keypair of %s' % where, keypair,
                                    'a Nova keypair name')


def _master(nodegroups, where):
    masters = [ng for ng in nodegroups if ng.role == 'master']
    if len(masters) != 1:
        raise invalid('master nodegroups of %s' % where,
                      [ng.name for ng in masters],
                      'exactly one nodegroup with role master')
    return masters[0]


def build_cluster_spec(cluster, template, nodegroups, cloud, site_defaults,
                       credentials_secret, release, identity_url=None):
    """Check everything and decide the cluster; raises before any change.

    ``identity_url`` is the Keystone URL the workload cluster uses, needed
    only with keystone_auth_enabled.
    """
    where = 'cluster %s' % cluster.name
    if not release or len(release) > 53 or \
            not names.DNS_LABEL_RE.fullmatch(release):
        raise invalid('stack_id (Helm release) of %s' % where, release,
                      'a DNS-1123 label of at most 53 characters')
    site = label_schema.parse(site_defaults, label_schema.SITE_DEFAULTS)
    template_labels = label_schema.parse(template.labels,
                                         'cluster template %s'
                                         % template.name)
    cluster_labels = label_schema.parse(cluster.labels, where)
    resolved = label_schema.Resolved(site, template_labels, cluster_labels)

    image = _image(cloud, template.image_id,
                   'image_id of cluster template %s' % template.name)
    os_distro = _os_distro(image, 'image_id of the cluster template')
    version = _kubernetes_version(resolved, image, where)

    master = _master(nodegroups, where)
    master_where = 'nodegroup %s' % master.name
    master_labels = label_schema.Resolved(
        site, template_labels, cluster_labels,
        label_schema.parse(master.labels, master_where))
    master_count = _count('node_count of %s' % master_where,
                          master.node_count, 1)
    flavor = _flavor(cloud, _first(master.flavor_id,
                                   cluster.master_flavor_id,
                                   template.master_flavor_id),
                     'master_flavor_id of %s' % where)
    if flavor.vcpus < CONTROL_PLANE_MIN_VCPUS or \
            flavor.ram_mb < CONTROL_PLANE_MIN_RAM_MB:
        raise invalid('master_flavor_id of %s' % where, flavor.name,
                      'a flavor with at least %d vCPUs and %d MB RAM '
                      '(kubeadm\'s minimum for a control plane)'
                      % (CONTROL_PLANE_MIN_VCPUS, CONTROL_PLANE_MIN_RAM_MB))
    control_plane = ControlPlaneSpec(
        flavor=flavor, count=master_count, image_id=image['id'],
        root_volume=_root_volume(master_labels, master, cluster, template,
                                 master_where),
        availability_zone=resolved['availability_zone'])

    registry = label_schema.registry()
    feature_ctx = features.ClusterContext(
        cluster=cluster, template=template, cloud=cloud, labels=resolved,
        where=where, master_count=master_count, identity_url=identity_url)
    ctx = dict(site=site, template_labels=template_labels,
               cluster_labels=cluster_labels, cluster=cluster,
               template=template, cloud=cloud, image=image,
               os_distro=os_distro, version=version, features=feature_ctx)
    groups = tuple(_node_group(ng, ctx) for ng in nodegroups
                   if ng.role != 'master')
    seen = {}
    for group in groups:
        if group.name in seen:
            raise invalid('name of nodegroup %s' % group.magnum_name,
                          group.magnum_name, 'a name whose chart name %s '
                          'differs from that of nodegroup %s'
                          % (group.name, seen[group.name]))
        seen[group.name] = group.magnum_name
    return ClusterSpec(
        release=release, credentials_secret=credentials_secret,
        project_id=cluster.project_id, kubernetes_version=version,
        image_id=image['id'], os_distro=os_distro,
        keypair=_keypair(cluster, template, where),
        control_plane=control_plane, node_groups=groups,
        chart_version=resolved['capi_helm_chart_version'],
        parts=registry.cluster_parts(feature_ctx))
