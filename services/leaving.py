"""Leaving an antenna (or withdrawing a pending request to join it).

What the member had going on in that antenna ends with them: open listings and proposals are withdrawn,
planned exchanges are cancelled and the other party is told. The ledger is not touched: minutes already
settled stay where they are. Rows are locked in one order: membership, exchanges, proposals, listings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.audit import AuditAction
from domain.errors import NotFound
from domain.exchanges import ExchangeState, Party, ProposalState
from services.actors import Actor
from services.notifications import notify
from store import audit
from store.antennas import Antenna
from store.base import utcnow
from store.exchanges import get_exchange_for_update, planned_exchange_ids_of_member
from store.listings import HelpRequest, ListingStatus, Offer, listing_by_id, live_listings_of_member_for_update
from store.memberships import MembershipStatus, get_membership_for_update
from store.notifications import NotificationKind
from store.proposals import OPEN_PROPOSAL_STATES, get_proposal_for_update, open_proposal_ids_of_member


@dataclass(frozen=True, slots=True)
class Departure:
    was: MembershipStatus
    exchanges_cancelled: int
    proposals_withdrawn: int
    listings_withdrawn: int


def leave_antenna(session: Session, actor: Actor, antenna: Antenna) -> Departure:
    assert antenna.id is not None
    member_id = actor.member_id
    membership = get_membership_for_update(session, member_id=member_id, antenna_id=antenna.id)
    if membership is None or membership.status not in (MembershipStatus.PENDING, MembershipStatus.APPROVED):
        raise NotFound("error.membership.none")
    was = membership.status
    now = utcnow()
    membership.status, membership.decided_at = MembershipStatus.LEFT, now
    session.add(membership)

    cancelled = 0
    for exchange_id in planned_exchange_ids_of_member(session, antenna_id=antenna.id, member_id=member_id):
        exchange = get_exchange_for_update(session, exchange_id)
        if exchange is None or exchange.state is not ExchangeState.PLANNED:
            continue
        leaver = Party.HELPER if exchange.helper_id == member_id else Party.RECEIVER
        other_id = exchange.receiver_id if leaver is Party.HELPER else exchange.helper_id
        exchange.state, exchange.state_since, exchange.cancelled_by = ExchangeState.CANCELLED, now, leaver
        session.add(exchange)
        if exchange.request_id is not None:
            request = listing_by_id(session, HelpRequest, exchange.request_id)
            if request is not None and request.member_id != member_id and request.status == ListingStatus.MATCHED:
                request.status = ListingStatus.OPEN  # the other's need is still there
                session.add(request)
        notify(
            session,
            member_id=other_id,
            kind=NotificationKind.EXCHANGE_CANCELLED_LEFT,
            subject_id=exchange.id,
            payload={"exchange_id": exchange.id, "category": exchange.category},
            now=now,
        )
        cancelled += 1

    withdrawn = 0
    for proposal_id in open_proposal_ids_of_member(session, antenna_id=antenna.id, member_id=member_id):
        proposal = get_proposal_for_update(session, proposal_id)
        if proposal is None or proposal.state not in OPEN_PROPOSAL_STATES:
            continue
        proposal.state, proposal.state_since, proposal.live_key = ProposalState.WITHDRAWN, now, None
        session.add(proposal)
        withdrawn += 1

    listings = 0
    for model in (Offer, HelpRequest):
        for listing in live_listings_of_member_for_update(session, model, antenna_id=antenna.id, member_id=member_id):
            listing.status, listing.updated_at = ListingStatus.WITHDRAWN, now
            session.add(listing)
            listings += 1

    audit.record(
        session,
        actor_id=actor.acting_id,
        action=AuditAction.MEMBERSHIP_LEAVE if was is MembershipStatus.APPROVED else AuditAction.MEMBERSHIP_WITHDRAW,
        antenna_id=antenna.id,
        subject_member_id=member_id,
        on_behalf=actor.on_behalf,
        detail={
            "membership_id": membership.id,
            "exchanges_cancelled": cancelled,
            "proposals_withdrawn": withdrawn,
            "listings_withdrawn": listings,
        },
    )
    session.flush()
    return Departure(was=was, exchanges_cancelled=cancelled, proposals_withdrawn=withdrawn, listings_withdrawn=listings)
