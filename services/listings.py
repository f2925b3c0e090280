"""Offers and requests: posting, finding (by antenna, category, distance) and changing them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from domain import geo
from domain.background import AVAILABILITY_SLOTS
from domain.categories import CATEGORY_KEYS
from domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from domain.time_units import validate_minutes
from services.actors import Actor
from services.proposals import end_proposals_of_listing
from store.antennas import Antenna, antenna_id_by_slug, get_antenna
from store.base import utcnow
from store.listings import (
    HelpRequest,
    Listing,
    ListingRow,
    ListingStatus,
    ListingT,
    SeenAntenna,
    list_listings,
    listing_by_id,
)
from store.memberships import approved_antenna_ids, approved_or_moderated_antenna_ids

MAX_ESTIMATE_MINUTES = 24 * 60
_VISIBLE_STATUSES = (ListingStatus.OPEN, ListingStatus.MATCHED)


@dataclass(frozen=True, slots=True)
class ListingInput:
    antenna: Antenna
    category: str
    title: str
    description: str = ""
    availability: list[str] | None = None
    needed_by: date | None = None
    minutes: int | None = None


def visible_antenna_ids(session: Session, actor: Actor) -> set[int]:
    """Listings are seen by approved members of their antenna and by its moderators."""
    if actor.on_behalf:  # a moderator acting for someone stays in their antennas
        return approved_antenna_ids(session, actor.member_id) & actor.on_behalf_antenna_ids
    return approved_or_moderated_antenna_ids(session, member_id=actor.member_id, moderator_id=actor.acting_id)


def _check_fields(
    *, category: str | None, availability: list[str] | None, minutes: int | None, step: int, needed_by: date | None
) -> None:
    # A rule of the clock, so checked here (not in the request schema): "today" is the service's today in UTC.
    if needed_by is not None and needed_by < utcnow().date():
        raise InvalidInput("error.listing.needed_by_past", field="needed_by")
    if category is not None and category not in CATEGORY_KEYS:
        raise InvalidInput("error.listing.category", field="category")
    if availability:
        unknown = [slot for slot in availability if slot not in AVAILABILITY_SLOTS]
        if unknown:
            raise InvalidInput("error.listing.availability", field="availability", value=unknown[0])
    if minutes is not None:
        # A request's estimate follows the same time-step rule as a confirmation; it may span a whole day.
        validate_minutes(minutes, step=step, maximum=MAX_ESTIMATE_MINUTES)


def create_listing(session: Session, actor: Actor, model: type[ListingT], data: ListingInput) -> ListingT:
    antenna = data.antenna
    assert antenna.id is not None
    actor.require_antenna(antenna.id)
    if antenna.id not in approved_antenna_ids(session, actor.member_id):
        raise NotAllowed("error.listing.not_a_member")
    member = actor.member
    if member.location_lat is None or member.location_lon is None:
        raise InvalidInput("error.location.required", field="location")
    step = antenna.declaration().time_step_minutes
    _check_fields(
        category=data.category,
        availability=data.availability,
        minutes=data.minutes,
        step=step,
        needed_by=data.needed_by,
    )
    listing = model(
        antenna_id=antenna.id,
        member_id=actor.member_id,
        category=data.category,
        title=data.title.strip(),
        description=data.description.strip(),
        availability=sorted(set(data.availability)) if data.availability else None,
        lat=member.location_lat,
        lon=member.location_lon,
    )
    if isinstance(listing, HelpRequest):
        listing.needed_by, listing.minutes = data.needed_by, data.minutes
    session.add(listing)
    session.flush()
    return listing


def get_listing(session: Session, actor: Actor, model: type[ListingT], listing_id: int) -> ListingT:
    listing = listing_by_id(session, model, listing_id)
    if listing is None or listing.antenna_id not in visible_antenna_ids(session, actor):
        raise NotFound()
    if listing.status == ListingStatus.WITHDRAWN and listing.member_id != actor.member_id:
        raise NotFound()
    return listing


def _own_listing(session: Session, actor: Actor, model: type[ListingT], listing_id: int) -> ListingT:
    listing = listing_by_id(session, model, listing_id, lock=True)
    if listing is not None and listing.member_id == actor.member_id:
        actor.require_antenna(listing.antenna_id)  # the member's own, but outside the moderator's antennas
    if listing is None or listing.antenna_id not in visible_antenna_ids(session, actor):
        raise NotFound()
    if listing.member_id != actor.member_id:
        raise NotAllowed("error.listing.not_yours")
    if listing.status == ListingStatus.WITHDRAWN:
        raise NotFound()
    return listing


def update_listing(
    session: Session, actor: Actor, model: type[ListingT], listing_id: int, *, changes: dict[str, Any]
) -> ListingT:
    listing = _own_listing(session, actor, model, listing_id)
    if listing.status != ListingStatus.OPEN:
        # A matched request has a helper who agreed to what it said; a closed one is history.
        raise Conflict("error.listing.not_editable", status=listing.status.value)
    antenna = get_antenna(session, listing.antenna_id)
    assert antenna is not None
    _check_fields(
        category=changes.get("category"),
        availability=changes.get("availability"),
        minutes=changes.get("minutes"),
        step=antenna.declaration().time_step_minutes,
        needed_by=changes.get("needed_by"),
    )
    for name, value in changes.items():
        if name == "availability" and value:
            value = sorted(set(value))
        if name in ("title", "description") and isinstance(value, str):
            value = value.strip()
        setattr(listing, name, value)
    listing.updated_at = utcnow()
    session.add(listing)
    session.flush()
    return listing


def withdraw_listing(session: Session, actor: Actor, model: type[Listing], listing_id: int) -> None:
    listing = _own_listing(session, actor, model, listing_id)
    now = utcnow()
    listing.status, listing.updated_at = ListingStatus.WITHDRAWN, now
    session.add(listing)
    # Locked listing first, then its proposals: the order answering a proposal uses too.
    end_proposals_of_listing(session, listing, now=now)
    session.flush()


@dataclass(frozen=True, slots=True)
class ListingQuery:
    antenna: str | None = None  # one antenna's listings only (its slug)
    category: str | None = None
    near_km: float | None = None
    mine: bool = False
    before_id: int | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class ListingPage:
    items: list[tuple[ListingRow, float | None]]  # each with its distance from the caller in km, if known
    next_before_id: int | None


def _antennas_of_the_page(session: Session, actor: Actor, antenna: str | None) -> set[int] | SeenAntenna:
    """The antennas a listing page may show: those visible to the actor, narrowed to `antenna` (a slug) if
    given. A member's own page of one antenna checks the slug and its visibility in the page query itself
    (one query instead of two); acting on behalf narrows to the moderator's antennas as well."""
    if antenna is None:
        return visible_antenna_ids(session, actor)
    if not actor.on_behalf:
        return SeenAntenna(slug=antenna, member_id=actor.member_id, moderator_id=actor.acting_id)
    return visible_antenna_ids(session, actor) & {_known_antenna(session, antenna)}


