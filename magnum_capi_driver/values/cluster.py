"""Cluster-wide values: version, image, OS, SSH key and credentials."""


def values(spec):
    result = {
        'kubernetesVersion': spec.kubernetes_version,
        'machineImageId': spec.image_id,
        'osDistro': spec.os_distro,
        'cloudCredentialsSecretName': spec.credentials_secret,
    }
    if spec.keypair:
        result['machineSSHKeyName'] = spec.keypair
    return result
