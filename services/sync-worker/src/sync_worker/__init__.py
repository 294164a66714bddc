"""Mailbanner sync worker."""
