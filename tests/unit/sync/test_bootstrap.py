"""The worker's composition root: engines are built without connecting, one per database server URL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from banner_common.settings import Settings
from banner_common.targets import TargetSpec
from sync_worker.bootstrap import build_runtime

BASE = TargetSpec(name="a", url="postgresql+psycopg://u:${PW}@db.invalid:5432/mail", table="T", schema="s1")


def test_targets_on_one_database_share_an_engine_and_others_get_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PW", "secret")
    specs = {
        "a": BASE,
        "b": replace(BASE, name="b", schema="s2"),
        "c": replace(BASE, name="c", url="postgresql+psycopg://u:${PW}@other.invalid:5432/mail"),
    }
    runtime = build_runtime(Settings(database_url="sqlite://"), specs)

    engines = runtime.target_engines
    assert engines["a"] is engines["b"]
    assert engines["c"] is not engines["a"]
    assert engines["a"].url.password == "secret"
    runtime.dispose()
