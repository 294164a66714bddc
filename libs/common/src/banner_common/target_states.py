"""Rules of a target's recorded state that the API and the worker both apply."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from banner_common.models import NEW_TARGET_REASON, TargetState


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
