"""Per-target request coalescing and mutual exclusion on Redis: one run at a time, one follow-up per burst."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from redis import exceptions as redis_errors

from banner_common.logging import get_logger

log = get_logger(__name__)

R = TypeVar("R")

DEFAULT_TRIGGER_PRECEDENCE = ("manual", "event", "beat")

# Compare-and-delete / compare-and-extend: only the holder whose token is stored may touch the lock,
# so a holder whose lock expired (and was taken by another) can never release or extend the new one.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
# Claim (or keep) the one retry chain of a target: free, or already this chain's, then (re)set with a TTL.
_CLAIM_RETRY = """
local holder = redis.call('get', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_FORCE_FIELD = "force"
_TRIGGER_FIELD_PREFIX = "trigger:"


@dataclass(frozen=True)
class PendingRun:
    """What the requests merged into one dirty mark ask for."""

    trigger: str
    force: bool


class TargetCoordinator(Generic[R]):
    """Runs `run(target, trigger, force)` for requested targets, never twice at once for one target.

    A request marks the target dirty, then tries to take the target's lock. The holder loops
    "take the dirty mark, run" until no mark is left, so any number of requests arriving during a run
    cost exactly one follow-up run. A request finding the lock held only leaves its mark. Requests
    for different targets use different keys and never wait on each other.
    """

    def __init__(
        self,
        redis: Any,
        run: Callable[[str, str, bool], R],
        *,
        key_prefix: str = "mailbanner:sync:",
        lock_ttl_seconds: float = 60.0,
        refresh_every_seconds: float | None = None,
        trigger_precedence: Sequence[str] = DEFAULT_TRIGGER_PRECEDENCE,
    ) -> None:
        if lock_ttl_seconds <= 0:
            raise ValueError("lock_ttl_seconds must be positive")
        self._redis = redis
        self._run = run
        self._prefix = key_prefix
        self._lock_ttl_ms = int(lock_ttl_seconds * 1000)
        self._refresh_every = refresh_every_seconds or lock_ttl_seconds / 10
        self._precedence = tuple(trigger_precedence)
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)
        self._claim_retry = redis.register_script(_CLAIM_RETRY)

    def lock_key(self, target: str) -> str:
        return f"{self._prefix}{target}:lock"

    def pending_key(self, target: str) -> str:
        return f"{self._prefix}{target}:pending"

    def started_key(self, target: str) -> str:
        return f"{self._prefix}{target}:started"

    def retry_key(self, target: str) -> str:
        return f"{self._prefix}{target}:retry"

    def claim_retry(self, target: str, chain: str, hold_seconds: float) -> bool:
        """Make `chain` (a task id, kept across its retries) the one retry chain of `target` for
        `hold_seconds`; False when another chain holds the claim.

        Without it every failed reconcile (one per beat period during an outage) started a backoff
        chain of its own, so the attempts per target grew with the outage instead of backing off.
        """
        hold_ms = max(1, int(hold_seconds * 1000))
        return bool(self._claim_retry(keys=[self.retry_key(target)], args=[chain, hold_ms]))

    def clock(self) -> float:
        """Redis' own clock, so stamps taken by workers on different hosts compare safely."""
        seconds, microseconds = self._redis.time()
        return float(seconds) + float(microseconds) / 1_000_000

    def covered(self, target: str, requested_at: float) -> bool:
        """Whether a run of `target` began (and so read the schedule) after `requested_at`."""
        started = self._redis.get(self.started_key(target))
        return started is not None and float(started) > requested_at

    def request(
        self, target: str, trigger: str, force: bool = False, requested_at: float | None = None
    ) -> list[R]:
        """Ask for a run of `target`; returns the results of the runs this call made (empty if the
        current holder of the target's lock will do the run instead, or if a run that started after
        `requested_at` already covers the request)."""
        if requested_at is not None and not force and self.covered(target, requested_at):
            # The change behind this request was committed before requested_at, so that run saw it:
            # a queued burst of events then costs one run, not one per event.
            log.debug("sync_request_already_covered", target=target, trigger=trigger)
            return []
        self.mark(target, trigger, force)
        results: list[R] = []
        while True:
            token = self.try_acquire(target)
            if token is None:
                log.debug("sync_request_coalesced", target=target, trigger=trigger, force=force)
                return results
            try:
                with self._keeping_lock(target, token):
                    while (pending := self.take_pending(target)) is not None:
                        self._redis.set(self.started_key(target), repr(self.clock()))
                        results.append(self._run(target, pending.trigger, pending.force))
            finally:
                self.release(target, token)
            # A request may have marked the target after the last take but before the release and
            # found the lock still held: look once more, or its change would wait for the next beat.
            if not self.has_pending(target):
                return results

    def mark(self, target: str, trigger: str, force: bool = False) -> None:
        mapping = {_TRIGGER_FIELD_PREFIX + trigger: "1"}
        if force:
            # Never written back to "0": a forced request merged with plain ones stays forced.
            mapping[_FORCE_FIELD] = "1"
        self._redis.hset(self.pending_key(target), mapping=mapping)

    def has_pending(self, target: str) -> bool:
        return bool(self._redis.exists(self.pending_key(target)))

    def take_pending(self, target: str) -> PendingRun | None:
        """Read and clear the dirty mark atomically (MULTI/EXEC), so no request is half taken."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.pending_key(target))
            pipe.delete(self.pending_key(target))
            fields, _ = pipe.execute()
        if not fields:
            return None
        names = {_decode(name) for name in fields}
        triggers = {n[len(_TRIGGER_FIELD_PREFIX) :] for n in names if n.startswith(_TRIGGER_FIELD_PREFIX)}
        return PendingRun(trigger=self._merged_trigger(triggers), force=_FORCE_FIELD in names)

    def try_acquire(self, target: str) -> str | None:
        """Take the target's lock if free; returns the token proving ownership."""
        token = uuid.uuid4().hex
        if self._redis.set(self.lock_key(target), token, nx=True, px=self._lock_ttl_ms):
            return token
        return None

    def release(self, target: str, token: str) -> bool:
        try:
            released = bool(self._release(keys=[self.lock_key(target)], args=[token]))
        except (redis_errors.ConnectionError, redis_errors.TimeoutError) as exc:
            # Redis went away during the run: the lock expires by its TTL (or went with Redis). Raising
            # here would turn a finished run into a task error and hide its result.
            log.warning("sync_lock_release_failed", target=target, error=str(exc))
            return False
        if not released:
            log.warning("sync_lock_lost_before_release", target=target)
        return released

    def extend(self, target: str, token: str) -> bool:
        return bool(self._extend(keys=[self.lock_key(target)], args=[token, self._lock_ttl_ms]))

    def _merged_trigger(self, triggers: set[str]) -> str:
        for trigger in self._precedence:
            if trigger in triggers:
                return trigger
        return min(triggers) if triggers else self._precedence[-1]

    @contextmanager
    def _keeping_lock(self, target: str, token: str) -> Iterator[None]:
        """Extend the lock periodically while the holder works, so a long run never loses it."""
        stop = threading.Event()

        def keep() -> None:
            while not stop.wait(self._refresh_every):
                try:
                    if not self.extend(target, token):
                        log.warning("sync_lock_lost_while_running", target=target)
                        return
                except Exception as exc:  # Redis briefly unreachable: the TTL leaves room to try again
                    log.warning("sync_lock_refresh_failed", target=target, error=str(exc))

        keeper = threading.Thread(target=keep, name=f"sync-lock-{target}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()


def _decode(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
