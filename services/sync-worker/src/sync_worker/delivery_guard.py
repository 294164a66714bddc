"""The delivery guard: is the delivery system sending mail at a given moment, and until when?"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from banner_common.targets import SendingWindow

DELIVERY_WINDOW_ERROR = "delivery window"


@dataclass(frozen=True)
class Sending:
    """The sending window a moment falls in, and the aware instant it ends."""

    window: SendingWindow
    ends_at: dt.datetime

    def describe(self, tz: ZoneInfo) -> str:
        """The run's error text: starts with DELIVERY_WINDOW_ERROR so operators and tests can spot it."""
        until = self.ends_at.astimezone(tz)
        return f"{DELIVERY_WINDOW_ERROR} {self.window} ({tz.key}): swap waits until {until:%Y-%m-%d %H:%M %Z}"


def sending_at(windows: Iterable[SendingWindow], moment: dt.datetime, tz: ZoneInfo) -> Sending | None:
    """The sending window `moment` falls in (start inclusive, end exclusive), or None outside all of them."""
    if moment.tzinfo is None:
        raise ValueError("sending_at needs an aware moment")
    local = moment.astimezone(tz)
    now = local.time().replace(tzinfo=None)
    today = local.date()
    for window in windows:
        if window.start < window.end:
            inside, end_day = window.start <= now < window.end, today
        elif now >= window.start:  # past midnight, evening part
            inside, end_day = True, today + dt.timedelta(days=1)
        else:  # past midnight, morning part
            inside, end_day = now < window.end, today
        if inside:
            return Sending(window, dt.datetime.combine(end_day, window.end, tzinfo=tz))
    return None
