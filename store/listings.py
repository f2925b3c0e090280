"""Offers (what a member can give) and requests (what a member needs), and their queries.

Both carry a copy of the poster's coarse location at posting time, so distance filters and matching
never need the member row; that copy is already snapped and is never returned to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import JSON, Integer, bindparam, or_, update
from sqlalchemy.orm.util import identity_key
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from store.antennas import Antenna
from store.base import enum_column, read_columns, utc_field
from store.deferred import defer_write
from store.members import Member
from store.memberships import approved_or_moderated_antenna_ids_query


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


@dataclass(frozen=True, slots=True)
class OfferRow:
    """An offer's columns for a page of listings: read as columns on the session's connection, not as ORM
    rows (loading 50 ORM objects, with their identity map entries and instance state, was a fifth of a
    nearby-offers request)."""

    id: int
    antenna_id: int
    member_id: int
    category: str
    title: str
    description: str
    availability: list[str] | None
    status: ListingStatus
    lat: float | None
    lon: float | None
    created_at: datetime
    updated_at: datetime
    # What a page shows beside the listing, read in the page query itself (joins), so that shaping the page
    # needs no look-up queries: its antenna's slug and its member's display name. Not the listing's columns;
    # None on a row not read by the page query.
    antenna_slug: str | None = field(default=None, kw_only=True)
    member_name: str | None = field(default=None, kw_only=True)


JOINED_FIELDS = ("antenna_slug", "member_name")


@dataclass(frozen=True, slots=True)
class RequestRow(OfferRow):
    """A request's columns for a page of listings."""

    needed_by: date | None
    minutes: int | None


ListingRow = OfferRow | RequestRow
_ROW_TYPES: dict[type[Listing], type[ListingRow]] = {Offer: OfferRow, HelpRequest: RequestRow}


def listing_by_id(session: Session, model: type[ListingT], listing_id: int, *, lock: bool = False) -> ListingT | None:
    """An offer or a request by id; `lock` takes its row lock (SELECT ... FOR UPDATE) for a change."""
    return session.get(model, listing_id, with_for_update=lock)


_SET_REQUEST_STATUS = (
    update(HelpRequest)
    .where(
        col(HelpRequest.id) == bindparam("request_id"),
        or_(col(HelpRequest.status) == ListingStatus.OPEN, col(HelpRequest.status) == ListingStatus.MATCHED),
    )
    .values(status=bindparam("status", type_=HelpRequest.__table__.c.status.type))  # type: ignore[attr-defined]  # SQLModel's table
)


def set_request_status_if_open(session: Session, request_id: int, status: ListingStatus) -> None:
    """A request still open or matched takes `status` (one UPDATE, built once; a closed or withdrawn one
    keeps its own). Run past the ORM, with the transaction's next statement (store.deferred); a request object
    the session holds reads its status afresh (that read sends the write first)."""
    defer_write(session, _SET_REQUEST_STATUS, {"request_id": request_id, "status": status})
    held = session.identity_map.get(identity_key(HelpRequest, request_id))
    if held is not None:
        session.expire(held, ["status"])


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


@dataclass(frozen=True, slots=True)
class SeenAntenna:
    """One antenna by its slug, if `member_id` is an approved member of it or `moderator_id` moderates it
    (store.memberships.approved_or_moderated_antenna_ids), checked inside the page query itself."""

    slug: str
    member_id: int
    moderator_id: int


def list_listings(
    session: Session,
    model: type[Listing],
    *,
    antenna_ids: set[int] | SeenAntenna,
    category: str | None,
    member_id: int | None,
    statuses: tuple[ListingStatus, ...],
    bbox: tuple[float, float, float, float] | None,
    before_id: int | None,
    limit: int,
) -> list[ListingRow]:
    """Newest first, keyset-paginated on id; `bbox` (south, west, north, east) narrows to an area.

    `antenna_ids`: the antennas to show, or one antenna by slug shown only to whom it is visible (no rows
    for an antenna that is unknown or not theirs). The rows are OfferRow or RequestRow (columns, no ORM
    objects): a page only reads them."""
    seen = antenna_ids if isinstance(antenna_ids, SeenAntenna) else None
    if not antenna_ids:
        return []
    query = _listing_page(
        model,
        by_category=category is not None,
        by_member=member_id is not None,
        in_box=bbox is not None,
        before=before_id is not None,
        seen_by_slug=seen is not None,
    )
    params: dict[str, Any] = {"statuses": list(statuses), "limit": limit}
    if seen is not None:
        params |= {"slug": seen.slug, "seen_member_id": seen.member_id, "seen_moderator_id": seen.moderator_id}
    else:
        params["antenna_ids"] = sorted(antenna_ids)  # type: ignore[arg-type]  # a set here (not SeenAntenna)
    if category is not None:
        params["category"] = category
    if member_id is not None:
        params["member_id"] = member_id
    if bbox is not None:
        params |= dict(zip(("south", "west", "north", "east"), bbox, strict=True))
    if before_id is not None:
        params["before_id"] = before_id
    row_type: Any = _ROW_TYPES[model]  # built from the columns it names, in order (see _listing_page)
    return [
        row_type(*row[:-2], antenna_slug=row[-2], member_name=row[-1]) for row in read_columns(session, query, params)
    ]


_JOINED_COLUMNS: tuple[Any, ...] = (Antenna.slug, Member.display_name)  # JOINED_FIELDS, in order


@cache
def _listing_page(
    model: type[Listing], *, by_category: bool, by_member: bool, in_box: bool, before: bool, seen_by_slug: bool
) -> Select[Any]:
    """The page query for one kind of listing and combination of filters, built once with bound parameters
    (building it per call costs its construction and cache key on every request): the columns of its row
    type, in that order, then the antenna's slug and the member's name."""
    columns: list[Any] = [getattr(model, f.name) for f in fields(_ROW_TYPES[model]) if f.name not in JOINED_FIELDS]
    query: Select[Any] = (
        select(*columns, *_JOINED_COLUMNS)
        .join(Antenna, col(Antenna.id) == col(model.antenna_id))
        .join(Member, col(Member.id) == col(model.member_id))
    )
    if seen_by_slug:
        query = query.where(
            col(Antenna.slug) == bindparam("slug"),
            col(model.antenna_id).in_(
                approved_or_moderated_antenna_ids_query(member_id="seen_member_id", moderator_id="seen_moderator_id")
            ),
        )
    else:
        query = query.where(col(model.antenna_id).in_(bindparam("antenna_ids", expanding=True)))
    query = query.where(col(model.status).in_(bindparam("statuses", expanding=True)))
    if by_category:
        query = query.where(col(model.category) == bindparam("category"))
    if by_member:
        query = query.where(col(model.member_id) == bindparam("member_id"))
    if in_box:
        query = query.where(
            col(model.lat).between(bindparam("south"), bindparam("north")),
            col(model.lon).between(bindparam("west"), bindparam("east")),
        )
    if before:
        query = query.where(col(model.id) < bindparam("before_id"))
    return query.order_by(col(model.id).desc()).limit(bindparam("limit", type_=Integer))


def listings_of_member(session: Session, member_id: int) -> tuple[list[Offer], list[HelpRequest]]:
    offers = list(session.exec(select(Offer).where(Offer.member_id == member_id).order_by(col(Offer.id))))
    requests = list(
        session.exec(select(HelpRequest).where(HelpRequest.member_id == member_id).order_by(col(HelpRequest.id)))
    )
    return offers, requests
