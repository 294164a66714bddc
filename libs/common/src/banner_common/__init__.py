"""Mailbanner shared contracts: settings, models, delivery rows, events and logging."""
