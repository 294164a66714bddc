"""Reconciliation under any sequence of edits, injected write failures and duplicated, reordered or dropped
events (hypothesis): real SQLite banner database and targets, the real coordinator on the real Redis."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from banner_api import migrate
from banner_common.db import make_engine, make_session_factory
from banner_common.delivery import PriorityOrder
from banner_common.settings import Settings
from banner_common.targets import TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.coordination import TargetCoordinator
from sync_worker.reconcile import Outcome, RunResult, reconcile
from tests.conftest import REDIS_URL
from tests.integration.sync.conftest import Planner

pytestmark = pytest.mark.redis

LONG = os.environ.get("MAILBANNER_LONG") == "1"
EXAMPLES = 500 if LONG else 50
TOKYO = "Asia/Tokyo"
NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)  # noon in Tokyo on 2026-11-22
DAYS = [dt.date(2026, 11, 22) + dt.timedelta(days=i) for i in range(5)]
BANNERS = 4
TARGETS = {"personalized": "top_is_one", "mass": "larger_is_top"}

TARGET_DDL = [
    """CREATE TABLE banners (
        image_url VARCHAR(300) NOT NULL,
        link_url VARCHAR(300) NOT NULL,
        priority INTEGER NOT NULL,
        start_at TIMESTAMP NOT NULL,
        end_at TIMESTAMP NOT NULL)""",
    "CREATE TABLE fail_switch (after_rows INTEGER NOT NULL)",
    # Armed, the next swap fails once the table holds `after_rows` rows: after its DELETE, mid-insert.
    """CREATE TRIGGER injected_write_failure BEFORE INSERT ON banners
       WHEN EXISTS (SELECT 1 FROM fail_switch WHERE (SELECT count(*) FROM banners) >= after_rows)
       BEGIN SELECT RAISE(ABORT, 'injected write failure'); END""",
]

Row = tuple[str, int, dt.date]


@dataclass
class World:
    """One example's banner database, targets, coordinator and the planner's own model of the schedule."""

    planner: Planner
    settings: Settings
    specs: dict[str, TargetSpec]
    engines: dict[str, sa.Engine]
    coordinator: TargetCoordinator[RunResult]
    banner_ids: list[int]
    links: dict[int, str]
    days: dict[tuple[str, dt.date], list[int]] = field(default_factory=dict)
    failures_armed: dict[str, int] = field(default_factory=dict)

    def desired(self, target: str) -> Counter[Row]:
        rows: Counter[Row] = Counter()
        for (name, day), banners in self.days.items():
            if name != target:
                continue
            for rank, banner in enumerate(banners, start=1):
                priority = len(banners) + 1 - rank if TARGETS[target] == "larger_is_top" else rank
                rows[(self.links[banner], priority, day)] += 1
        return rows

    def actual(self, target: str) -> Counter[Row]:
        with self.engines[target].connect() as conn:
            rows = conn.execute(sa.text("SELECT link_url, priority, start_at FROM banners")).all()
        return Counter(
            (link, int(priority), dt.datetime.fromisoformat(str(start)).date())
            for link, priority, start in rows
        )

    def arm_failure(self, target: str, after_rows: int) -> None:
        with self.engines[target].begin() as conn:
            conn.execute(sa.text("DELETE FROM fail_switch"))
            conn.execute(sa.text("INSERT INTO fail_switch VALUES (:n)"), {"n": after_rows})

    def disarm(self, target: str) -> None:
        with self.engines[target].begin() as conn:
            conn.execute(sa.text("DELETE FROM fail_switch"))

    def run(self, target: str, trigger: str, force: bool) -> RunResult:
        """One reconcile run, checked: a swap leaves the desired rows, anything else leaves the old ones."""
        before = self.actual(target)
        desired = self.desired(target)
        result = reconcile(
            self.specs[target],
            banner_sessions=self.planner.sessions,
            target_engine=self.engines[target],
            settings=self.settings,
            trigger=trigger,
            force=force,
            now=NOW,
        )
        after = self.actual(target)
        event(f"run {result.outcome}")
        if result.outcome in (Outcome.SWAPPED, Outcome.IN_SYNC):
            assert after == desired, f"{target} after a {result.outcome} run differs from the schedule"
        else:
            assert after == before, f"{target} changed by a {result.outcome} run ({result.error})"
        if result.outcome == Outcome.FAILED:
            assert "injected write failure" in (result.error or "")
        if result.outcome == Outcome.HELD:
            assert not desired, "only an emptied window is held when the delete share is 1.0"
        return result


@contextmanager
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        banner_path = work / "banner.db"
        shutil.copy(_template(), banner_path)
        settings = Settings(
            database_url=f"sqlite:///{banner_path}",
            redis_url=REDIS_URL,
            timezone=TOKYO,
            swap_max_delete_share=1.0,
        )
        banner_engine = make_engine(settings.database_url)
        planner = Planner(make_session_factory(banner_engine))
        specs: dict[str, TargetSpec] = {}
        engines: dict[str, sa.Engine] = {}
        for name, order in TARGETS.items():
            url = f"sqlite:///{work / name}.db"
            setup = make_engine(url)
            with setup.begin() as conn:
                for statement in TARGET_DDL:
                    conn.exec_driver_sql(statement)
            setup.dispose()
            specs[name] = _spec(name, url, order)
            engines[name] = make_target_engine(specs[name])
            planner.resume(name)
        prefix = f"mb_test_prop_{uuid.uuid4().hex[:10]}:"
        client = redis.Redis.from_url(REDIS_URL)
        ids = [planner.banner(f"b{i}") for i in range(BANNERS)]
        holder: dict[str, World] = {}
        coordinator: TargetCoordinator[RunResult] = TargetCoordinator(
            client,
            lambda target, trigger, force: holder["world"].run(target, trigger, force),
            key_prefix=prefix,
        )
        state = World(
            planner=planner,
            settings=settings,
            specs=specs,
            engines=engines,
            coordinator=coordinator,
            banner_ids=ids,
            links={banner: f"https://shop.test/b{n}" for n, banner in enumerate(ids)},
        )
        holder["world"] = state
        try:
            yield state
        finally:
            for key in client.scan_iter(match=prefix + "*"):
                client.delete(key)
            client.close()
            for engine in engines.values():
                engine.dispose()
            banner_engine.dispose()


def _spec(name: str, url: str, order: str) -> TargetSpec:
    return TargetSpec(
        name=name,
        url=url,
        table="banners",
        priority_order=PriorityOrder(order),
        window_days_back=0,
        window_days_ahead=6,
        chunk_size=2,
    )


_TEMPLATE: list[Path] = []


def _template() -> Path:
    """A migrated SQLite banner database, made once per session and copied for each example."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="mb_prop_")) / "template.db"
        migrate.upgrade(f"sqlite:///{path}")
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


