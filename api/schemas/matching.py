"""Bodies for match runs (moderators) and notifications (members)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class MatchSummaryOut(BaseModel):
    requests_seen: int = Field(description="open requests with no open proposal or planned exchange")
    candidates: int = Field(description="feasible (request, offer) pairs within the radius, before pruning")
    proposals: int = Field(description="proposals written to the review queue (at most one per request)")
    unmatched: int = Field(description="requests seen that got no proposal")
    mean_distance_m: float = Field(description="mean distance of the proposals, in metres")
    bridging_share: float = Field(description="share of proposals between members of differing background, 0..1")
    skipped_duplicates: int = Field(default=0, description="pairs not written because they already had one open")
    excluded_pairs: int = Field(default=0, description="pairs kept apart: rejected by a moderator, or declined lately")
    unmatched_request_ids: list[int] = Field(default_factory=list, description="the unmatched requests (first 500)")


class MatchRunOut(BaseModel):
    id: int
    antenna: str
    trigger: Literal["scheduler", "manual"]
    triggered_by: int | None = Field(description="the moderator who asked for the run; null for the scheduler")
    started_at: datetime
    finished_at: datetime | None
    summary: MatchSummaryOut | None


class NotificationOut(BaseModel):
    id: int
    kind: Literal["confirm_reminder", "proposal_waiting", "exchange_cancelled_left"]
    message: str = Field(description="in the language asked for by Accept-Language")
    payload: dict[str, Any] = Field(description="ids to open (exchange_id or proposal_id) and the category")
    created_at: datetime
    read_at: datetime | None
