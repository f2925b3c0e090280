"""Rows for service tests, written directly (faster than HTTP when a test needs many of them)."""

from __future__ import annotations

from sqlmodel import Session

from buurtbank.gazetteer import postcode_centroid
from domain.exchanges import ExchangeState, Origin, ProposalState
from store.antennas import Antenna, get_antenna_by_slug
from store.base import utcnow
from store.exchanges import Exchange
from store.members import Member
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal


def antenna(session: Session, slug: str = "molenbeek") -> Antenna:
    found = get_antenna_by_slug(session, slug)
    assert found is not None
    return found


def member(session: Session, name: str, *, slug: str = "molenbeek", postcode: str = "1080") -> Member:
    lat, lon = postcode_centroid(postcode)
    row = Member(
        email=f"{name.lower()}@example.org",
        display_name=name,
        location_postcode=postcode,
        location_lat=lat,
        location_lon=lon,
    )
    session.add(row)
    session.flush()
    session.add(
        Membership(member_id=row.id, antenna_id=antenna(session, slug).id, status=MembershipStatus.APPROVED)  # type: ignore[arg-type]
    )
    session.flush()
    return row


def planned_exchange(
    session: Session, *, helper: Member, receiver: Member, slug: str = "molenbeek", helper_minutes: int | None = None
) -> Exchange:
    """An exchange both members accepted, optionally already confirmed by the helper."""
    where = antenna(session, slug)
    proposal = Proposal(
        antenna_id=where.id,  # type: ignore[arg-type]
        helper_id=helper.id,  # type: ignore[arg-type]
        receiver_id=receiver.id,  # type: ignore[arg-type]
        category="shopping",
        origin=Origin.MEMBER,
        state=ProposalState.ACCEPTED,
        helper_accepted=True,
        receiver_accepted=True,
    )
    session.add(proposal)
    session.flush()
    exchange = Exchange(
        proposal_id=proposal.id,  # type: ignore[arg-type]
        antenna_id=where.id,  # type: ignore[arg-type]
        helper_id=helper.id,  # type: ignore[arg-type]
        receiver_id=receiver.id,  # type: ignore[arg-type]
        category="shopping",
        state=ExchangeState.PLANNED,
        helper_minutes=helper_minutes,
        planned_at=utcnow(),
        state_since=utcnow(),
    )
    session.add(exchange)
    session.flush()
    return exchange
