"""Fixtures for driver tests on the full stack (see tests.functional.stack)."""

import pytest

from tests.functional import stack as full_stack


@pytest.fixture
def stack(magnum_db, magnum_conf, keystone, helm_binary):
    with full_stack.running(magnum_conf, keystone, helm_binary,
                            speed=20000) as running:
        yield running
