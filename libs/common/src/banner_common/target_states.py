"""Rules of a target's recorded state that the API and the worker both apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banner_common.models import NEW_TARGET_REASON, TargetState

_T = TypeVar("_T")


def state_of(session: Session, name: str) -> TargetState:
    """The target's state row; a target never seen before gets one, paused (a new target starts paused)."""
    state = session.get(TargetState, name)
    if state is None:
        state = TargetState(
            name=name, paused=True, paused_reason=NEW_TARGET_REASON, held=False, applied_change_id=0
        )
        session.add(state)
    return state


def set_pause(state: TargetState, *, paused: bool, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pause (with the reason operators see) or resume; returns the state before and after, for the audit."""
    before = {"paused": state.paused, "paused_reason": state.paused_reason}
    state.paused = paused
    state.paused_reason = reason if paused else ""
    return before, {"paused": state.paused, "paused_reason": state.paused_reason}


def again_if_state_raced(attempt: Callable[[], _T]) -> _T:
    """Run a transaction that may create a new target's state row, once more if another process (an API
    worker, a sync run) created that row at the same moment: it exists now, so the second try updates it."""
    try:
        return attempt()
    except IntegrityError:
        return attempt()
