"""The networking feature: nameservers are applied or refused, not dropped."""

import json
import subprocess

import pytest
import yaml

from magnum_capi_driver import exceptions
from magnum_capi_driver import values
from tests.fixtures import cloud as fake
from tests.unit import test_spec
from tests.unit import test_values

SUBNET = fake.SUBNETS[0]  # has nameserver 8.8.8.8

DNS = [
    # (id, changes, internalNetwork values, or the words of the refusal)
    ('managed subnet gets them', {'template.dns_nameserver': '1.1.1.1'},
     {'nodeCidr': '10.0.0.0/24', 'dnsNameservers': ['1.1.1.1']}),
    ('no nameservers', {'template.dns_nameserver': None},
     {'nodeCidr': '10.0.0.0/24'}),
    ('fixed network without nameservers',
     {'template.dns_nameserver': '', 'cluster.fixed_network': 'private'},
     {'networkFilter': {'id': fake.NETWORKS[1]['id']}}),
    ('fixed subnet that already has them',
     {'template.dns_nameserver': '8.8.8.8',
      'cluster.fixed_subnet': 'private-subnet'},
     {'networkFilter': {'id': fake.NETWORKS[1]['id']},
      'subnetFilter': {'id': SUBNET['id']}}),
    ('fixed subnet with other nameservers',
     {'template.dns_nameserver': '1.1.1.1',
      'cluster.fixed_subnet': 'private-subnet'},
     ['dns_nameserver of the cluster template', "'1.1.1.1'",
      'exactly those of the fixed subnet (8.8.8.8)']),
    ('fixed network without a subnet',
     {'template.dns_nameserver': '8.8.8.8',
      'cluster.fixed_network': 'private'},
     ['dns_nameserver', "'8.8.8.8'", 'no fixed_subnet given']),
    ('one more than the subnet has',
     {'template.dns_nameserver': '8.8.8.8,1.1.1.1',
      'template.fixed_subnet': 'private-subnet'},
     ['dns_nameserver', 'exactly those of the fixed subnet']),
]


@pytest.mark.parametrize('changes,expected', [c[1:] for c in DNS],
                         ids=[c[0] for c in DNS])
def test_nameservers(changes, expected):
    if isinstance(expected, list):
        with pytest.raises(exceptions.InvalidClusterInput) as info:
            test_spec.build(**changes)
        for word in expected:
            assert word in str(info.value)
        return
    result = values.render(test_spec.build(**changes))['clusterNetworking']
    assert result['internalNetwork'] == expected
    # The deprecated top-level key is never written.
    assert 'dnsNameservers' not in result


def test_chart_puts_them_on_the_managed_subnet(tools_bin, tmp_path):
    spec = test_spec.build(**{'template.dns_nameserver': '1.1.1.1,9.9.9.9'})
    path = tmp_path / 'values.json'
    path.write_text(json.dumps(values.render(spec)))
    out = subprocess.run(
        [str(tools_bin / 'helm4'), 'template', spec.release,
         str(test_values.CHART), '--namespace', 'ns', '-f', str(path)],
        check=True, capture_output=True, text=True).stdout
    [cluster] = [o for o in yaml.safe_load_all(out)
                 if o and o['kind'] == 'OpenStackCluster']
    assert cluster['spec']['managedSubnets'] == [
        {'cidr': '10.0.0.0/24', 'dnsNameservers': ['1.1.1.1', '9.9.9.9']}]
