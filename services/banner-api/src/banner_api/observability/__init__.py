"""Prometheus metrics of the API: request metrics, publish counters, sync state and KPIs at scrape time."""
