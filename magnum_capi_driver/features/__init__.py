"""Chart features as plug-ins: one module per feature, loaded by stevedore.

A feature owns its labels, its part of the cluster (or nodegroup) spec and
the chart values it writes. Features are found through the entry point
namespace ``magnum_capi_driver.features``; the driver's own are declared in
its setup.cfg, and a site adds one from its own package by declaring one
more entry point there (see doc/source/features.rst).

Loading checks the features against each other, so a clash is an error when
the conductor starts rather than a silent override at render time: two
features may not declare one label, and may not claim overlapping value
paths (``apiServer`` and ``apiServer.port`` overlap). Rendering checks that
each feature writes only under the paths it claimed.
"""

import dataclasses
import functools
import types

from stevedore import extension

NAMESPACE = 'magnum_capi_driver.features'
#: the marker of a path inside every item of a list value
EACH = '[]'


class FeatureConflict(ValueError):
    """Two features claim one label or one chart value (an install bug)."""


class Feature(object):
    """Base class of a chart feature; override what the feature needs.

    ``labels``: the :class:`magnum_capi_driver.labels.Label` declarations
    (and ``LabelFamily`` prefixes) this feature reads.
    ``owns``: dotted chart value paths this feature writes; a path under
    every node group is written ``nodeGroups[].<key>``.
    ``part``: the attribute name under which the feature's spec part is
    reachable on the ClusterSpec (``spec.<part>``) and its nodegroup part
    on each NodeGroupSpec; defaults to the entry point name.
    """

    labels = ()
    owns = ()
    part = None

    def cluster_spec(self, ctx):
        """This feature's part of the cluster spec (checked), or None.

        ``ctx`` is a :class:`ClusterContext`. Raise
        ``labels.invalid(...)`` for input that cannot be used.
        """
        return None

    def group_spec(self, ctx, group):
        """This feature's part of one nodegroup's spec, or None.

        ``group`` is a :class:`GroupContext`.
        """
        return None

    def values(self, spec):
        """The chart values this feature writes for the whole cluster."""
        return {}

    def group_values(self, spec, group):
        """Keys this feature adds to one entry of ``nodeGroups``."""
        return {}

    def group_metadata(self, spec, group):
        """Metadata the driver keeps on the group's MachineDeployment.

        Returns a :class:`Metadata`; it is applied after each successful
        helm apply with the driver's own field manager, because the chart
        has no value for it.
        """
        return Metadata()

    def initial_replicas(self, spec, group):
        """Machines a newly created group starts with, or None.

        Applied once, right after the helm apply that created the group's
        MachineDeployment, for what the chart leaves unset.
        """
        return None


@dataclasses.dataclass(frozen=True)
class Metadata:
    """Annotations and labels for a MachineDeployment and its Machines.

    ``annotations`` go on the MachineDeployment only; ``machine_labels``
    and ``machine_annotations`` go on the MachineDeployment and, through
    its machine template, on every Machine.
    """
    annotations: tuple = ()
    machine_annotations: tuple = ()
    machine_labels: tuple = ()


@dataclasses.dataclass(frozen=True)
class ClusterContext:
    """What a feature may read to decide its part of the cluster spec."""
    cluster: object
    template: object
    cloud: object
    labels: object
    where: str
    master_count: int
    identity_url: str = None


@dataclasses.dataclass(frozen=True)
class GroupContext:
    """What a feature may read to decide its part of a nodegroup's spec.

    ``raw_labels`` are the labels as given on the template, the cluster and
    the nodegroup, lowest first, for label families read by prefix.
    """
    nodegroup: object
    labels: object
    where: str
    node_count: int
    raw_labels: tuple = ()


# -- value paths


def split(path):
    """A claimed path as a tuple of keys.

    A string is split at dots; a key that has a dot itself (``docker.io``)
    is claimed with a tuple path, e.g. ``('registryMirrors', 'docker.io')``.
    """
    return tuple(path) if isinstance(path, tuple) else tuple(path.split('.'))


def _text(path):
    return '.'.join(split(path))


def overlap(one, other):
    """Whether two claimed value paths cover a common value."""
    a, b = split(one), split(other)
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _within(path, claims):
    return any(path[:len(split(claim))] == split(claim) for claim in claims)


def _paths(tree, prefix=()):
    """Every leaf path written by a values fragment (lists are leaves)."""
    for key, value in tree.items():
        path = prefix + (key,)
        if isinstance(value, dict) and value:
            yield from _paths(value, path)
        else:
            yield path


def merge(base, fragment, path=''):
    """Deep-merge ``fragment`` into ``base``; two writers may not disagree."""
    for key, value in fragment.items():
        where = '%s.%s' % (path, key) if path else key
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value, where)
        elif key in base and base[key] != value:
            raise FeatureConflict('chart value %s set twice: %r and %r'
                                  % (where, base[key], value))
        else:
            base[key] = value
    return base


# -- the loaded set


