"""Unit of work: one transaction per use case; change events go out only after it commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from banner_api.publish import Publisher
from banner_common.events import ScheduleChanged
from banner_common.models import ScheduleChange, utcnow


class UnitOfWork:
    """`with uow:` opens a session; `uow.commit()` commits it and then publishes recorded changes."""

    def __init__(
        self, session_factory: sessionmaker[Session], publisher: Publisher, request_id: str | None = None
    ) -> None:
        self._session_factory = session_factory
        self._publisher = publisher
        self._request_id = request_id
        self._pending: list[ScheduleChange] = []
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self._pending = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back anything uncommitted without expiring loaded objects, which the view
        # still serialises after the block.
        self.session.close()
        self._session = None
        self._pending = []

    def record_change(
        self, targets: Iterable[str], first_day: dt.date, last_day: dt.date, reason: str
    ) -> None:
        """Note, inside the transaction, that these targets' days changed (the row commits with it)."""
        names = sorted(set(targets))
        if not names:
            return
        change = ScheduleChange(
            targets=",".join(names),
            first_day=first_day,
            last_day=last_day,
            reason=reason,
            committed_at=utcnow(),
        )
        self.session.add(change)
        self._pending.append(change)

    def commit(self) -> None:
        self.session.flush()
        pending = list(self._pending)
        self.session.commit()
        self._pending = []
        for change in pending:
            self._publisher.publish(
                ScheduleChanged(
                    targets=change.target_list,
                    first_day=change.first_day,
                    last_day=change.last_day,
                    change_id=change.id,
                    committed_at=change.committed_at,
                    request_id=self._request_id,
                )
            )

    def rollback(self) -> None:
        self.session.rollback()
        self._pending = []
