"""Throttling of guesses (passwords, PINs, codes) per login name and per client, counted before checking.

Each attempt is counted first, in one atomic upsert per key, and the caller commits that count before it
checks anything: thirty concurrent guesses on PostgreSQL queue on the counter row, so at most the limit
of them ever reach the password check. A success takes its count back (see `succeeded`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from domain.errors import TooManyAttempts
from store import accounts as store
from store.base import utcnow


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    maximum: int
    window: timedelta


def name_key(purpose: str, name: str) -> str:
    return f"{purpose}:name:{name.strip().lower()}"[:300]


def client_key(purpose: str, client: str | None) -> str:
    return f"{purpose}:client:{client or 'unknown'}"[:300]


def count_attempt(session: Session, limits: list[Limit], *, now: datetime | None = None) -> None:
    """Count one attempt on every key; TooManyAttempts (with `retry_after` seconds) if any is over its limit.

    Keys are counted in one order (sorted), so two transactions never wait on each other's rows crosswise.
    The count stays even when refused, so hammering on does not open the door sooner.
    """
    now = now or utcnow()
    retry_after = 0
    for limit in sorted(limits, key=lambda item: item.key):
        count, started = store.count_attempt(session, key=limit.key, window=limit.window, now=now)
        if count > limit.maximum:
            remaining = (started + limit.window - now).total_seconds()
            retry_after = max(retry_after, max(1, math.ceil(remaining)))
    if retry_after:
        raise TooManyAttempts(
            "error.too_many_logins", minutes=max(1, math.ceil(retry_after / 60)), retry_after=retry_after
        )


def succeeded(session: Session, *, name_keys: list[str], client_keys: list[str]) -> None:
    """A right answer clears the name's failures and takes the attempt back from the client's count."""
    for key in name_keys:
        store.forget_attempts(session, key=key)
    for key in client_keys:
        store.take_back_attempt(session, key=key)
