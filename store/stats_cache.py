"""Published (already protected) statistics, cached per calendar quarter and measure family.

A block is one quarter with its three months, every antenna plus `all`: a complete family for
privacy.publish() on its own (no sum links two quarters), so it can be protected once and reused. Each row
carries the fingerprint of the data it was computed from (services/stats.py) and when that fingerprint was
last found current (`checked_at`); a reader whose fingerprint differs recomputes the block. Only protected
cells are stored: nothing here is less private than the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from store.base import utc_field


class StatsCacheBlock(SQLModel, table=True):
    __tablename__ = "stats_cache"
    __table_args__ = (UniqueConstraint("quarter", "family", name="uq_stats_cache_quarter_family"),)

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=8, description="a quarter label, e.g. 2026-Q1")
    family: str = Field(max_length=20, description="reciprocity or bridging")
    fingerprint: str = Field(max_length=64, description="sha256 of the inputs the cells were computed from")
    cells: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    computed_at: datetime = utc_field()
    checked_at: datetime = utc_field()  # when the fingerprint was last found equal to the data's


def get_blocks(session: Session, *, family: str, quarters: Sequence[str]) -> dict[str, StatsCacheBlock]:
    if not quarters:
        return {}
    query = select(StatsCacheBlock).where(
        StatsCacheBlock.family == family,
        StatsCacheBlock.quarter.in_(list(quarters)),  # type: ignore[attr-defined]
    )
    return {block.quarter: block for block in session.exec(query)}


def save_block(
    session: Session, *, family: str, quarter: str, fingerprint: str, cells: Iterable[Sequence[Any]], now: datetime
) -> None:
    """Replaces the block; when a concurrent writer got there first, keeps theirs (both are valid for their
    fingerprint, and a reader rechecks the fingerprint anyway)."""
    rows = [list(cell) for cell in cells]
    try:
        with session.begin_nested():
            session.execute(
                delete(StatsCacheBlock).where(
                    StatsCacheBlock.family == family,  # type: ignore[arg-type]
                    StatsCacheBlock.quarter == quarter,  # type: ignore[arg-type]
                )
            )
            session.add(
                StatsCacheBlock(
                    quarter=quarter, family=family, fingerprint=fingerprint, cells=rows, computed_at=now, checked_at=now
                )
            )
            session.flush()
    except IntegrityError:
        pass


def mark_checked(session: Session, *, ids: Sequence[int], now: datetime) -> None:
    """Records that these blocks' fingerprints were just found current. Rows another transaction is writing
    are skipped (on PostgreSQL; SQLite has one writer at a time): it is checking or replacing them itself,
    and two readers never wait for each other or deadlock over the cache."""
    if not ids:
        return
    block = StatsCacheBlock
    free = (
        select(block.id)
        .where(block.id.in_(list(ids)))  # type: ignore[union-attr]
        .order_by(block.id)
        .with_for_update(skip_locked=True)
    )
    session.execute(update(block).where(block.id.in_(free.scalar_subquery())).values(checked_at=now))  # type: ignore[union-attr]


def clear(session: Session) -> int:
    """Drops every cached block (they are recomputed on demand)."""
    return session.execute(delete(StatsCacheBlock)).rowcount or 0  # type: ignore[attr-defined]
