"""Bodies for proposals: responding to a listing, a member's answer, a moderator's review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import DistanceBand, MemberRef, Note, Reason
from domain.exchanges import ProposalState


class RespondIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(
        default=None, description="a short note for the other member"
    )


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class ProposalOut(BaseModel):
    """A proposal as one of its two members sees it: the other's display name and a distance band only."""

    id: int
    antenna: str
    state: ProposalState
    origin: Literal["member", "scheduler"]
    my_role: Literal["helper", "receiver"]
    other: MemberRef
    category: str
    request_id: int | None
    offer_id: int | None
    minutes: int | None
    distance_band: DistanceBand | None
    i_accepted: bool
    they_accepted: bool
    message: str | None
    exchange_id: int | None = Field(description="set once both accepted")
    created_at: datetime
    reason: str | None = Field(default=None, description="why a moderator rejected it (state rejected)")


class ProposalReviewOut(BaseModel):
    """A proposal in the moderators' review queue."""

    id: int
    antenna: str
    state: ProposalState
    origin: Literal["member", "scheduler"]
    helper: MemberRef
    receiver: MemberRef
    category: str
    request_id: int | None
    offer_id: int | None
    minutes: int | None
    distance_band: DistanceBand | None
    score: float | None
    bridging: bool | None
    explanation: str | None = Field(description="why it was proposed, in the moderator's language")
    message: str | None
    reason: str | None
    helper_accepted: bool
    receiver_accepted: bool
    created_at: datetime
