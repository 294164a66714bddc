"""Metrics, KPIs, annotations and alert rules against real databases, Redis and worker."""
