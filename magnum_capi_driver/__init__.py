"""Magnum driver that runs Kubernetes clusters through Cluster API and Helm."""
