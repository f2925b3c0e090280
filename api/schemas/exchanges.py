"""Bodies for exchanges: confirming the minutes, disputing, cancelling, a moderator's resolution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.schemas.common import MemberRef, Note, Reason
from api.schemas.neighbours import MeetingOut
from domain.exchanges import ExchangeState

MinutesIn = Annotated[StrictInt, Field(ge=0, le=100_000, description="integer minutes, in the antenna's time step")]


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: StrictInt = Field(
        ge=1, description="how long the help took, in steps of the antenna's time_step_minutes", examples=[60]
    )


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: MinutesIn
    reason: Reason
    from_pool: StrictBool = Field(default=False, description="the antenna's solidarity pool pays the helper")


class ExchangeOut(BaseModel):
    id: int
    antenna: str
    state: ExchangeState
    category: str
    helper: MemberRef
    receiver: MemberRef
    my_role: Literal["helper", "receiver"] | None = Field(description="null when a moderator looks")
    helper_minutes: int | None
    receiver_minutes: int | None
    settled_minutes: int | None
    paid_by_pool: bool
    note: str | None
    request_id: int | None
    offer_id: int | None
    planned_at: datetime
    settled_at: datetime | None
    meeting: MeetingOut | None = Field(default=None, description="when and where the two members plan to meet")
