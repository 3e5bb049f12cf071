"""The Kubernetes API endpoint: load balancer, floating IP, allowed CIDRs."""


def values(spec):
    api = spec.api_server
    result = {
        'enableLoadBalancer': api.load_balancer,
        'associateFloatingIP': api.floating_ip,
        'loadBalancerProvider': api.provider,
    }
    if api.allowed_cidrs:
        result['allowedCIDRs'] = list(api.allowed_cidrs)
    if api.port:
        result['port'] = api.port
    return {'apiServer': result}
