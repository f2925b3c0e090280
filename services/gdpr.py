"""The member's rights: a copy of everything held about them, and erasure that keeps the books right.

The export is gathered here as rows (`MemberData`) and shaped by the API with its own models
(`api/export.py`, `ExportOut`), so a member's copy reads exactly like the API's answers. A feature that
stores personal data adds its rows to `MemberData` (and a field to `ExportOut`, which the schema test
checks) and, if it holds free text or identifying data, a step to ERASURE_STEPS, so export and erasure
stay complete as the service grows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services import desk
from services.actors import Actor
from services.gdpr_exchanges import ExchangeData, delete_notifications, end_open_commitments, exchange_data
from services.gdpr_neighbours import NeighbourData, erase_neighbour_data, neighbour_data
from store.accounts import DeskAccount, get_desk_account
from store.antennas import Antenna, remove_moderator_roles
from store.audit import AuditEntry, audit_about_member
from store.background import MemberBackground, delete_background, get_background
from store.base import utcnow
from store.listings import HelpRequest, ListingStatus, Offer, listings_of_member
from store.login_failures import clear_failures
from store.members import Member
from store.memberships import Membership, memberships_with_antennas

ErasureStep = Callable[[Session, int], None]


@dataclass(frozen=True, slots=True)
class MemberData:
    """Everything held about one member, as rows, gathered in one pass of a fixed number of queries."""

    generated_at: datetime
    member: Member
    # The background is seen by nobody but the member: for a moderator acting for them it is None here,
    # and the profile says only whether consent was given.
    background: MemberBackground | None
    desk_account: DeskAccount | None
    memberships: list[tuple[Membership, Antenna]]
    offers: list[Offer]
    requests: list[HelpRequest]
    audit: list[AuditEntry]  # entries about the member (decisions on them, acts for them), oldest first
    exchanges: ExchangeData
    neighbours: NeighbourData


def collect_export(session: Session, actor: Actor) -> MemberData:
    member_id = actor.member_id
    offers, requests = listings_of_member(session, member_id)
    return MemberData(
        generated_at=utcnow(),
        member=actor.member,
        background=None if actor.on_behalf else get_background(session, member_id),
        desk_account=get_desk_account(session, member_id),
        memberships=memberships_with_antennas(session, member_id),
        offers=list(offers),
        requests=list(requests),
        audit=audit_about_member(session, member_id),
        exchanges=exchange_data(session, member_id),
        neighbours=neighbour_data(session, member_id),
    )


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
    remove_moderator_roles(session, member_id)
    if member.email:
        clear_failures(session, email=member.email)
    member.email = member.password_hash = None
    member.display_name = f"Former member {member_id}"
    member.location_postcode = member.location_lat = member.location_lon = None
    member.is_admin = member.is_analyst = False
    member.paused = True
    member.erased_at = utcnow()
    session.add(member)
    session.flush()
