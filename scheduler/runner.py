"""Starting the scheduler: in-process next to the API (`buurtbank serve`) or alone (`buurtbank worker`).

Both register the same jobs with APScheduler 3.11 interval triggers aligned to jobs.SLOT_EPOCH; whichever
process fires first claims the slot in the database (scheduler/jobs.py), the others skip. coalesce and
max_instances=1 keep one process from piling up runs of its own.
"""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank.db import make_engine
from buurtbank.settings import Settings
from scheduler import jobs
from services.push_providers import ExpoProvider, PushProvider, WebPushProvider
from store.antennas import list_antennas
from store.push import Platform

log = logging.getLogger(__name__)


def _job_options(interval: timedelta) -> dict[str, object]:
    return {
        "trigger": IntervalTrigger(seconds=int(interval.total_seconds()), start_date=jobs.SLOT_EPOCH, timezone="UTC"),
        "coalesce": True,
        "max_instances": 1,
        # A late firing still runs while it is in its own slot; later it would belong to the next one.
        "misfire_grace_time": max(1, int(interval.total_seconds() // 2)),
        "replace_existing": True,
    }


def register_jobs(scheduler: BaseScheduler, settings: Settings, engine: Engine) -> list[str]:
    """Adds one match job per antenna (at its run_every_hours), the expiry, reminders and stats release jobs."""
    with Session(engine) as session:
        antennas = [(a.slug, a.declaration().matching.run_every_hours) for a in list_antennas(session)]
    for slug, hours in antennas:
        scheduler.add_job(
            jobs.match_round,
            id=jobs.match_job_name(slug),
            name=f"match round {slug}",
            kwargs={"engine": engine, "antenna_slug": slug},
            **_job_options(timedelta(hours=hours)),
        )
    scheduler.add_job(
        jobs.expire_stale,
        id="expire",
        name="expire stale proposals and exchanges",
        kwargs={"engine": engine, "interval_minutes": settings.expiry_interval_minutes},
        **_job_options(timedelta(minutes=settings.expiry_interval_minutes)),
    )
    scheduler.add_job(
        jobs.confirm_reminders,
        id="confirm_reminders",
        name="remind members to confirm and answer",
        kwargs={"engine": engine, "interval_minutes": settings.reminder_interval_minutes},
        **_job_options(timedelta(minutes=settings.reminder_interval_minutes)),
    )
    stats_options = _job_options(timedelta(minutes=settings.stats_release_minutes))
    # Also once at start, so windows that closed while nothing ran are released before analysts ask.
    stats_options["next_run_time"] = datetime.now(UTC)
    scheduler.add_job(
        jobs.release_statistics,
        id="stats_release",
        name="release the analysts' statistics of closed windows",
        kwargs={"engine": engine, "settings": settings, "interval_minutes": settings.stats_release_minutes},
        **stats_options,
    )
    scheduler.add_job(
        jobs.meeting_reminders,
        id="meeting_reminders",
        name="remind members of tomorrow's meetings",
        kwargs={"engine": engine, "interval_minutes": settings.meeting_reminder_interval_minutes},
        **_job_options(timedelta(minutes=settings.meeting_reminder_interval_minutes)),
    )
    scheduler.add_job(
        jobs.push_notifications,
        id="push",
        name="push new notifications to members' devices",
        kwargs={
            "engine": engine,
            "interval_seconds": settings.push_interval_seconds,
            "providers": push_providers(settings),
        },
        **_job_options(timedelta(seconds=settings.push_interval_seconds)),
    )
    ids = [job.id for job in scheduler.get_jobs()]
    log.info("scheduler jobs: %s", ", ".join(ids))
    return ids


def push_providers(settings: Settings) -> dict[Platform, PushProvider]:
    providers: dict[Platform, PushProvider] = {
        Platform.EXPO: ExpoProvider(host=settings.expo_push_host, access_token=settings.expo_access_token)
    }
    if settings.webpush_vapid_private_key:
        providers[Platform.WEBPUSH] = WebPushProvider(
            vapid_private_key=settings.webpush_vapid_private_key, subject=settings.webpush_vapid_subject
        )
    return providers


def start_background_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    """The in-process scheduler for `buurtbank serve`; the caller shuts it down."""
    scheduler = BackgroundScheduler(timezone="UTC")
    register_jobs(scheduler, settings, engine)
    scheduler.start()
    return scheduler


def run_worker(settings: Settings) -> None:
    """`buurtbank worker`: the scheduler alone, until SIGTERM or SIGINT; a running job is let finish."""
    engine = make_engine(settings.database_url)
    scheduler = BlockingScheduler(timezone="UTC")
    register_jobs(scheduler, settings, engine)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker: signal %s, stopping after the running jobs", signal.Signals(signum).name)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()  # blocks until shutdown
    finally:
        engine.dispose()
