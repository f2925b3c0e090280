"""Leaving an antenna (or withdrawing a pending request to join it).

What the member had going on in that antenna ends with them: open listings and proposals are withdrawn,
planned exchanges are cancelled and the other party is told. The ledger is not touched: minutes already
settled stay where they are. Rows are locked in one order: membership, exchanges, proposals, listings.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from domain.audit import AuditAction
from domain.errors import NotFound
from domain.exchanges import ExchangeState, Party, ProposalState
from services.actors import Actor
from services.notifications import notify
from store import audit
from store.antennas import Antenna
from store.base import utcnow
from store.exchanges import Exchange, get_exchange_for_update
from store.listings import HelpRequest, ListingStatus, Offer
from store.memberships import Membership, MembershipStatus
from store.notifications import NotificationKind
from store.proposals import OPEN_PROPOSAL_STATES, Proposal, get_proposal_for_update


@dataclass(frozen=True, slots=True)
class Departure:
    was: MembershipStatus
    exchanges_cancelled: int
    proposals_withdrawn: int
    listings_withdrawn: int


def _membership_for_update(session: Session, *, member_id: int, antenna_id: int) -> Membership | None:
    return session.exec(
        select(Membership)
        .where(Membership.member_id == member_id, Membership.antenna_id == antenna_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def leave_antenna(session: Session, actor: Actor, antenna: Antenna) -> Departure:
    assert antenna.id is not None
    member_id = actor.member_id
    membership = _membership_for_update(session, member_id=member_id, antenna_id=antenna.id)
    if membership is None or membership.status not in (MembershipStatus.PENDING, MembershipStatus.APPROVED):
        raise NotFound("error.membership.none")
    was = membership.status
    now = utcnow()
    membership.status, membership.decided_at = MembershipStatus.LEFT, now
    session.add(membership)

    party_of_member = (Exchange.helper_id == member_id) | (Exchange.receiver_id == member_id)
    planned = session.exec(
        select(Exchange.id).where(
            Exchange.antenna_id == antenna.id, Exchange.state == ExchangeState.PLANNED, party_of_member
        )
    )
    cancelled = 0
    for exchange_id in sorted(i for i in planned if i is not None):
        exchange = get_exchange_for_update(session, exchange_id)
        if exchange is None or exchange.state is not ExchangeState.PLANNED:
            continue
        leaver = Party.HELPER if exchange.helper_id == member_id else Party.RECEIVER
        other_id = exchange.receiver_id if leaver is Party.HELPER else exchange.helper_id
        exchange.state, exchange.state_since, exchange.cancelled_by = ExchangeState.CANCELLED, now, leaver
        session.add(exchange)
        if exchange.request_id is not None:
            request = session.get(HelpRequest, exchange.request_id)
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

    open_proposals = session.exec(
        select(Proposal.id).where(
            Proposal.antenna_id == antenna.id,
            col(Proposal.state).in_(OPEN_PROPOSAL_STATES),
            (Proposal.helper_id == member_id) | (Proposal.receiver_id == member_id),
        )
    )
    withdrawn = 0
    for proposal_id in sorted(i for i in open_proposals if i is not None):
        proposal = get_proposal_for_update(session, proposal_id)
        if proposal is None or proposal.state not in OPEN_PROPOSAL_STATES:
            continue
        proposal.state, proposal.state_since, proposal.live_key = ProposalState.WITHDRAWN, now, None
        session.add(proposal)
        withdrawn += 1

    listings = 0
    for model in (Offer, HelpRequest):
        rows = session.exec(
            select(model)
            .where(
                model.antenna_id == antenna.id,
                model.member_id == member_id,
                col(model.status).in_((ListingStatus.OPEN, ListingStatus.MATCHED)),
            )
            .with_for_update()
        )
        for listing in rows:
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
