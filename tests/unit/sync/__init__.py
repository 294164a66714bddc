"""Sync worker unit tests."""
