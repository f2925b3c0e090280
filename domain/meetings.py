"""When and where two neighbours meet: the rules for a proposed meeting (plain Python, no storage)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.errors import InvalidInput

ANTENNA_PARTNER = "antenna_partner"
"""The `place` that stands for the antenna partner's address, as its declaration gives it."""

FURTHEST_AHEAD = timedelta(days=365)
REMIND_BEFORE = timedelta(days=1)


def check_starts_at(starts_at: datetime, *, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise InvalidInput("error.meeting.naive_time", field="body.starts_at")
    if starts_at <= now:
        raise InvalidInput("error.meeting.in_past", field="body.starts_at")
    if starts_at > now + FURTHEST_AHEAD:
        raise InvalidInput("error.meeting.too_far", field="body.starts_at")
    return starts_at


def place_text(place: str, *, partner_address: str | None) -> tuple[bool, str]:
    """(is the antenna partner, the text to show). Raises when the partner has no address to offer."""
    cleaned = place.strip()
    if not cleaned:
        raise InvalidInput("error.meeting.place_empty", field="body.place")
    if cleaned != ANTENNA_PARTNER:
        return False, cleaned
    if not partner_address:
        raise InvalidInput("error.meeting.no_partner_address", field="body.place")
    return True, partner_address
