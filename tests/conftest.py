"""Shared pytest fixtures: one tests/fixtures module per concern."""

pytest_plugins = [
    'tests.fixtures.tools',
    'tests.fixtures.kube',
    'tests.fixtures.keystone',
    'tests.fixtures.magnum',
    'tests.fixtures.conductors',
    'tests.fixtures.openstack_api',
]
