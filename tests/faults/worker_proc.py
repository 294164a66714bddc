"""`python -m tests.faults.worker_proc`: the real sync worker, WorkerOptions from MB_FAULTS_* variables.

`mailbanner worker` always runs with the default WorkerOptions (10-minute limits, 15-minute lock TTL),
which no fault test can wait for; this entry point is the same worker with short limits.
"""

from __future__ import annotations

import json
import os

from banner_common.logging import configure_logging
from banner_common.settings import Settings
from sync_worker.celery_app import WorkerOptions, make_celery
from sync_worker.celery_cli import worker_argv

OPTIONS_VARIABLE = "MB_FAULTS_WORKER_OPTIONS"
# Simulates a broker misconfigured (or a task stalled) past the visibility timeout: set after
# validate(), which would refuse it.
VISIBILITY_OVERRIDE_VARIABLE = "MB_FAULTS_FORCED_VISIBILITY_TIMEOUT"


def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_json)
    options = WorkerOptions(**json.loads(os.environ.get(OPTIONS_VARIABLE, "{}")))
    app = make_celery(settings, options=options)
    forced = os.environ.get(VISIBILITY_OVERRIDE_VARIABLE)
    if forced:
        # kombu scans for messages past their visibility timeout every 10th tick of 10 s: scan every
        # tick of a fraction of the timeout, so the redelivery happens while the test watches.
        app.conf.broker_transport_options = {
            **app.conf.broker_transport_options,
            "visibility_timeout": float(forced),
            "unacked_restore_interval": float(forced) / 3,
            "unacked_restore_throttle": 1,
        }
    concurrency = int(os.environ.get("MB_FAULTS_CONCURRENCY", "2"))
    app.worker_main(worker_argv(concurrency, settings.log_level, os.environ.get("MB_FAULTS_HOSTNAME")))


if __name__ == "__main__":
    main()
