"""Bodies for the ledger: statements, the antenna's books, donations, pool payments, corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from api.schemas.common import MAX_ID, MemberRef, Reason
from domain.ledger import TransferKind


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
