"""Celery task and queue names: the message contract between the API, the beat and the worker."""

SYNC_REQUEST = "mailbanner.sync.request"
"""kwargs: a ScheduleChanged message. Asks for a swap of the named targets soon (coalesced)."""

SYNC_RECONCILE = "mailbanner.sync.reconcile"
"""kwargs: {"target": name, "trigger": "beat" | "manual", "force": bool}. Reconciles one target."""

SYNC_RECONCILE_ALL = "mailbanner.sync.reconcile_all"
"""No kwargs. Sent by the beat: asks for a reconcile of every enabled target."""

SYNC_QUEUE = "mailbanner.sync"
