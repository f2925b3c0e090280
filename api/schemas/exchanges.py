"""Bodies for proposals, exchanges and the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from api.schemas.common import MAX_ID, DistanceBand, MemberRef, Reason
from api.schemas.neighbours import MeetingOut
from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import TransferKind

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
MinutesIn = Annotated[StrictInt, Field(ge=0, le=100_000, description="integer minutes, in the antenna's time step")]


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


class DonationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    antenna: str = Field(max_length=60, description="the antenna whose solidarity pool receives the minutes")
    minutes: StrictInt = Field(ge=1, le=100_000)


class TransferOut(BaseModel):
    transfer_id: str
    kind: TransferKind
    minutes: int
    antenna: str
    created_at: datetime
    reason: str | None


class StatementLine(BaseModel):
    entry_id: int
    transfer_id: str
    kind: TransferKind
    minutes: int = Field(description="signed: negative when minutes left the account")
    counterparty: MemberRef | None = Field(description="the other member; null when it is a solidarity pool")
    counterparty_pool: str | None = Field(description="the antenna slug when the other side is its pool")
    exchange_id: int | None
    category: str | None
    reason: str | None
    at: datetime


class StatementOut(BaseModel):
    balance: int
    items: list[StatementLine]
    next_cursor: str | None


class AccountLine(BaseModel):
    member: MemberRef | None
    pool: bool
    balance: int
    beyond_anchor: bool = Field(
        default=False, description="past one of the antenna's anchors: worth a chat, not a block"
    )


class AntennaLedgerOut(BaseModel):
    antenna: str
    pool_balance: int
    accounts: list[AccountLine] = Field(description="the antenna's members' balances and its pool")
    items: list[StatementLine] = Field(description="entries of transfers made in this antenna, newest first")
    next_cursor: str | None


class CorrectionIn(BaseModel):
    """A reversal (kind=reversal, transfer_id) or an adjustment between two accounts (kind=adjustment).

    For an adjustment, a null member id stands for the antenna's solidarity pool.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["reversal", "adjustment"]
    reason: Reason
    transfer_id: Annotated[str, StringConstraints(max_length=36)] | None = Field(
        default=None, description="the transfer to reverse, or the one an adjustment corrects"
    )
    from_member_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    to_member_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    minutes: Annotated[StrictInt, Field(ge=1, le=100_000)] | None = None


class PoolPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: int = Field(ge=1, le=MAX_ID, description="who receives the minutes (usually a helper)")
    minutes: StrictInt = Field(ge=1, le=100_000)
    reason: Reason
