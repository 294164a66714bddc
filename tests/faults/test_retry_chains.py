"""One retry chain per target on the real Redis: failed runs do not each start a backoff chain."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from sync_worker.coordination import TargetCoordinator
from tests.conftest import REDIS_URL

pytestmark = [pytest.mark.faults, pytest.mark.redis]


@pytest.fixture
def coordinator() -> Iterator[TargetCoordinator[str]]:
    prefix = f"mb_test_retry_{uuid.uuid4().hex[:10]}:"
    client = redis.Redis.from_url(REDIS_URL)
    yield TargetCoordinator(client, lambda target, trigger, force: "ran", key_prefix=prefix)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_second_failed_run_leaves_the_retry_to_the_chain_already_backing_off(
    coordinator: TargetCoordinator[str],
) -> None:
    assert coordinator.claim_retry("mass", "task-a", hold_seconds=30)
    assert not coordinator.claim_retry("mass", "task-b", hold_seconds=30)
    assert coordinator.claim_retry("mass", "task-a", hold_seconds=30)  # the chain's own next retry
    assert coordinator.claim_retry("personalized", "task-b", hold_seconds=30)  # targets are independent


def test_retry_claim_of_a_lost_chain_frees_itself(coordinator: TargetCoordinator[str]) -> None:
    assert coordinator.claim_retry("mass", "task-a", hold_seconds=0.05)
    time.sleep(0.2)  # the chain's worker died: nobody renews the claim

    assert coordinator.claim_retry("mass", "task-b", hold_seconds=30)
