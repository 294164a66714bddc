"""RedBeat scheduler that survives a Redis restart instead of letting the beat process die."""

from __future__ import annotations

from typing import Any

import redis
from redbeat.schedulers import RedBeatScheduler

from banner_common.logging import get_logger

log = get_logger(__name__)

_REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class ResilientRedBeatScheduler(RedBeatScheduler):  # type: ignore[misc]
    """RedBeat, plus recovery from losing Redis.

    Redis keeps nothing across a restart here (no persistence), so both the beat lock and the stored
    schedule vanish with it. Plain RedBeat then fails to extend its lock and the beat exits; this one
    takes the lock again (or waits for it, like a standby replica) and stores the schedule again.
    """

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            return float(super().tick(*args, **kwargs))
        except redis.exceptions.LockError:  # not owned any more, or never re-taken after a failed try
            log.warning("beat_lock_lost", lock=self.lock_key)
            try:
                self._recover()
            except _REDIS_DOWN as exc:
                # Redis went away again while the lock was being re-taken: the next tick tries again.
                return self._wait_for_redis(exc)
            return 0.0
        except _REDIS_DOWN as exc:
            return self._wait_for_redis(exc)

    def _wait_for_redis(self, exc: Exception) -> float:
        log.warning("beat_redis_unavailable", error=str(exc))
        return float(self.max_interval)

    def _recover(self) -> None:
        if self.lock is not None:
            # Blocks like start-up does: if another replica took over meanwhile, this one waits as standby.
            self.lock.acquire()
            log.info("beat_lock_reacquired", lock=self.lock_key)
        self.setup_schedule()
