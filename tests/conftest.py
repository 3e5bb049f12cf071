"""Shared pytest fixtures: each concern lives in its own tests/fixtures module."""

pytest_plugins = [
    'tests.fixtures.tools',
    'tests.fixtures.kube',
    'tests.fixtures.keystone',
    'tests.fixtures.magnum',
    'tests.fixtures.cloud',
]
