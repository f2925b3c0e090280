"""The scheduler: a job runs once per slot however many processes fire it; the jobs' effects.

Runs on SQLite and on PostgreSQL (BUURTBANK_TEST_DATABASE_URL): each "process" has its own engine.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from buurtbank.db import make_engine
from buurtbank.settings import Settings
from domain.exchanges import ExchangeState, ProposalState
from scheduler import jobs
from scheduler.runner import start_background_scheduler
from services import proposals as proposal_service
from services.matching import run_match_round
from store.base import utcnow
from store.exchanges import Exchange
from store.job_runs import JobRun
from store.match_runs import MatchRun, MatchTrigger
from store.notifications import Notification, NotificationKind
from store.proposals import Proposal
from tests.services.matching_helpers import Town, actor, build_town


def _count(engine: Engine, model: type[Any], *where: Any) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())


def _small_town(session: Session, *, pairs: int = 3) -> Town:
    town = build_town(session)
    for i in range(pairs):
        town.request(town.member(f"Asker{i}", north_m=100 * i))
        town.offer(town.member(f"Helper{i}", north_m=100 * i + 50))
    session.commit()
    return town


def _in_threads(count: int, target: Any) -> list[Any]:
    """Runs target(index) in `count` threads released together; returns their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def body(index: int) -> None:
        barrier.wait()
        try:
            results[index] = target(index)
        except BaseException as exc:  # any error: reported by the test
            results[index] = exc

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_two_processes_firing_the_match_job_run_it_once_per_slot(session: Session, database_url: str) -> None:
    _small_town(session)
    engines = [make_engine(database_url) for _ in range(2)]
    now = utcnow()
    try:
        results = _in_threads(2, lambda i: jobs.match_round(engines[i], antenna_slug="molenbeek", now=now))
        again = jobs.match_round(engines[0], antenna_slug="molenbeek", now=now + timedelta(minutes=1))
    finally:
        for engine in engines:
            engine.dispose()

    assert not [r for r in results if isinstance(r, BaseException)], results
    ran = [r for r in results if r is not None]
    assert len(ran) == 1 and ran[0]["proposals"] == 3
    assert again is None  # same slot, later firing
    engine = session.get_bind()
    assert _count(engine, JobRun, JobRun.job == "match:molenbeek") == 1  # type: ignore[arg-type]
    assert _count(engine, MatchRun) == 1  # type: ignore[arg-type]
    assert _count(engine, Proposal) == 3  # type: ignore[arg-type]
    with Session(engine) as s:
        claim = s.exec(select(JobRun)).one()
    assert claim.slot == jobs.slot_name(now, timedelta(hours=24)) and claim.finished_at is not None
    assert claim.result == {"match_run_id": claim.result["match_run_id"], "proposals": 3}  # type: ignore[index]


def test_the_next_slot_runs_again(session: Session, db: Engine) -> None:
    _small_town(session, pairs=1)
    now = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)

    assert jobs.match_round(db, antenna_slug="molenbeek", now=now) is not None
    assert jobs.match_round(db, antenna_slug="molenbeek", now=now + timedelta(hours=13)) is None
    assert jobs.match_round(db, antenna_slug="molenbeek", now=now + timedelta(hours=14)) is not None  # next day

    with Session(db) as s:
        slots = sorted(s.exec(select(JobRun.slot).where(JobRun.job == "match:molenbeek")))
    assert slots == ["2030-03-04T00:00:00+00:00", "2030-03-05T00:00:00+00:00"]


FIRED = ("match:molenbeek", "expire", "confirm_reminders")


