"""The driver as Magnum finds it: through its entry point and provides."""

import pytest

from magnum.common import exception
from magnum.drivers.common import driver as magnum_driver

from magnum_capi_driver import driver


@pytest.fixture
def drivers(magnum_conf):
    magnum_driver.Driver.definitions = None
    yield magnum_driver.Driver
    magnum_driver.Driver.definitions = None


@pytest.mark.parametrize('distro', ['ubuntu', 'flatcar'])
def test_found_by_template_type_and_by_name(drivers, distro):
    found = drivers.get_drivers()[('vm', distro, 'kubernetes')]
    assert found['entry_point_name'] == 'k8s_capi_driver'
    assert isinstance(drivers.get_driver('vm', distro, 'kubernetes'),
                      driver.Driver)
    assert isinstance(drivers.get_driver('vm', distro, 'kubernetes',
                                         'k8s_capi_driver'), driver.Driver)


def test_other_distros_are_not_claimed(drivers):
    with pytest.raises(exception.ClusterTypeNotSupported):
        drivers.get_driver('vm', 'fedora-coreos', 'kubernetes')


def test_needs_no_trust():
    assert driver.Driver.needs_trust is False


@pytest.mark.parametrize('count, ok', [(1, True), (3, True), (5, True),
                                       (0, False), (2, False), (4, False)])
def test_master_sizes(count, ok):
    check = driver.Driver().validate_master_size
    if ok:
        check(count)
    else:
        with pytest.raises(exception.MagnumException):
            check(count)


@pytest.mark.parametrize('method', ['create_federation', 'update_federation',
                                    'delete_federation'])
def test_federation_is_not_implemented(method):
    with pytest.raises(NotImplementedError):
        getattr(driver.Driver(), method)(None, None)