target_names = st.sampled_from(sorted(TARGETS))
edits = st.one_of(
    st.tuples(
        st.just("schedule"),
        target_names,
        st.sampled_from(DAYS),
        st.lists(st.integers(0, BANNERS - 1), unique=True, max_size=BANNERS),
    ),
    st.tuples(st.just("link"), st.integers(0, BANNERS - 1), st.integers(1, 3)),
)
failures = st.tuples(st.just("fail"), target_names, st.integers(0, 4))  # arm a failure after n rows
deliveries = st.tuples(st.just("deliver"), st.integers(0, 50), st.integers(1, 3))  # an event, n times
steps = st.one_of(edits, failures, deliveries, deliveries)


def _apply_edit(state: World, step: tuple[Any, ...]) -> list[tuple[str, float]]:
    """Commit one edit as the API does; returns the events it publishes (target, requested_at)."""
    if step[0] == "schedule":
        _, target, day, banners = step
        ids = [state.banner_ids[i] for i in banners]
        state.planner.schedule(day, *ids, target=target)
        state.days[(target, day)] = ids
        targets = [target]
    else:
        _, banner, version = step
        banner_id = state.banner_ids[banner]
        link = f"https://shop.test/b{banner}/v{version}"
        state.planner.set_link(banner_id, link)
        state.links[banner_id] = link
        targets = sorted(TARGETS)
    # The worker stamps a request once the change is committed (sync_request: coordinator.clock()).
    stamp = state.coordinator.clock()
    return [(target, stamp) for target in targets]


def _deliver(state: World, event: tuple[str, float], copies: int) -> None:
    target, stamp = event
    for _ in range(copies):
        state.coordinator.request(target, "event", requested_at=stamp)


def _injected(state: World, step: tuple[Any, ...]) -> None:
    _, target, after_rows = step
    state.arm_failure(target, after_rows)
    state.failures_armed[target] = after_rows


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(steps, max_size=25), seed=st.integers(0, 2**16))
def test_any_edits_failures_and_event_order_end_with_targets_equal_to_the_schedule(
    script: list[tuple[Any, ...]], seed: int
) -> None:
    rng = random.Random(seed)
    with world() as state:
        undelivered: list[tuple[str, float]] = []
        for step in script:
            if step[0] == "fail":
                _injected(state, step)
            elif step[0] == "deliver":
                if undelivered:
                    # Reordered: any waiting event, not the oldest; the rest may never come (dropped).
                    event = undelivered.pop(step[1] % len(undelivered))
                    _deliver(state, event, step[2])
                    if rng.random() < 0.3:
                        undelivered.append(event)  # and delivered again later (a duplicate)
            else:
                undelivered.extend(_apply_edit(state, step))
        for target in TARGETS:
            state.disarm(target)
        # The beat: one run per target heals whatever events were dropped or runs failed.
        for target in TARGETS:
            (result,) = state.coordinator.request(target, "beat")
            if result.outcome == Outcome.HELD:
                (result,) = state.coordinator.request(target, "manual", force=True)
            assert state.actual(target) == state.desired(target)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=st.lists(edits, min_size=1, max_size=15), order=st.randoms(use_true_random=False))
def test_every_event_delivered_in_any_order_and_multiplicity_suffices_without_a_beat(
    script: list[tuple[Any, ...]], order: random.Random
) -> None:
    with world() as state:
        events: list[tuple[str, float]] = []
        for step in script:
            events.extend(_apply_edit(state, step))
            if order.random() < 0.3 and events:  # some events arrive while edits go on
                _deliver(state, order.choice(events), order.randint(1, 2))
        order.shuffle(events)
        for event in events:
            _deliver(state, event, order.randint(1, 3))
        for target in TARGETS:
            # Only a hold (the schedule emptied the whole window) may leave a target behind here.
            assert state.actual(target) == state.desired(target) or not state.desired(target)