def test_two_background_schedulers_on_one_database_run_each_job_once(
    session: Session, settings: Settings, database_url: str
) -> None:
    _small_town(session, pairs=1)
    engines = [make_engine(database_url) for _ in range(2)]
    done: list[tuple[str, object]] = []
    lock = threading.Lock()

    def listener(event: JobExecutionEvent) -> None:
        with lock:
            done.append((event.job_id, event.exception or event.retval))

    schedulers = [start_background_scheduler(settings, engine) for engine in engines]
    try:
        fire_at = datetime.now(UTC) + timedelta(seconds=1)
        for scheduler in schedulers:
            scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
            for job_id in FIRED:
                scheduler.modify_job(job_id, next_run_time=fire_at)
        deadline = time.monotonic() + 60
        # The statistics job also runs once at start (its own test below); only the three fired here count.
        while len([j for j, _ in done if j in FIRED]) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
        for engine in engines:
            engine.dispose()

    assert len([j for j, _ in done if j in FIRED]) == 6, done
    assert not [r for _, r in done if isinstance(r, BaseException)], done
    for job_id in FIRED:
        outcomes = [r for j, r in done if j == job_id]
        assert sum(r is not None for r in outcomes) == 1, (job_id, outcomes)
    engine = session.get_bind()
    assert _count(engine, JobRun, JobRun.job.in_(FIRED)) == 3  # type: ignore[arg-type,attr-defined]
    assert _count(engine, Proposal) == 1  # type: ignore[arg-type]


@pytest.mark.usefixtures("session")
def test_the_background_scheduler_registers_its_jobs_and_shuts_down(settings: Settings, db: Engine) -> None:
    scheduler = start_background_scheduler(settings, db)
    try:
        assert scheduler.running
        jobs_by_id = {job.id: job for job in scheduler.get_jobs()}
        with Session(db) as s:
            from store.antennas import list_antennas

            slugs = [a.slug for a in list_antennas(s)]
        assert len(slugs) == 10
        assert set(jobs_by_id) == {f"match:{slug}" for slug in slugs} | {
            "expire",
            "confirm_reminders",
            "stats_release",
            "meeting_reminders",
            "push",
        }
        assert jobs_by_id["meeting_reminders"].trigger.interval == timedelta(
            minutes=settings.meeting_reminder_interval_minutes
        )
        assert jobs_by_id["push"].trigger.interval == timedelta(seconds=settings.push_interval_seconds)
        match = jobs_by_id["match:molenbeek"]
        assert isinstance(match.trigger, IntervalTrigger)
        assert match.trigger.interval == timedelta(hours=24)
        assert match.coalesce is True and match.max_instances == 1
        assert jobs_by_id["expire"].trigger.interval == timedelta(minutes=settings.expiry_interval_minutes)
        assert jobs_by_id["confirm_reminders"].trigger.interval == timedelta(minutes=settings.reminder_interval_minutes)
        assert jobs_by_id["stats_release"].trigger.interval == timedelta(minutes=settings.stats_release_minutes)
        # The statistics job also runs once at start, so windows that closed meanwhile are released.
        deadline = time.monotonic() + 30
        while not _count(db, JobRun, JobRun.job == "stats_release") and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.05)
        assert _count(db, JobRun, JobRun.job == "stats_release") == 1  # type: ignore[arg-type]
        # Fire times are aligned to the slot epoch, so every process fires at the same instants.
        assert match.next_run_time == jobs.slot_start(match.next_run_time, timedelta(hours=24))
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running


def _exchange(town: Town) -> Exchange:
    """A scheduler proposal, approved and accepted by both: a planned exchange."""
    run_match_round(town.session, antenna=town.antenna, trigger=MatchTrigger.SCHEDULER)
    proposal = town.proposals(state=ProposalState.PENDING_REVIEW)[0]
    proposal_service.decide(town.session, moderator=town.moderator, proposal_id=proposal.id, approve=True, reason=None)  # type: ignore[arg-type]
    from store.members import Member

    for member_id in (proposal.helper_id, proposal.receiver_id):
        member = town.session.get(Member, member_id)
        assert member is not None
        _, exchange = proposal_service.answer(town.session, actor(member), proposal_id=proposal.id, accept=True)  # type: ignore[arg-type]
    assert exchange is not None
    town.session.commit()
    return exchange


def _notifications(engine: Engine, kind: NotificationKind) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))  # type: ignore[arg-type]


