"""Celery task and queue names: the message contract between the API, the beat and the worker."""

SYNC_REQUEST = "mailbanner.sync.request"
"""kwargs: {"event": ScheduleChanged.to_message()}. Asks for a swap of the named targets soon (coalesced)."""

SYNC_RECONCILE = "mailbanner.sync.reconcile"
"""kwargs: {"target", "trigger": "event" | "beat" | "manual", "force": bool, "requested_at": float | None}.

Reconciles one target; an event-triggered request already covered by a later run is skipped."""

SYNC_RECONCILE_ALL = "mailbanner.sync.reconcile_all"
"""No kwargs. Sent by the beat: asks for a reconcile of every enabled target."""

SYNC_QUEUE = "mailbanner.sync"
