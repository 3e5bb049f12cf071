"""A Cluster API controller simulator for the test bed's API server.

Simulator(api_url, speed=..., tick=None) acts as CAPI core, the kubeadm
control plane and bootstrap providers and CAPO would, through the objects'
v1beta1 status; see simulator.Simulator.
"""

from tests.kubeapi.capi.simulator import Simulator

__all__ = ['Simulator']