def test_reminders_reach_the_party_who_has_not_confirmed(session: Session, db: Engine) -> None:
    town = _small_town(session, pairs=1)
    exchange = _exchange(town)
    exchange.helper_minutes = 60  # the helper confirmed; the receiver has not
    session.add(exchange)
    session.commit()
    day = 24 * 60
    start = utcnow()

    assert jobs.confirm_reminders(db, interval_minutes=day, now=start + timedelta(days=1)) == {
        "confirm_reminders": 0,
        "proposal_reminders": 0,
    }
    result = jobs.confirm_reminders(db, interval_minutes=day, now=start + timedelta(days=4))
    assert result == {"confirm_reminders": 1, "proposal_reminders": 0}
    [reminder] = _notifications(db, NotificationKind.CONFIRM_REMINDER)
    assert reminder.member_id == exchange.receiver_id and reminder.subject_id == exchange.id
    assert reminder.payload == {"exchange_id": exchange.id, "category": "shopping", "role": "receiver"}
    with Session(db) as s:
        reminded = s.get(Exchange, exchange.id)
        assert reminded is not None and reminded.reminded_at == start + timedelta(days=4)

    # Not again within three days of the last reminder; again after.
    assert jobs.confirm_reminders(db, interval_minutes=day, now=start + timedelta(days=6))["confirm_reminders"] == 0  # type: ignore[index]
    assert jobs.confirm_reminders(db, interval_minutes=day, now=start + timedelta(days=8))["confirm_reminders"] == 1  # type: ignore[index]
    assert len(_notifications(db, NotificationKind.CONFIRM_REMINDER)) == 2


def test_members_are_told_an_approved_proposal_waits_for_them(session: Session, db: Engine) -> None:
    town = _small_town(session, pairs=1)
    run_match_round(session, antenna=town.antenna, trigger=MatchTrigger.SCHEDULER)
    [proposal] = town.proposals()
    session.commit()
    start = utcnow()
    # Pending review: members do not know about it yet.
    assert jobs.confirm_reminders(db, interval_minutes=60, now=start)["proposal_reminders"] == 0  # type: ignore[index]
    proposal_service.decide(session, moderator=town.moderator, proposal_id=proposal.id, approve=True, reason=None)  # type: ignore[arg-type]
    session.commit()

    assert jobs.confirm_reminders(db, interval_minutes=60, now=start + timedelta(hours=1))["proposal_reminders"] == 2  # type: ignore[index]
    assert jobs.confirm_reminders(db, interval_minutes=60, now=start + timedelta(hours=2))["proposal_reminders"] == 0  # type: ignore[index]
    waiting = _notifications(db, NotificationKind.PROPOSAL_WAITING)
    assert {n.member_id for n in waiting} == {proposal.helper_id, proposal.receiver_id}
    assert all(n.subject_id == proposal.id for n in waiting)


def test_the_expiry_job_ends_stale_proposals_and_exchanges(session: Session, db: Engine) -> None:
    town = _small_town(session, pairs=2)
    exchange = _exchange(town)  # one pair became an exchange, the other proposal waits for review
    lifecycle = town.antenna.declaration().lifecycle
    start = utcnow()

    assert jobs.expire_stale(db, interval_minutes=60, now=start + timedelta(days=1)) == {
        "proposals_expired": 0,
        "exchanges_expired": 0,
    }
    later = start + timedelta(days=max(lifecycle.proposal_expiry_days, lifecycle.exchange_confirm_days) + 1)
    assert jobs.expire_stale(db, interval_minutes=60, now=later) == {"proposals_expired": 1, "exchanges_expired": 1}
    assert jobs.expire_stale(db, interval_minutes=60, now=later) is None  # same slot
    with Session(db) as s:
        assert s.get(Exchange, exchange.id).state is ExchangeState.EXPIRED  # type: ignore[union-attr]
        states = sorted(p.state.value for p in s.exec(select(Proposal)))
    assert states == ["accepted", "expired"]


@pytest.mark.parametrize("minutes", [1, 60, 24 * 60])
def test_slots_are_bucket_starts(minutes: int) -> None:
    interval = timedelta(minutes=minutes)
    moment = datetime(2031, 7, 9, 13, 47, 12, tzinfo=UTC)
    start = jobs.slot_start(moment, interval)
    assert start <= moment < start + interval
    assert jobs.slot_start(start + interval - timedelta(microseconds=1), interval) == start
