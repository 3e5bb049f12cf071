"""The feature loader: entry points, conflicts, ownership of values.

The out-of-tree example (examples/site-feature) is installed the way pip
lays out a package: its module and a dist-info with entry_points.txt in a
directory on sys.path. stevedore then finds it through the entry point
namespace like any installed plug-in.
"""

import pathlib
import shutil
import sys
import tomllib

import pytest

from magnum_capi_driver import features
from magnum_capi_driver import labels
from magnum_capi_driver import values
from tests.unit import test_spec

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / 'examples' / \
    'site-feature'


def install(source, target, name=None, entry_points=None):
    """Lay out a package like pip does: the module and its dist-info."""
    project = tomllib.loads((source / 'pyproject.toml').read_text())[
        'project']
    name = name or project['name']
    points = entry_points or project['entry-points']
    for module in source.iterdir():
        if module.is_dir() and (module / '__init__.py').exists():
            shutil.copytree(module, target / module.name)
    info = target / ('%s-%s.dist-info'
                     % (name.replace('-', '_'), project['version']))
    info.mkdir()
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: %s\nVersion: %s\n'
        % (name, project['version']))
    lines = []
    for group, entries in points.items():
        lines.append('[%s]' % group)
        lines += ['%s = %s' % item for item in entries.items()]
    (info / 'entry_points.txt').write_text('\n'.join(lines) + '\n')


@pytest.fixture
def site_path(tmp_path, monkeypatch):
    """A site-packages-like directory on sys.path for this test only.

    The process-wide feature set is reloaded on first use inside the test
    and again after it, so later tests see only the driver's features.
    """
    monkeypatch.syspath_prepend(str(tmp_path))
    features.load.cache_clear()
    yield tmp_path
    features.load.cache_clear()
    for module in [m for m in sys.modules
                   if m.startswith('magnum_site_mirror')]:
        del sys.modules[module]


def test_installed_features_load_and_declare_every_label():
    registry = features.from_entry_points()
    names = [name for name, _ in registry.features]
    assert {'kubernetes', 'networking', 'autoscaling', 'api_server',
            'addons'} <= set(names)
    assert set(registry.by_name) == set(labels.by_name())


def test_site_feature_loads_through_its_entry_point(site_path):
    install(EXAMPLE, site_path)
    registry = features.from_entry_points()
    found = dict(registry.features)
    assert type(found['registry_mirror']).__module__ == 'magnum_site_mirror'
    assert 'registry_mirror_url' in registry.by_name
    # The schema (docs table, site-default checks) reads the same set.
    assert 'registry_mirror_url' in labels.by_name()


def test_site_feature_renders_its_values(site_path):
    install(EXAMPLE, site_path)
    spec = test_spec.build(**{'cluster.labels': {
        'registry_mirror_url': 'https://mirror.example/v2/docker.io'}})
    assert values.render(spec)['registryMirrors'] == {
        'docker.io': ['https://mirror.example/v2/docker.io']}
    assert '``registry_mirror_url``' in labels.rst_table()
    conf = type('Conf', (), {'capi_driver': type(
        'Opts', (), {'default_labels': {'registry_mirror_url':
                                        'https://m.example'}}),
        'cinder': None})
    assert labels.site_defaults(conf) == {
        'registry_mirror_url': 'https://m.example'}
    with pytest.raises(Exception) as info:
        test_spec.build(**{'cluster.labels': {
            'registry_mirror_url': 'ftp://mirror'}})
    assert 'registry_mirror_url' in str(info.value)


def test_site_feature_writing_a_core_value_is_refused_at_load(site_path):
    install(EXAMPLE, site_path, name='bad-site', entry_points={
        'magnum_capi_driver.features': {
            'bad_port': 'magnum_site_mirror:RegistryMirror'}})
    (site_path / 'magnum_site_mirror' / '__init__.py').write_text(
        (EXAMPLE / 'magnum_site_mirror' / '__init__.py').read_text()
        .replace("(('registryMirrors', 'docker.io'),)", "('apiServer.port',)")
        .replace("part = 'registry_mirror'", "part = 'bad'")
        .replace("'registry_mirror_url'", "'bad_port_url'"))
    with pytest.raises(features.FeatureConflict) as info:
        features.from_entry_points()
    assert 'api_server' in str(info.value) and 'bad_port' in str(info.value)
    assert 'apiServer' in str(info.value)


class _Writes(features.Feature):
    def __init__(self, owns, written=None, labels_=(), part=None):
        self.owns, self._written = owns, written or {}
        self.labels, self.part = labels_, part

    def values(self, spec):
        return self._written


LABEL = labels.Label('x', labels.BOOL, False, 'x')

CONFLICTS = [
    # (id, features, words in the error)
    ('same path', [('a', _Writes(('apiServer.port',))),
                   ('b', _Writes(('apiServer.port',)))],
     ['a', 'b', 'apiServer.port']),
    ('path under another', [('a', _Writes(('apiServer',))),
                            ('b', _Writes(('apiServer.port',)))],
     ['a', 'b', 'apiServer']),
    ('group path', [('a', _Writes(('nodeGroups[].autoscale',))),
                    ('b', _Writes(('nodeGroups[]',)))],
     ['nodeGroups[]']),
    ('same label', [('a', _Writes((), labels_=(LABEL,))),
                    ('b', _Writes((), labels_=(LABEL,)))],
     ['a', 'b', 'label x']),
    ('same part', [('a', _Writes((), part='p')), ('b', _Writes((), part='p'))],
     ['a', 'b', "'p'"]),
    ('label in a family', [
        ('a', _Writes((), labels_=(labels.Label('fam:x', labels.BOOL, False,
                                                'x'),))),
        ('b', _Writes((), labels_=(labels.LabelFamily(
            'fam:', 'any', lambda f, k, v: v, 'family'),)))],
     ['fam:x', 'fam:']),
]


@pytest.mark.parametrize('named,words', [c[1:] for c in CONFLICTS],
                         ids=[c[0] for c in CONFLICTS])
def test_conflicts_are_refused_at_load(named, words):
    with pytest.raises(features.FeatureConflict) as info:
        features.Registry(named)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize('a,b', [('apiServer.port', 'apiServer.portal'),
                                 ('addons.cni', 'addons.openstack'),
                                 (('registryMirrors', 'docker.io'),
                                  'registryMirrors.docker')])
def test_disjoint_paths_do_not_conflict(a, b):
    features.Registry([('a', _Writes((a,))), ('b', _Writes((b,)))])


def test_a_feature_may_write_only_what_it_claims():
    registry = features.Registry([('a', _Writes(
        ('apiServer.port',), {'apiServer': {'port': 1, 'host': 'x'}}))])
    with pytest.raises(features.FeatureConflict) as info:
        registry.render(test_spec.build())
    assert 'apiServer.host' in str(info.value)
