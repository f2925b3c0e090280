"""Offers (what a member can give) and requests (what a member needs), and their queries.

Both carry a copy of the poster's coarse location at posting time, so distance filters and matching
never need the member row; that copy is already snapped and is never returned to anyone.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import JSON
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import enum_column, utc_field


class ListingStatus(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class _ListingColumns(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    category: str = Field(max_length=40, index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    availability: list[str] | None = Field(default=None, sa_type=JSON)
    status: ListingStatus = enum_column(ListingStatus, default=ListingStatus.OPEN, index=True)
    lat: float | None = Field(default=None, index=True)
    lon: float | None = None
    created_at: datetime = utc_field(index=True)
    updated_at: datetime = utc_field()


class Offer(_ListingColumns, table=True):
    __tablename__ = "offers"


class HelpRequest(_ListingColumns, table=True):
    __tablename__ = "help_requests"

    needed_by: date | None = None
    minutes: int | None = None


Listing = Offer | HelpRequest
ListingT = TypeVar("ListingT", bound=Listing)


def listing_by_id(session: Session, model: type[ListingT], listing_id: int, *, lock: bool = False) -> ListingT | None:
    """An offer or a request by id; `lock` takes its row lock (SELECT ... FOR UPDATE) for a change."""
    return session.get(model, listing_id, with_for_update=lock)


def open_listings_of_member(session: Session, model: type[ListingT], member_id: int) -> list[ListingT]:
    return list(session.exec(select(model).where(model.member_id == member_id, model.status == ListingStatus.OPEN)))


def live_listings_of_member_for_update(
    session: Session, model: type[ListingT], *, antenna_id: int, member_id: int
) -> list[ListingT]:
    """The member's open and matched offers (or requests) in one antenna, locked for a change."""
    query = select(model).where(
        model.antenna_id == antenna_id,
        model.member_id == member_id,
        col(model.status).in_((ListingStatus.OPEN, ListingStatus.MATCHED)),
    )
    return list(session.exec(query.with_for_update()))


def list_listings(
    session: Session,
    model: type[ListingT],
    *,
    antenna_ids: set[int],
    category: str | None,
    member_id: int | None,
    statuses: tuple[ListingStatus, ...],
    bbox: tuple[float, float, float, float] | None,
    before_id: int | None,
    limit: int,
) -> list[ListingT]:
    """Newest first, keyset-paginated on id; `bbox` (south, west, north, east) narrows to an area."""
    if not antenna_ids:
        return []
    query = select(model).where(col(model.antenna_id).in_(antenna_ids), col(model.status).in_(statuses))
    if category is not None:
        query = query.where(model.category == category)
    if member_id is not None:
        query = query.where(model.member_id == member_id)
    if bbox is not None:
        south, west, north, east = bbox
        query = query.where(col(model.lat).between(south, north), col(model.lon).between(west, east))
    if before_id is not None:
        query = query.where(col(model.id) < before_id)
    return list(session.exec(query.order_by(col(model.id).desc()).limit(limit)))


def listings_of_member(session: Session, member_id: int) -> tuple[list[Offer], list[HelpRequest]]:
    offers = list(session.exec(select(Offer).where(Offer.member_id == member_id).order_by(col(Offer.id))))
    requests = list(
        session.exec(select(HelpRequest).where(HelpRequest.member_id == member_id).order_by(col(HelpRequest.id)))
    )
    return offers, requests
