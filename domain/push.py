"""When a push may go out (quiet hours) and how long to wait before retrying one (plain Python)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=2)
LONGEST_WAIT = timedelta(hours=2)


class Outcome(StrEnum):
    """What the provider said about one message."""

    SENT = "sent"
    DROP_TOKEN = "drop_token"  # the token is not (or no longer) valid: forget the device
    RETRY = "retry"  # a passing failure: try again later
    FAIL = "fail"  # this message can never go out (too big...): give up on it


def quiet_until(local_now: datetime, *, start: time, end: time) -> datetime | None:
    """The local moment the quiet hours around `local_now` end, or None outside them.

    The hours run from `start` to `end`, across midnight when `end` comes before `start` (22:00-08:00);
    equal times mean no quiet hours.
    """
    if start == end:
        return None
    now = local_now.time().replace(tzinfo=None)
    today = local_now.date()
    if start < end:
        inside = start <= now < end
        ends = datetime.combine(today, end, tzinfo=local_now.tzinfo)
    else:
        inside = now >= start or now < end
        ends_day = today + timedelta(days=1) if now >= start else today
        ends = datetime.combine(ends_day, end, tzinfo=local_now.tzinfo)
    return ends if inside else None


def retry_delay(attempts: int) -> timedelta:
    """After `attempts` failed tries: 2, 4, 8, 16... minutes, at most LONGEST_WAIT."""
    return min(FIRST_RETRY * (1 << max(attempts - 1, 0)), LONGEST_WAIT)


def next_after_failure(attempts: int, *, now: datetime) -> datetime | None:
    """When to try again after the `attempts`-th failure; None once the attempts are used up."""
    return None if attempts >= MAX_ATTEMPTS else now + retry_delay(attempts)
