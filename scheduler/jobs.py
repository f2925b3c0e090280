"""The scheduled jobs. Each opens its own unit of work and first claims its slot, so it runs once per slot
however many processes (API processes with the in-process scheduler, workers) fire it.

A slot is the start of the interval bucket the firing falls in, counted from SLOT_EPOCH; the runner aligns
its triggers to the same epoch, so every process fires at the bucket starts and computes the same slot.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank.db import unit_of_work
from buurtbank.settings import Settings
from services.exchanges import expire_stale_exchanges
from services.matching import run_match_round
from services.meetings import send_meeting_reminders
from services.proposals import expire_stale_proposals
from services.push import send_due
from services.push_providers import PushProvider
from services.reminders import send_reminders
from stats.service import brussels_today, parameters, release_closed_windows
from store.antennas import get_antenna_by_slug, list_antennas
from store.base import utcnow
from store.job_runs import JobRun, claim_slot
from store.match_runs import MatchTrigger
from store.push import Platform

log = logging.getLogger(__name__)


SLOT_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
"""A Monday at midnight UTC: daily jobs fire at midnight, hourly ones on the hour."""


def slot_start(now: datetime, interval: timedelta) -> datetime:
    return SLOT_EPOCH + ((now - SLOT_EPOCH) // interval) * interval


def slot_name(now: datetime, interval: timedelta) -> str:
    return slot_start(now, interval).isoformat()


def match_job_name(slug: str) -> str:
    return f"match:{slug}"


def _claim(session: Session, *, job: str, interval: timedelta, now: datetime) -> JobRun | None:
    claim = claim_slot(session, job=job, slot=slot_name(now, interval), now=now)
    if claim is None:
        log.info("job %s: slot %s already taken by another process, skipped", job, slot_name(now, interval))
    return claim


def _finish(session: Session, claim: JobRun, result: dict[str, Any]) -> None:
    claim.finished_at = utcnow()
    claim.result = result
    session.add(claim)


def match_round(engine: Engine, *, antenna_slug: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The antenna's periodic round (every matching.run_every_hours); None when skipped."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        antenna = get_antenna_by_slug(session, antenna_slug)
        if antenna is None:
            log.warning("job match: antenna %s no longer exists", antenna_slug)
            return None
        interval = timedelta(hours=antenna.declaration().matching.run_every_hours)
        claim = _claim(session, job=match_job_name(antenna_slug), interval=interval, now=now)
        if claim is None:
            return None
        run = run_match_round(session, antenna=antenna, trigger=MatchTrigger.SCHEDULER, now=now)
        summary = dict(run.summary or {})
        _finish(session, claim, {"match_run_id": run.id, "proposals": summary.get("proposals", 0)})
    return summary


def expire_stale(engine: Engine, *, interval_minutes: int, now: datetime | None = None) -> dict[str, Any] | None:
    """Ends proposals and exchanges nobody acted on in time, in every antenna; None when skipped."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        claim = _claim(session, job="expire", interval=timedelta(minutes=interval_minutes), now=now)
        if claim is None:
            return None
        proposals = exchanges = 0
        for antenna in list_antennas(session):
            proposals += expire_stale_proposals(session, antenna=antenna, now=now)
            exchanges += expire_stale_exchanges(session, antenna=antenna, now=now)
        result = {"proposals_expired": proposals, "exchanges_expired": exchanges}
        _finish(session, claim, result)
    return result


def confirm_reminders(engine: Engine, *, interval_minutes: int, now: datetime | None = None) -> dict[str, Any] | None:
    """Notifies members who have not confirmed an exchange or answered a proposal; None when skipped."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        claim = _claim(session, job="confirm_reminders", interval=timedelta(minutes=interval_minutes), now=now)
        if claim is None:
            return None
        result = asdict(send_reminders(session, now=now))
        _finish(session, claim, result)
    return result


def release_statistics(
    engine: Engine, *, settings: Settings, interval_minutes: int, now: datetime | None = None
) -> dict[str, Any] | None:
    """Releases the closed months and quarters that have no statistics release yet (stats/service.py); None
    when skipped. A release a request made first is simply found (UNIQUE(antenna, period))."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        claim = _claim(session, job="stats_release", interval=timedelta(minutes=interval_minutes), now=now)
        if claim is None:
            return None
        result = release_closed_windows(
            session, params=parameters(settings), today=brussels_today(now),
            delay_days=settings.stats_release_delay_days, now=now,
        )  # fmt: skip
        _finish(session, claim, result)
    return result


def meeting_reminders(engine: Engine, *, interval_minutes: int, now: datetime | None = None) -> dict[str, Any] | None:
    """Reminds both members of each accepted meeting starting within a day; None when skipped."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        claim = _claim(session, job="meeting_reminders", interval=timedelta(minutes=interval_minutes), now=now)
        if claim is None:
            return None
        result = {"meeting_reminders": send_meeting_reminders(session, now=now)}
        _finish(session, claim, result)
    return result


def push_notifications(
    engine: Engine,
    *,
    interval_seconds: int,
    providers: dict[Platform, PushProvider],
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """Sends the due push deliveries (outside quiet hours, with back-off on failure); None when skipped."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        claim = _claim(session, job="push", interval=timedelta(seconds=interval_seconds), now=now)
        if claim is None:
            return None
        result: dict[str, Any] = send_due(session, providers=providers, now=now)
        _finish(session, claim, result)
    return result
