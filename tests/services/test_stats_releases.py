"""Releases: made once per antenna and window (whoever asks first, concurrently too), frozen, within budget."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from buurtbank.settings import Settings
from scheduler import jobs
from stats import repository, service
from stats.rules.accountant import BudgetExhausted
from stats.rules.figures import Reason
from stats.rules.windows import Period, window_from_label
from stats.tables import StatsRelease
from store.antennas import get_antenna_by_slug
from tests.databases import on_postgres
from tests.services.stats_network import Network, at

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _network(session: Session) -> None:
    net = Network(session)
    ids = [net.member() for _ in range(12)]
    for i, helper in enumerate(ids):
        net.exchange(helper, ids[(i + 1) % 12], 60, at(2026, 2, 1 + i))
    session.commit()


def _count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(StatsRelease)).one())


def test_a_window_is_released_once_and_read_back_unchanged(session: Session, settings: Settings) -> None:
    _network(session)
    params = service.parameters(settings)
    first = service.statistics(session, start=date(2026, 2, 1), end=date(2026, 2, 28), period=Period.MONTH,
                               params=params, today=TODAY, now=NOW)  # fmt: skip
    session.commit()
    assert _count(session) == 10  # one release per antenna
    again = service.statistics(session, start=date(2026, 2, 1), end=date(2026, 2, 28), period=Period.MONTH,
                               params=params, today=TODAY)  # fmt: skip
    assert again.cells == first.cells and _count(session) == 10
    data = service.release_as_data(session, antenna="molenbeek", period="2026-02", params=params, today=TODAY)
    assert data["epsilon"] == pytest.approx(1.0) and data["parameters"]["bounds"]["exchanges"] == 6
    assert {f["measure"] for f in data["figures"]} >= {"exchanges", "minutes", "gini_given"}


def test_the_loser_of_a_race_reads_the_winners_release(db: Engine, settings: Settings) -> None:
    with Session(db) as s:
        _network(s)
        antenna = get_antenna_by_slug(s, "molenbeek")
        assert antenna is not None and antenna.id is not None
        antenna_id = antenna.id
    with Session(db) as a, Session(db) as b:
        row = lambda: StatsRelease(antenna_id=antenna_id, period="2026-02", quarter="2026-Q1", epsilon=1.0,  # noqa: E731
                                   parameters={}, figures=[], released_at=NOW)  # fmt: skip
        winner = repository.add_release(a, row()).id
        a.commit()
        loser = repository.add_release(b, row()).id
        b.commit()
    assert loser == winner


@pytest.mark.skipif(not on_postgres(), reason="concurrent transactions need PostgreSQL")
def test_concurrent_requests_make_one_release(db: Engine, settings: Settings) -> None:
    with Session(db) as s:
        _network(s)
    params = service.parameters(settings)
    window = window_from_label("2026-02")
    results: list[dict[int, object]] = []
    barrier = threading.Barrier(2)

    def release() -> None:
        with Session(db, expire_on_commit=False) as s:
            barrier.wait()
            made = service.release_window(s, window=window, params=params, today=TODAY, delay_days=0, now=NOW)
            s.commit()
            results.append({a: (r.id, tuple(map(tuple, r.figures))) for a, r in made.items()})  # type: ignore[union-attr]

    threads = [threading.Thread(target=release) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 2 and results[0] == results[1]
    with Session(db) as s:
        assert _count(s) == 10


def test_the_accountant_refuses_a_release_past_the_quarters_budget(session: Session, settings: Settings) -> None:
    _network(session)
    tight = settings.model_copy(update={"stats_budget_per_quarter": 2.5})
    params = service.parameters(tight)
    table = service.statistics(session, start=date(2026, 1, 1), end=date(2026, 3, 31), period=Period.MONTH,
                               params=params, antenna="molenbeek", today=TODAY, now=NOW)  # fmt: skip
    by_period = {c.period: c for c in table.cells if c.measure == "exchanges"}
    assert by_period["2026-01"].reason != Reason.BUDGET and by_period["2026-02"].reason != Reason.BUDGET
    assert by_period["2026-03"].reason == Reason.BUDGET and by_period["2026-03"].value is None
    antenna = get_antenna_by_slug(session, "molenbeek")
    assert antenna is not None and antenna.id is not None
    assert repository.spent(session, antenna_id=antenna.id, quarter="2026-Q1") == pytest.approx(2.0)
    made = service.release_window(session, window=window_from_label("2026-Q1"), params=params, today=TODAY,
                                  delay_days=0, antenna_ids=[antenna.id])  # fmt: skip
    assert made[antenna.id] is Reason.BUDGET
    with pytest.raises(BudgetExhausted):
        from stats.rules.accountant import check_budget

        check_budget(spent=2.0, epsilon=params.epsilon_quarter, budget=params.budget_per_quarter)
    report = {(b.antenna, b.quarter): b for b in service.privacy_report(session, params=params)}
    assert report[("molenbeek", "2026-Q1")].spent == pytest.approx(2.0)
    assert [p for p, _, _ in report[("molenbeek", "2026-Q1")].releases] == ["2026-01", "2026-02"]


def test_open_windows_are_not_released(session: Session, settings: Settings) -> None:
    params = service.parameters(settings)
    with pytest.raises(Exception, match="open_period"):
        service.release_window(session, window=window_from_label("2026-11"), params=params, today=TODAY,
                               delay_days=7)  # fmt: skip
    table = service.statistics(session, start=date(2026, 10, 1), end=TODAY, period=Period.MONTH, params=params,
                               today=TODAY, delay_days=7)  # fmt: skip
    assert table.periods == ("2026-10",) and table.open_periods == ("2026-11", "2026-12")


def test_the_scheduler_releases_closed_windows_once(db: Engine, settings: Settings) -> None:
    with Session(db) as s:
        _network(s)
    small = settings.model_copy(update={"stats_release_delay_days": 0})
    result = jobs.release_statistics(db, settings=small, interval_minutes=60, now=NOW)
    assert result is not None and result["refused"] == 0
    # From the first membership (January 2026) to November: eleven months and three quarters, ten antennas.
    assert result["windows"] == 14 and result["released"] == 140
    assert jobs.release_statistics(db, settings=small, interval_minutes=60, now=NOW) is None  # same slot
    later = jobs.release_statistics(db, settings=small, interval_minutes=60, now=NOW.replace(hour=11))
    assert later is not None and later["released"] == 0
