"""A member's own profile: name, language, coarse location and consented background."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from buurtbank import gazetteer
from domain import geo
from domain.background import validate_background
from domain.errors import InvalidInput, NotAllowed
from services.actors import Actor
from store.antennas import antennas_with_ids
from store.background import MemberBackground, delete_background, get_background
from store.base import row_id, utcnow
from store.listings import HelpRequest, Offer, open_listings_of_member
from store.members import Member
from store.memberships import member_antenna_ids

_UNSET = object()


@dataclass(frozen=True, slots=True)
class LocationInput:
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class BackgroundInput:
    languages: list[str] | None = None
    origin: str | None = None
    age_band: str | None = None
    circle: str | None = None


@dataclass(frozen=True, slots=True)
class CoarseLocation:
    postcode: str | None
    lat: float
    lon: float


def resolve_location(location: LocationInput, *, geocoder: geo.Geocoder) -> CoarseLocation:
    """Turn what the member gave into a coarse point; an address is geocoded and then forgotten."""
    if location.postcode is not None:
        lat, lon = gazetteer.postcode_centroid(location.postcode)
        return CoarseLocation(postcode=location.postcode, lat=lat, lon=lon)
    if location.lat is not None and location.lon is not None:
        lat, lon = geo.coarsen(location.lat, location.lon)
        return CoarseLocation(postcode=None, lat=lat, lon=lon)
    if location.address:
        found = geocoder.geocode(location.address)
        if found is None:
            raise InvalidInput("error.location.address_not_found", field="location.address")
        lat, lon = geo.coarsen(*found)
        return CoarseLocation(postcode=None, lat=lat, lon=lon)
    raise InvalidInput("error.location.incomplete", field="location")


def allowed_circles(session: Session, member_id: int) -> set[str]:
    antenna_ids = member_antenna_ids(session, member_id)
    if not antenna_ids:
        return set()
    antennas = antennas_with_ids(session, antenna_ids)
    return {circle.key for antenna in antennas for circle in antenna.declaration().circles}


def update_profile(
    session: Session,
    actor: Actor,
    *,
    changes: dict[str, object],
    geocoder: geo.Geocoder,
) -> Member:
    """Apply the fields present in `changes` (display_name, language, location, background, background_consent).

    Background needs consent: declaring without it is refused; withdrawing consent deletes the declaration.
    """
    member = actor.member
    if actor.on_behalf and ("background" in changes or "background_consent" in changes):
        # Consent is the member's own to give, and what they declare is theirs alone to see.
        raise NotAllowed("error.on_behalf.background")
    if "display_name" in changes:
        member.display_name = str(changes["display_name"]).strip()
    if "language" in changes:
        member.language = str(changes["language"])
    if "location" in changes:
        _set_location(session, member, changes["location"], geocoder=geocoder)

    consent = changes.get("background_consent", _UNSET)
    existing = get_background(session, actor.member_id)
    if consent is False:
        if changes.get("background") is not None:
            raise InvalidInput("error.background.needs_consent", field="background")
        delete_background(session, actor.member_id)
    elif "background" in changes:
        declared = changes["background"]
        if declared is None:
            delete_background(session, actor.member_id)
        else:
            assert isinstance(declared, BackgroundInput)
            if consent is not True and existing is None:
                raise InvalidInput("error.background.needs_consent", field="background_consent")
            languages = validate_background(
                languages=declared.languages,
                origin=declared.origin,
                age_band=declared.age_band,
                circle=declared.circle,
                allowed_circles=allowed_circles(session, actor.member_id),
            )
            row = existing or MemberBackground(member_id=actor.member_id)
            row.languages, row.origin, row.age_band, row.circle = (
                languages,
                declared.origin,
                declared.age_band,
                declared.circle,
            )
            row.consented_at = utcnow()
            session.add(row)
    elif consent is True and existing is None:
        # Consent alone stores an empty declaration, so a later PATCH may fill it in.
        session.add(MemberBackground(member_id=actor.member_id))
    session.add(member)
    session.flush()
    return member


def _set_location(session: Session, member: Member, location: object, *, geocoder: geo.Geocoder) -> None:
    if location is None:
        member.location_postcode = member.location_lat = member.location_lon = None
    else:
        assert isinstance(location, LocationInput)
        coarse = resolve_location(location, geocoder=geocoder)
        member.location_postcode, member.location_lat, member.location_lon = coarse.postcode, coarse.lat, coarse.lon
    # Open listings follow the member, so distances stay true after a move.
    for model in (Offer, HelpRequest):
        listings = open_listings_of_member(session, model, row_id(member))
        for listing in listings:
            listing.lat, listing.lon = member.location_lat, member.location_lon
            session.add(listing)
