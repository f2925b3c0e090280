"""When and where the two parties of an exchange meet: one current proposal per exchange; and its queries.

Proposing another time or place replaces the current one (and its acceptance). `reminded_at` marks that
the day-before reminder went out, so the scheduler sends it once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Session, SQLModel, col, select

from domain.exchanges import ExchangeState
from store.base import enum_column, utc_field
from store.exchanges import Exchange

MAX_PLACE_LENGTH = 300


class PlaceKind(StrEnum):
    TEXT = "text"
    ANTENNA_PARTNER = "antenna_partner"


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"

    exchange_id: int = Field(foreign_key="exchanges.id", primary_key=True)
    starts_at: datetime = utc_field(index=True)
    place_kind: PlaceKind = enum_column(PlaceKind, default=PlaceKind.TEXT)
    # Free text for PlaceKind.TEXT; for ANTENNA_PARTNER a copy of the partner's declared address.
    place: str = Field(max_length=MAX_PLACE_LENGTH)
    proposed_by: int = Field(foreign_key="members.id")
    proposed_at: datetime = utc_field()
    accepted_at: datetime | None = utc_field(nullable=True, default_now=False)
    reminded_at: datetime | None = utc_field(nullable=True, default_now=False)


def get_meeting(session: Session, exchange_id: int, *, lock: bool = False) -> Meeting | None:
    query = select(Meeting).where(Meeting.exchange_id == exchange_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def meetings_for(session: Session, exchange_ids: list[int]) -> dict[int, Meeting]:
    if not exchange_ids:
        return {}
    rows = session.exec(select(Meeting).where(col(Meeting.exchange_id).in_(exchange_ids)))
    return {row.exchange_id: row for row in rows}


def meetings_to_remind(session: Session, *, starting_before: datetime, now: datetime, limit: int) -> list[Meeting]:
    """Accepted meetings of planned exchanges that start between now and `starting_before`, not reminded."""
    query = (
        select(Meeting)
        .join(Exchange, col(Exchange.id) == col(Meeting.exchange_id))
        .where(
            Exchange.state == ExchangeState.PLANNED,
            col(Meeting.accepted_at).is_not(None),
            col(Meeting.reminded_at).is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= starting_before,
        )
        .order_by(col(Meeting.starts_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=Meeting)
    )
    return list(session.exec(query))


def meetings_proposed_by(session: Session, member_id: int) -> list[Meeting]:
    return list(session.exec(select(Meeting).where(Meeting.proposed_by == member_id)))
