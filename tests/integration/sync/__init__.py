"""Sync worker integration tests against real target databases."""