class Registry(object):
    """The loaded features, checked against each other.

    Built from ``(name, feature)`` pairs; :func:`load` gives the installed
    ones. The label schema is the union of the features' declarations.
    """

    def __init__(self, named):
        self.features = tuple(sorted(named, key=lambda item: item[0]))
        labels, families, claims, parts = {}, {}, {}, {}
        for name, feature in self.features:
            part = feature.part or name
            if part in parts:
                raise FeatureConflict(
                    'features %s and %s both name their spec part %r'
                    % (parts[part], name, part))
            parts[part] = name
            for label in feature.labels:
                table = families if getattr(label, 'prefix', None) \
                    else labels
                key = label.prefix if table is families else label.name
                if key in labels or key in families:
                    raise FeatureConflict(
                        'features %s and %s both declare label %s'
                        % ((labels.get(key) or families.get(key))[0], name,
                           key))
                table[key] = (name, label)
            for path in feature.owns:
                for other, owner in claims.items():
                    if owner != name and overlap(path, other):
                        raise FeatureConflict(
                            'features %s and %s both write chart value %s '
                            '(%s)' % (owner, name, _text(other),
                                      _text(path)))
                claims[split(path)] = name
        for prefix in families:
            for name in labels:
                if name.startswith(prefix):
                    raise FeatureConflict(
                        'label %s of feature %s falls in the label family '
                        '%s* of feature %s' % (name, labels[name][0],
                                               prefix, families[prefix][0]))
        self.labels = tuple(label for _, label in labels.values())
        self.families = tuple(family for _, family in families.values())
        self.by_name = {label.name: label for label in self.labels}
        self._claims = claims

    def part_name(self, name, feature):
        return feature.part or name

    # -- spec

    def cluster_parts(self, ctx):
        return types.MappingProxyType({
            self.part_name(name, feature): feature.cluster_spec(ctx)
            for name, feature in self.features})

    def group_parts(self, ctx, group):
        return types.MappingProxyType({
            self.part_name(name, feature): feature.group_spec(ctx, group)
            for name, feature in self.features})

    # -- values

    def _checked(self, name, fragment, prefix=()):
        claims = [path for path, owner in self._claims.items()
                  if owner == name]
        for path in _paths(fragment, prefix):
            if not _within(path, claims):
                raise FeatureConflict(
                    'feature %s writes chart value %s, which it does not '
                    'claim in owns' % (name, _text(path)))
        return fragment

    def render(self, spec):
        """The values file of the cluster's release, merged from all."""
        result = {}
        for name, feature in self.features:
            merge(result, self._checked(name, feature.values(spec)))
        groups = []
        for group in spec.node_groups:
            entry = {}
            for name, feature in self.features:
                merge(entry, self._checked(
                    name, feature.group_values(spec, group),
                    ('nodeGroups' + EACH,)), 'nodeGroups' + EACH)
            groups.append(entry)
        merge(result, {'nodeGroups': groups})
        return result

    def metadata(self, spec, group):
        """The merged metadata of a group; keys may be set by one only."""
        merged = {}
        for name, feature in self.features:
            found = feature.group_metadata(spec, group)
            for field in dataclasses.fields(Metadata):
                into = merged.setdefault(field.name, {})
                for key, value in getattr(found, field.name):
                    if key in into and into[key][1] != value:
                        raise FeatureConflict(
                            '%s %s of node group %s set by features %s and '
                            '%s' % (field.name, key, group.name,
                                    into[key][0], name))
                    into[key] = (name, value)
        return Metadata(**{
            field: tuple(sorted((key, value) for key, (_, value)
                                in found.items()))
            for field, found in merged.items()})

    def initial_replicas(self, spec, group):
        """The one start count a feature asks for, or None."""
        asked = {name: feature.initial_replicas(spec, group)
                 for name, feature in self.features}
        asked = {name: count for name, count in asked.items()
                 if count is not None}
        if len(set(asked.values())) > 1:
            raise FeatureConflict('features %s ask for different start '
                                  'counts of node group %s'
                                  % (', '.join(sorted(asked)), group.name))
        return next(iter(asked.values()), None)


def from_entry_points():
    """A registry of every feature installed under :data:`NAMESPACE`.

    Reads what is installed now: stevedore's per-process memo of the
    namespace is dropped first.
    """
    errors = []
    extension.ExtensionManager.ENTRY_POINT_CACHE.pop(NAMESPACE, None)

    def failed(manager, entrypoint, exc):
        errors.append('%s (%s)' % (entrypoint.name, exc))

    manager = extension.ExtensionManager(
        NAMESPACE, invoke_on_load=True, on_load_failure_callback=failed)
    if errors:
        raise FeatureConflict('chart features failed to load: '
                              + '; '.join(errors))
    named = [(ext.name, ext.obj) for ext in manager.extensions]
    if not named:
        raise FeatureConflict(
            'no chart features under the entry point namespace %s: is '
            'magnum-capi-driver installed (pip install)?' % NAMESPACE)
    return Registry(named)


@functools.lru_cache(maxsize=1)
def load():
    """The installed features, loaded and checked once per process."""
    return from_entry_points()
