"""Window comparison as multisets and the delete guard."""

from __future__ import annotations

import datetime as dt

from sync_worker.diff import SAMPLE_SIZE, WindowDiff, hold_reason
from sync_worker.target_table import RowKey


def key(name: str, priority: int = 1) -> RowKey:
    return (f"img-{name}", f"link-{name}", priority, dt.datetime(2026, 11, 21), dt.datetime(2026, 11, 22))


def test_same_rows_in_another_order_are_in_sync() -> None:
    assert WindowDiff.of([key("a"), key("b")], [key("b"), key("a")]).in_sync


def test_a_duplicate_row_in_the_target_is_a_difference() -> None:
    diff = WindowDiff.of([key("a")], [key("a"), key("a")])

    assert not diff.in_sync
    assert diff.remove_count == 1
    assert diff.to_add.total() == 0


def test_emptied_schedule_with_a_full_target_is_held() -> None:
    reason = hold_reason(WindowDiff.of([], [key("a")]), max_delete_share=1.0)

    assert reason is not None
    assert "no rows" in reason


def test_shrinking_by_more_than_the_share_is_held_and_exactly_the_share_is_not() -> None:
    actual = [key("a"), key("b"), key("c"), key("d")]
    halved = WindowDiff.of([key("a"), key("x")], actual)

    assert hold_reason(halved, 0.5) is None
    held = hold_reason(halved, 0.49)
    assert held is not None
    assert "losing 2 of the target's 4" in held


def test_rewriting_every_row_without_losing_any_is_never_held() -> None:
    actual = [key("a", 1), key("b", 2), key("c", 3)]
    reordered_and_edited = WindowDiff.of([key("c", 1), key("b", 2), key("a2", 3)], actual)

    assert reordered_and_edited.remove_count == 2
    assert hold_reason(reordered_and_edited, 0.01) is None


def test_filling_an_empty_target_is_never_held() -> None:
    assert hold_reason(WindowDiff.of([key("a")], []), 0.01) is None


def test_summary_counts_and_limits_samples() -> None:
    diff = WindowDiff.of([key(str(i)) for i in range(8)], [key("old", 3)])

    summary = diff.summary("why")

    assert (summary["desired"], summary["actual"], summary["added"], summary["removed"]) == (8, 1, 8, 1)
    assert len(summary["samples_added"]) == SAMPLE_SIZE
    assert summary["samples_removed"] == [
        {
            "image_url": "img-old",
            "link_url": "link-old",
            "priority": 3,
            "start_at": "2026-11-21T00:00:00",
            "end_at": "2026-11-22T00:00:00",
        }
    ]
    assert summary["reason"] == "why"


def test_rows_with_nulls_edited_in_by_hand_can_be_summarised() -> None:
    odd: RowKey = (None, "link", None, None, None)

    summary = WindowDiff.of([key("a")], [odd, key("b")]).summary()

    assert summary["removed"] == 2
