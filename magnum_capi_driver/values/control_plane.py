"""The control plane: flavor, count, root volume, zone and health checks."""

from magnum_capi_driver.values import volumes


def values(spec):
    plane = spec.control_plane
    result = {
        'machineFlavor': plane.flavor.name,
        'machineCount': plane.count,
        'healthCheck': {'enabled': spec.auto_healing},
    }
    result.update(volumes.root_volume(plane.root_volume))
    if plane.availability_zone:
        result['omitFailureDomain'] = False
        result['failureDomains'] = [plane.availability_zone]
    return {'controlPlane': result}
