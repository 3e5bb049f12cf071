"""Add-ons: CNI, service load balancers, monitoring, Keystone auth."""


def values(spec):
    octavia = spec.octavia
    result = {'addons': {
        'cni': {'type': spec.addons.cni},
        'monitoring': {'enabled': spec.addons.monitoring},
        # Ingress load balancers would outlive the cluster: not offered.
        'ingress': {'enabled': False},
        'openstack': {'cloudConfig': {'LoadBalancer': {
            'lb-provider': octavia.provider,
            'lb-method': octavia.algorithm,
            'create-monitor': octavia.health_monitor,
        }}},
    }}
    if spec.addons.keystone_auth:
        result['authWebhook'] = 'k8s-keystone-auth'
        result['addons']['openstack']['k8sKeystoneAuth'] = {
            'enabled': True,
            'values': {'openstackAuthUrl': spec.identity_url,
                       'projectId': spec.project_id}}
    return result
