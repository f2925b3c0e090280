"""The member's rights: a copy of everything held about them, and erasure that keeps the books right.

Features that store personal data add a section to EXPORT_SECTIONS and, if they hold free text or
identifying data, a step to ERASURE_STEPS, so export and erasure stay complete as the service grows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, delete, select

from services import desk
from services.actors import Actor
from services.gdpr_exchanges import (
    delete_notifications,
    end_open_commitments,
    exchanges_section,
    ledger_section,
    notifications_section,
    proposals_section,
)
from services.gdpr_neighbours import erase_neighbour_data, neighbours_section
from store.antennas import Antenna, Moderator
from store.audit import audit_about_member
from store.background import delete_background, get_background
from store.base import utcnow
from store.listings import ListingStatus, listings_of_member
from store.login_failures import LoginFailure
from store.members import Member
from store.memberships import Membership

ExportSection = Callable[[Session, int], tuple[str, Any]]
ErasureStep = Callable[[Session, int], None]


def _profile(session: Session, member_id: int) -> tuple[str, Any]:
    member = session.get(Member, member_id)
    assert member is not None
    return "profile", {
        "id": member.id,
        "email": member.email,
        "display_name": member.display_name,
        "language": member.language,
        "roles": {"admin": member.is_admin, "analyst": member.is_analyst},
        "location": {"postcode": member.location_postcode, "lat": member.location_lat, "lon": member.location_lon},
        "paused": member.paused,
        "created_at": member.created_at.isoformat(),
    }


def _background(session: Session, member_id: int) -> tuple[str, Any]:
    row = get_background(session, member_id)
    if row is None:
        return "background", None
    return "background", {
        "languages": row.languages,
        "origin": row.origin,
        "age_band": row.age_band,
        "circle": row.circle,
        "consented_at": row.consented_at.isoformat(),
    }


def _memberships(session: Session, member_id: int) -> tuple[str, Any]:
    rows = session.exec(
        select(Membership, Antenna.slug).join(Antenna).where(Membership.member_id == member_id).order_by(Membership.id)  # type: ignore[arg-type]
    )
    return "memberships", [
        {"antenna": slug, "status": m.status.value, "requested_at": m.requested_at.isoformat()} for m, slug in rows
    ]


def _listings(session: Session, member_id: int) -> tuple[str, Any]:
    offers, requests = listings_of_member(session, member_id)

    def shape(listing: Any) -> dict[str, Any]:
        return {
            "id": listing.id,
            "category": listing.category,
            "title": listing.title,
            "description": listing.description,
            "availability": listing.availability,
            "status": listing.status.value,
            "created_at": listing.created_at.isoformat(),
        }

    return "listings", {"offers": [shape(o) for o in offers], "requests": [shape(r) for r in requests]}


def _audit(session: Session, member_id: int) -> tuple[str, Any]:
    return "audit_about_me", [
        {"action": e.action, "actor_id": e.actor_id, "on_behalf": e.on_behalf, "at": e.at.isoformat()}
        for e in audit_about_member(session, member_id)
    ]


EXPORT_SECTIONS: list[ExportSection] = [
    _profile,
    _background,
    _memberships,
    _listings,
    proposals_section,
    exchanges_section,
    ledger_section,
    notifications_section,
    neighbours_section,
    _audit,
    desk.export_section,
]


def export_member(session: Session, actor: Actor) -> dict[str, Any]:
    data: dict[str, Any] = {"generated_at": utcnow().isoformat()}
    for section in EXPORT_SECTIONS:
        name, value = section(session, actor.member_id)
        data[name] = value
    if actor.on_behalf:
        # Background data is seen by nobody but the member: a moderator helping them learns only whether
        # they consented to give it.
        data["background"] = {"consent": data["background"] is not None}
    return data


def _erase_listings(session: Session, member_id: int) -> None:
    offers, requests = listings_of_member(session, member_id)
    for listing in (*offers, *requests):
        listing.title, listing.description, listing.lat, listing.lon = "", "", None, None
        if listing.status in (ListingStatus.OPEN, ListingStatus.MATCHED):
            listing.status = ListingStatus.WITHDRAWN
        session.add(listing)


ERASURE_STEPS: list[ErasureStep] = [
    _erase_listings,
    end_open_commitments,
    erase_neighbour_data,
    delete_notifications,
    desk.erase_step,
]


def erase_member(session: Session, actor: Actor) -> None:
    """Remove personal data; keep the row as an anonymous shell so ledger entries still add up."""
    member = actor.member
    member_id = actor.member_id
    for step in ERASURE_STEPS:
        step(session, member_id)
    delete_background(session, member_id)
    session.exec(delete(Moderator).where(Moderator.member_id == member_id))  # type: ignore[arg-type]
    if member.email:
        session.exec(delete(LoginFailure).where(LoginFailure.email == member.email))  # type: ignore[arg-type]
    member.email = member.password_hash = None
    member.display_name = f"Former member {member_id}"
    member.location_postcode = member.location_lat = member.location_lon = None
    member.is_admin = member.is_analyst = False
    member.paused = True
    member.erased_at = utcnow()
    session.add(member)
    session.flush()
