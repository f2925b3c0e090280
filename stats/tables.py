"""The statistics' own table: frozen releases, one per antenna and closed window (and the indexes they need).

A row is the noisy base figures of one antenna for one calendar month or quarter, with the privacy parameters
they were made with. UNIQUE(antenna_id, period) makes a second release of a window impossible: two requests
that both find it missing compute one each, and the second insert fails, so its request reads the first. Rows
are never updated: consent withdrawn, an erasure or a late correction changes the data, not a release.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from stats import indexes  # noqa: F401  (the statistics' indexes on other tables belong to the metadata)
from store.base import utc_field


class StatsRelease(SQLModel, table=True):
    __tablename__ = "stats_releases"
    __table_args__ = (UniqueConstraint("antenna_id", "period", name="uq_stats_releases_antenna_period"),)

    id: int | None = Field(default=None, primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    period: str = Field(max_length=8, description="the window: 2026-03 or 2026-Q1")
    quarter: str = Field(max_length=8, index=True, description="the quarter the window lies in (the budget's)")
    epsilon: float = Field(description="privacy spent by this release: the sum of its figures' epsilons")
    # {"bounds": {...}, "mechanism": "..."}: what the figures were made with, kept with them.
    parameters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # [[measure, dimension, noisy value, Laplace scale, epsilon, sensitivity], ...]
    figures: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    released_at: datetime = utc_field()
