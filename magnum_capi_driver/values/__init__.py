"""Chart values for a cluster: a pure translation of a ClusterSpec.

Each chart feature (magnum_capi_driver.features) writes the values it
claims; ``render`` merges them in one place. Values are plain JSON-able
data and never hold credentials: the chart reads those from the Secret
named by cloudCredentialsSecretName.
"""

from magnum_capi_driver import features

merge = features.merge


def render(spec):
    """The values file of the cluster's Helm release."""
    return features.load().render(spec)
