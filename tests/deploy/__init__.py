"""Tests of the container images and Kubernetes manifests, by parsing and rendering them (no cluster)."""
