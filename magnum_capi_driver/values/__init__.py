"""Chart values for a cluster: a pure translation of a ClusterSpec.

Each module of this package renders the values of one feature area of the
openstack-cluster chart; ``render`` merges them in one place. Values are
plain JSON-able data and never hold credentials: the chart reads those from
the Secret named by cloudCredentialsSecretName.
"""

from magnum_capi_driver.values import addons
from magnum_capi_driver.values import api_server
from magnum_capi_driver.values import cluster
from magnum_capi_driver.values import control_plane
from magnum_capi_driver.values import networking
from magnum_capi_driver.values import node_groups
from magnum_capi_driver.values import storage

FRAGMENTS = (cluster.values, control_plane.values, node_groups.values,
             networking.values, api_server.values, storage.values,
             addons.values)


def merge(base, fragment, path=''):
    """Deep-merge ``fragment`` into ``base``; two modules may not disagree.

    A conflict is a bug in this package, so it fails loudly instead of
    letting one feature silently override another.
    """
    for key, value in fragment.items():
        where = '%s.%s' % (path, key) if path else key
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value, where)
        elif key in base and base[key] != value:
            raise ValueError('chart value %s set twice: %r and %r'
                             % (where, base[key], value))
        else:
            base[key] = value
    return base


def render(spec):
    """The values file of the cluster's Helm release."""
    result = {}
    for fragment in FRAGMENTS:
        merge(result, fragment(spec))
    return result
