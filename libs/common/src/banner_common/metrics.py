"""Names of every Prometheus metric Mailbanner exports, shared by the services, dashboards and tests.

Only names live here (no prometheus_client import): which process exports each family is in
docs/operations.md. A family name is what the exposition shows without the _total/_bucket suffixes.
"""

from __future__ import annotations

# API process (multi-process safe under gunicorn).
HTTP_REQUESTS = "mailbanner_http_requests"  # counter {method, route, status}
HTTP_REQUEST_DURATION = "mailbanner_http_request_duration_seconds"  # histogram {method, route}
EVENTS_PUBLISHED = "mailbanner_events_published"  # counter
EVENTS_PUBLISH_FAILED = "mailbanner_events_publish_failed"  # counter
READ_CACHE_LOOKUPS = "mailbanner_api_read_cache_lookups"  # counter {result}: hit or miss

# API process, read from the banner database at scrape time (every API replica answers the same).
BANNER_DB_UP = "mailbanner_banner_db_up"  # gauge: 1 when the database answered the scrape
SYNC_LAG = "mailbanner_sync_lag_seconds"  # gauge {target}: age of the oldest unapplied change
SYNC_PENDING_CHANGES = "mailbanner_sync_pending_changes"  # gauge {target}
SYNC_SECONDS_SINCE_SUCCESS = "mailbanner_sync_seconds_since_success"  # gauge {target}; +Inf: never
SYNC_CONSECUTIVE_FAILURES = "mailbanner_sync_consecutive_failures"  # gauge {target}
SYNC_HELD = "mailbanner_sync_held"  # gauge {target}: 1 while a swap waits for an operator
SYNC_PAUSED = "mailbanner_sync_paused"  # gauge {target}
KPI_BANNERS_LIVE_TODAY = "mailbanner_kpi_banners_live_today"  # gauge {target}
KPI_COVERAGE_GAP_DAYS = "mailbanner_kpi_coverage_gap_days"  # gauge {target}: next 14 days with none
KPI_COVERAGE_GAP_TOMORROW = "mailbanner_kpi_coverage_gap_tomorrow"  # gauge {target}: 1 when empty
KPI_THIN_DAYS = "mailbanner_kpi_thin_days"  # gauge {target}: next 14 days with fewer than usual
KPI_BANNERS_ENDING_SOON = "mailbanner_kpi_banners_ending_soon"  # gauge: last day within 7 days
KPI_SCHEDULE_CHANGES_TODAY = "mailbanner_kpi_schedule_changes_today"  # gauge
KPI_ACTIVE_PLANNERS_WEEK = "mailbanner_kpi_active_planners_week"  # gauge
KPI_BANNERS = "mailbanner_kpi_banners"  # gauge {source}: registered or imported, not archived

# Sync worker (multi-process safe across the prefork children).
SYNC_RUNS = "mailbanner_sync_runs"  # counter {target, outcome}
SYNC_RUN_DURATION = "mailbanner_sync_run_duration_seconds"  # histogram {target, outcome}
SYNC_ROWS_DELETED = "mailbanner_sync_rows_deleted"  # counter {target}
SYNC_ROWS_INSERTED = "mailbanner_sync_rows_inserted"  # counter {target}
SYNC_CHANGE_APPLIED_LATENCY = "mailbanner_sync_change_applied_latency_seconds"  # histogram {target}
SYNC_QUEUE_LENGTH = "mailbanner_sync_queue_length"  # gauge {queue}: messages waiting in the broker

# Beat.
BEAT_TASKS_SENT = "mailbanner_beat_tasks_sent"  # counter {task}
BEAT_LAST_SENT = "mailbanner_beat_last_sent_timestamp_seconds"  # gauge: Unix time of the last send

API_FAMILIES = frozenset(
    {
        HTTP_REQUESTS,
        HTTP_REQUEST_DURATION,
        EVENTS_PUBLISHED,
        EVENTS_PUBLISH_FAILED,
        READ_CACHE_LOOKUPS,
        BANNER_DB_UP,
        SYNC_LAG,
        SYNC_PENDING_CHANGES,
        SYNC_SECONDS_SINCE_SUCCESS,
        SYNC_CONSECUTIVE_FAILURES,
        SYNC_HELD,
        SYNC_PAUSED,
        KPI_BANNERS_LIVE_TODAY,
        KPI_COVERAGE_GAP_DAYS,
        KPI_COVERAGE_GAP_TOMORROW,
        KPI_THIN_DAYS,
        KPI_BANNERS_ENDING_SOON,
        KPI_SCHEDULE_CHANGES_TODAY,
        KPI_ACTIVE_PLANNERS_WEEK,
        KPI_BANNERS,
    }
)
WORKER_FAMILIES = frozenset(
    {
        SYNC_RUNS,
        SYNC_RUN_DURATION,
        SYNC_ROWS_DELETED,
        SYNC_ROWS_INSERTED,
        SYNC_CHANGE_APPLIED_LATENCY,
        SYNC_QUEUE_LENGTH,
    }
)
BEAT_FAMILIES = frozenset({BEAT_TASKS_SENT, BEAT_LAST_SENT})
ALL_FAMILIES = API_FAMILIES | WORKER_FAMILIES | BEAT_FAMILIES

# Seconds; change-to-applied spans the event path (seconds) and the beat's healing (a minute or more).
LATENCY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
SWAP_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
