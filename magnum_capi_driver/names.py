"""Kubernetes and Helm names from whatever Unicode users typed.

Every name is a DNS-1123 label that starts with a letter, is derived only
from its inputs (so it can be recomputed at any time), and carries a short
hash of something immutable so two inputs that slug alike still differ.

Lengths are budgeted so that every name the chart and Cluster API derive
stays valid: a release is at most 24 characters and a nodegroup's chart
name at most 24, so ``<release>-<group>`` (a MachineDeployment, also a
label value) plus the two 5-character suffixes of its MachineSets and
Machines (the Machine name becomes the node's host name) stays within 63,
as do ``<release>-control-plane-<suffix>`` and
``<release>-<group>-<10 character hash>``; Helm's limit is 53.
"""

import base64
import functools
import hashlib
import re
import unicodedata

MAX_LABEL = 63
RELEASE_MAX = 24
GROUP_MAX = 24
HASH_LEN = 6

DNS_LABEL_RE = re.compile(r'[a-z]([-a-z0-9]*[a-z0-9])?')
GROUP_NAME_RE = re.compile(r'[a-z][a-z0-9\-]+[a-z0-9]')

# Letters that Unicode decomposition does not reduce to ASCII.
_FOLD = {'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'đ': 'd', 'ð': 'd',
         'ł': 'l', 'þ': 'th', 'ı': 'i', 'ħ': 'h', 'ŋ': 'ng'}


def short_hash(text, length=HASH_LEN):
    """Lower-case base32 digest: 5 bits per character, DNS-safe."""
    digest = hashlib.sha256(text.encode('utf-8')).digest()
    return base64.b32encode(digest).decode('ascii').lower()[:length]


def slug(text, max_length):
    """ASCII-folded, lower-case, dash-separated; may be empty."""
    folded = unicodedata.normalize('NFKD', str(text or '').lower())
    folded = ''.join(_FOLD.get(char, char) for char in folded
                     if not unicodedata.combining(char))
    words = re.sub(r'[^a-z0-9]+', '-', folded).strip('-')
    return words[:max_length].rstrip('-')


def _named(text, unique, max_length, fallback):
    """``<slug>-<unique>``, starting with a letter, within max_length."""
    base = slug(text, max_length - len(unique) - 1) or fallback
    if not base[0].isalpha():
        base = (fallback[0] + base)[:max_length - len(unique) - 1]
        base = base.rstrip('-')
    return '%s-%s' % (base, unique)


@functools.lru_cache(maxsize=1024)  # every poll names its namespace
def namespace_name(prefix, project_id):
    """Namespace of one OpenStack project's clusters: <prefix>-<project>.

    Project ids are 32 hex digits, giving e.g. ``magnum-<id>`` as
    magnum-capi-helm does; anything longer or odd is slugged and hashed.
    """
    project = re.sub(r'[^a-z0-9]', '', str(project_id).lower())
    name = '%s-%s' % (slug(prefix, MAX_LABEL) or 'magnum', project)
    if (DNS_LABEL_RE.fullmatch(name) and len(name) <= MAX_LABEL
            and project == str(project_id)):
        return name
    return _named('%s-%s' % (prefix, project), short_hash(str(project_id),
                                                          10),
                  MAX_LABEL, 'magnum')


def release_name(cluster_name, cluster_uuid):
    """Helm release of a cluster: its name's slug and a uuid-based part.

    The driver stores the result in cluster.stack_id at create time, so a
    later rename of the Magnum cluster does not change it.
    """
    unique = re.sub(r'[^a-z0-9]', '', str(cluster_uuid).lower())[:8]
    if len(unique) < 8:
        unique = short_hash(str(cluster_uuid), 8)
    return _named(cluster_name, unique, RELEASE_MAX, 'cluster')


@functools.lru_cache(maxsize=4096)  # every poll names every nodegroup
def node_group_name(name, uuid):
    """Chart name of one nodegroup: slug of its name + hash of its uuid.

    The uuid (immutable, never reused) rather than the name makes a
    nodegroup deleted and re-created with the same name a new
    MachineDeployment, never an adoption of the one still being deleted.
    """
    return _named(name, short_hash(str(uuid)), GROUP_MAX, 'group')


def node_group_names(nodegroups):
    """{nodegroup uuid: chart group name} for the non-master nodegroups."""
    return {ng.uuid: node_group_name(ng.name, ng.uuid)
            for ng in nodegroups if ng.role != 'master'}


def machine_deployment_name(release, group_name):
    """The MachineDeployment the chart renders for a group."""
    return '%s-%s' % (release, group_name)
