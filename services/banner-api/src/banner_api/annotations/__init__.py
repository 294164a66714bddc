"""Annotations: notable events on a timeline, added by people or derived from what the system recorded."""
