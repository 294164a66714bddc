"""Mailbanner scheduler beat."""
