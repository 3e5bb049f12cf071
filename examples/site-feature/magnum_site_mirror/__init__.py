"""An example site feature: pull images through the site's registry mirror.

Installed next to magnum-capi-driver, it adds the label
``registry_mirror_url`` (site default in ``[capi_driver] default_labels``,
overridable per template or cluster) and writes the chart's
``registryMirrors`` for docker.io.
"""

import dataclasses
import urllib.parse

from magnum_capi_driver import features
from magnum_capi_driver import labels


def _url(field, value):
    text = str(value).strip()
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme != 'https' or not parsed.hostname:
        raise labels.invalid(field, value, 'an https:// URL of a registry')
    return text


@dataclasses.dataclass(frozen=True)
class Mirror:
    url: str = None


class RegistryMirror(features.Feature):
    labels = (
        labels.Label('registry_mirror_url',
                     labels.Kind('an https:// URL of a registry', _url),
                     None, 'Registry mirror for docker.io images.'),
    )
    owns = (('registryMirrors', 'docker.io'),)
    part = 'registry_mirror'

    def cluster_spec(self, ctx):
        return Mirror(url=ctx.labels['registry_mirror_url'])

    def values(self, spec):
        if not spec.registry_mirror.url:
            return {}
        return {'registryMirrors': {'docker.io': [spec.registry_mirror.url]}}
