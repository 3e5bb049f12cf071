"""Users' own labels and annotations on a nodegroup's machines.

The chart has no value for labels or annotations of MachineDeployments or
Machines, so they are kept by the driver (see ``deployments``). They are
given as label families:

* ``machine_label:<key>=<value>``: a Kubernetes label on the
  MachineDeployment and on every Machine of the group;
* ``machine_annotation:<key>=<value>``: an annotation on the
  MachineDeployment and on every Machine of the group.

They may be set on the template, the cluster or the nodegroup (and as site
defaults); for each key the most specific one wins. Keys are Kubernetes
qualified names outside the namespaces that Kubernetes, Cluster API, the
autoscaler and the chart manage.
"""

import dataclasses

from magnum_capi_driver import features
from magnum_capi_driver import labels as kinds
from magnum_capi_driver import spec as core

LABEL_PREFIX = 'machine_label:'
ANNOTATION_PREFIX = 'machine_annotation:'
ANNOTATION_MAX = 4096
KEY_ACCEPTED = ('a Kubernetes key after the prefix: [prefix/]name, name up '
                'to 63 letters, digits, "-", "_", "." starting and ending '
                'alphanumeric, prefix a DNS subdomain, not ending in '
                'kubernetes.io or k8s.io (such as cluster.x-k8s.io) and not '
                'capi.stackhpc.com')
LABEL_ACCEPTED = ('a Kubernetes label value: up to 63 letters, digits, "-", '
                  '"_", "." starting and ending alphanumeric, or empty')
ANNOTATION_ACCEPTED = ('text of at most %d characters without control '
                       'characters' % ANNOTATION_MAX)


def _reserved(key):
    prefix, sep, _ = key.rpartition('/')
    return bool(sep) and (prefix == 'capi.stackhpc.com'
                          or prefix.endswith(('kubernetes.io', 'k8s.io')))


def _key(field, key):
    if not core.qualified_name(key) or _reserved(key):
        raise kinds.invalid(field, key, KEY_ACCEPTED)
    return key


def _label(field, key, value):
    _key(field, key)
    text = '' if value is None else str(value)
    if not core.label_value_ok(text):
        raise kinds.invalid(field, value, LABEL_ACCEPTED)
    return text


def _annotation(field, key, value):
    _key(field, key)
    text = '' if value is None else str(value)
    if len(text) > ANNOTATION_MAX or any(
            ord(c) < 32 and c not in '\t' for c in text):
        raise kinds.invalid(field, value, ANNOTATION_ACCEPTED)
    return text


@dataclasses.dataclass(frozen=True)
class MachineMetadata:
    labels: tuple = ()
    annotations: tuple = ()


class NodeMetadata(features.Feature):
    part = 'machine_metadata'
    labels = (
        kinds.LabelFamily(
            LABEL_PREFIX, LABEL_ACCEPTED + '; the key: ' + KEY_ACCEPTED,
            _label, 'A Kubernetes label on the nodegroup\'s '
            'MachineDeployment and Machines, e.g. '
            '``machine_label:example.com/team=blue``. The most specific '
            'layer wins for each key.'),
        kinds.LabelFamily(
            ANNOTATION_PREFIX,
            ANNOTATION_ACCEPTED + '; the key: ' + KEY_ACCEPTED,
            _annotation, 'An annotation on the nodegroup\'s '
            'MachineDeployment and Machines, e.g. '
            '``machine_annotation:example.com/owner=team blue``. The most '
            'specific layer wins for each key.'),
    )

    def group_spec(self, ctx, group):
        return MachineMetadata(
            labels=tuple(sorted(group.labels.family(LABEL_PREFIX).items())),
            annotations=tuple(sorted(
                group.labels.family(ANNOTATION_PREFIX).items())))

    def group_metadata(self, spec, group):
        found = group.machine_metadata
        return features.Metadata(machine_labels=found.labels,
                                 machine_annotations=found.annotations)