def _known_antenna(session: Session, slug: str) -> int:
    antenna_id = antenna_id_by_slug(session, slug)
    if antenna_id is None:
        raise NotFound("error.antenna.unknown")
    return antenna_id


def find_listings(session: Session, actor: Actor, model: type[Listing], query: ListingQuery) -> ListingPage:
    antennas = _antennas_of_the_page(session, actor, query.antenna)
    try:
        page = _listing_page(session, actor, model, query, antennas)
    except InvalidInput:
        if isinstance(antennas, SeenAntenna):
            _known_antenna(session, antennas.slug)  # an unknown antenna is 404 before anything else
        raise
    if isinstance(antennas, SeenAntenna) and not page.items and page.next_before_id is None:
        _known_antenna(session, antennas.slug)  # no rows: unknown (404), or not theirs or empty (an empty page)
    return page


def _listing_page(
    session: Session, actor: Actor, model: type[Listing], query: ListingQuery, antennas: set[int] | SeenAntenna
) -> ListingPage:
    if query.category is not None and query.category not in CATEGORY_KEYS:
        raise InvalidInput("error.listing.category", field="category")
    origin = None
    if actor.member.location_lat is not None and actor.member.location_lon is not None:
        origin = (actor.member.location_lat, actor.member.location_lon)
    bbox = None
    if query.near_km is not None:
        if origin is None:
            raise InvalidInput("error.location.required", field="near_km")
        bbox = _bounding_box(origin, query.near_km + 0.5)  # rounding may bring a farther one within
    statuses = (*_VISIBLE_STATUSES, ListingStatus.CLOSED) if query.mine else (ListingStatus.OPEN,)
    items: list[tuple[ListingRow, float | None]] = []
    before_id = query.before_id
    # The bounding box is square, the filter round: fetch in batches until the page is full.
    while len(items) < query.limit:
        batch = list_listings(
            session,
            model,
            antenna_ids=antennas,
            category=query.category,
            member_id=actor.member_id if query.mine else None,
            statuses=statuses,
            bbox=bbox,
            before_id=before_id,
            limit=query.limit,
        )
        points = [(lst.lat, lst.lon) if lst.lat is not None and lst.lon is not None else None for lst in batch]
        for listing, distance in zip(batch, geo.distances_km(origin, points), strict=True):
            before_id = listing.id
            if query.near_km is not None and (distance is None or geo.published_km(distance) > query.near_km):
                continue
            items.append((listing, distance))
            if len(items) == query.limit:
                break
        if len(batch) < query.limit:
            return ListingPage(items=items, next_before_id=None)
    return ListingPage(items=items, next_before_id=before_id)


def _bounding_box(origin: tuple[float, float], km: float) -> tuple[float, float, float, float]:
    lat, lon = origin
    dlat = km / 111.0 + 0.001
    dlon = km / (111.0 * math.cos(math.radians(lat))) + 0.001
    return lat - dlat, lon - dlon, lat + dlat, lon + dlon
