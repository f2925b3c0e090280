"""Every query on the releases table: read releases, add one (first writer wins), what a quarter has spent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stats.tables import StatsRelease
from store.antennas import Antenna


def releases_of(session: Session, *, periods: Sequence[str]) -> dict[tuple[int, str], StatsRelease]:
    """(antenna id, period) -> release, for every antenna."""
    if not periods:
        return {}
    query = select(StatsRelease).where(col(StatsRelease.period).in_(list(periods)))
    return {(r.antenna_id, r.period): r for r in session.exec(query)}


def release_of(session: Session, *, antenna_id: int, period: str) -> StatsRelease | None:
    query = select(StatsRelease).where(StatsRelease.antenna_id == antenna_id, StatsRelease.period == period)
    return session.exec(query).first()


def spent(session: Session, *, antenna_id: int, quarter: str) -> float:
    """The epsilon already spent on this antenna's quarter (the quarter's release and its months')."""
    query = select(func.coalesce(func.sum(StatsRelease.epsilon), 0.0)).where(
        StatsRelease.antenna_id == antenna_id, StatsRelease.quarter == quarter
    )
    return float(session.exec(query).one())


def all_releases(session: Session) -> list[StatsRelease]:
    return list(session.exec(select(StatsRelease).order_by(col(StatsRelease.antenna_id), col(StatsRelease.period))))


def lock_antennas(session: Session, antenna_ids: Sequence[int]) -> None:
    """Row-lock the antennas (ascending id: one global order) so one antenna's releases and budget checks are
    serialised on PostgreSQL (SQLite serialises every writing transaction already)."""
    for antenna_id in sorted(set(antenna_ids)):
        session.exec(select(Antenna.id).where(Antenna.id == antenna_id).with_for_update()).first()


def add_release(session: Session, release: StatsRelease) -> StatsRelease:
    """Insert the release; when another transaction released the same antenna and window first, return theirs
    (UNIQUE(antenna_id, period)): a window is released once and for all."""
    try:
        with session.begin_nested():
            session.add(release)
            session.flush()
        return release
    except IntegrityError:
        winner = release_of(session, antenna_id=release.antenna_id, period=release.period)
        if winner is None:
            raise
        return winner
