"""The calendar people live in: Brussels time. Stored times are UTC (store.base.utcnow); a "today" that a
person means (the default statistics range, a CLI's default dates) is the Brussels date, whatever zone the
server runs in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def today_in_brussels() -> date:
    return datetime.now(BRUSSELS).date()
