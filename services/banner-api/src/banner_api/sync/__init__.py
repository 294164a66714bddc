"""Sync resource."""
