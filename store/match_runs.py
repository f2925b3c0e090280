"""Match runs: one row per matching round of one antenna, with the summary the moderators see."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import enum_column, utc_field


class MatchTrigger(StrEnum):
    SCHEDULER = "scheduler"
    MANUAL = "manual"


class MatchRun(SQLModel, table=True):
    __tablename__ = "match_runs"

    id: int | None = Field(default=None, primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    trigger: MatchTrigger = enum_column(MatchTrigger, default=MatchTrigger.SCHEDULER)
    # The moderator who asked for a manual run (null for the scheduler, and for `buurtbank match`).
    triggered_by: int | None = Field(default=None, foreign_key="members.id")
    started_at: datetime = utc_field(index=True)
    finished_at: datetime | None = utc_field(nullable=True, default_now=False)
    # requests_seen, candidates, proposals, unmatched, mean_distance_m, bridging_share, skipped_duplicates,
    # excluded_pairs and unmatched_request_ids (ids only: moderators open the requests themselves).
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)


def get_match_run(session: Session, run_id: int) -> MatchRun | None:
    return session.get(MatchRun, run_id)


def list_match_runs(session: Session, *, antenna_id: int, before_id: int | None, limit: int) -> list[MatchRun]:
    query = select(MatchRun).where(MatchRun.antenna_id == antenna_id)
    if before_id is not None:
        query = query.where(col(MatchRun.id) < before_id)
    return list(session.exec(query.order_by(col(MatchRun.id).desc()).limit(limit)))
