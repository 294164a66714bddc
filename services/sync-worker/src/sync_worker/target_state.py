"""Pausing and resuming a target's sync from the worker's commands, as the API does: state plus audit row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from banner_common.models import NEW_TARGET_REASON, AuditEvent, TargetState
from banner_common.target_states import again_if_state_raced, set_pause, state_of


@dataclass(frozen=True)
class PauseState:
    paused: bool
    reason: str


def set_paused(
    sessions: sessionmaker[Session], name: str, *, paused: bool, reason: str, actor: str
) -> PauseState:
    """Pause (with a reason shown to operators) or resume a target; audited in the same transaction."""
    return again_if_state_raced(
        lambda: _set_paused(sessions, name, paused=paused, reason=reason, actor=actor)
    )


def _set_paused(
    sessions: sessionmaker[Session], name: str, *, paused: bool, reason: str, actor: str
) -> PauseState:
    with sessions() as session, session.begin():
        state = state_of(session, name)
        before, after = set_pause(state, paused=paused, reason=reason)
        session.add(
            AuditEvent(
                actor=actor,
                action="target.pause" if paused else "target.resume",
                object_type="target",
                object_id=name,
                before=before,
                after=after,
                request_id="",
                campaign_types="",
            )
        )
        return PauseState(state.paused, state.paused_reason)


def pause_state(sessions: sessionmaker[Session], name: str) -> PauseState:
    """The target's current pause state (a target never seen is paused as a new target)."""
    with sessions() as session:
        state = session.get(TargetState, name)
        if state is None:
            return PauseState(True, NEW_TARGET_REASON)
        return PauseState(state.paused, state.paused_reason)
