"""Proposals: members offering themselves for a request (or asking for an offer), moderators deciding,
both members answering. Every step goes through domain.exchanges; rows are locked while they change."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain import exchanges as rules
from domain.audit import AuditAction
from domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from domain.exchanges import Origin, Party, ProposalState
from services import events
from services.actors import Actor
from store import audit
from store.antennas import Antenna, get_antenna, is_moderator
from store.base import row_id, utcnow
from store.exchanges import Exchange
from store.listings import HelpRequest, Listing, ListingStatus, Offer, listing_by_id
from store.members import Member
from store.memberships import approved_antenna_ids
from store.proposals import (
    OPEN_PROPOSAL_STATES,
    Proposal,
    ProposalRow,
    get_proposal,
    get_proposal_for_update,
    live_key,
    open_proposals_of_listing,
    stale_open_proposals,
)
from store.safety import blocked_between


def to_rule(row: Proposal) -> rules.Proposal:
    accepted = {p for p, yes in ((Party.HELPER, row.helper_accepted), (Party.RECEIVER, row.receiver_accepted)) if yes}
    return rules.Proposal(
        origin=row.origin,
        initiator=row.initiator,
        state=row.state,
        created_at=row.created_at,
        state_since=row.state_since,
        accepted_by=frozenset(accepted),
        declined_by=row.declined_by,
        reason=row.reason,
    )


def _store(row: Proposal, value: rules.Proposal) -> None:
    row.state, row.state_since = value.state, value.state_since
    row.helper_accepted = Party.HELPER in value.accepted_by
    row.receiver_accepted = Party.RECEIVER in value.accepted_by
    row.declined_by, row.reason = value.declined_by, value.reason
    if value.state not in OPEN_PROPOSAL_STATES:
        row.live_key = None  # frees the pair for a later proposal


def _antenna(session: Session, antenna_id: int) -> Antenna:
    antenna = get_antenna(session, antenna_id)
    assert antenna is not None
    return antenna


def _insert(session: Session, proposal: Proposal) -> Proposal:
    proposal.live_key = live_key(
        request_id=proposal.request_id,
        offer_id=proposal.offer_id,
        helper_id=proposal.helper_id,
        receiver_id=proposal.receiver_id,
    )
    try:
        with session.begin_nested():
            session.add(proposal)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("error.proposal.duplicate") from exc
    return proposal


def respond_to_request(session: Session, actor: Actor, *, request_id: int, message: str | None) -> Proposal:
    """The caller offers to help with someone's request."""
    request = listing_by_id(session, HelpRequest, request_id, lock=True)
    return _respond(session, actor, listing=request, initiator=Party.HELPER, message=message)


def respond_to_offer(session: Session, actor: Actor, *, offer_id: int, message: str | None) -> Proposal:
    """The caller asks for the help someone offers."""
    # Locked like a request, so a withdrawal of the offer cannot miss a proposal made at the same moment.
    offer = listing_by_id(session, Offer, offer_id, lock=True)
    return _respond(session, actor, listing=offer, initiator=Party.RECEIVER, message=message)


def _respond(
    session: Session, actor: Actor, *, listing: HelpRequest | Offer | None, initiator: Party, message: str | None
) -> Proposal:
    """A member's own proposal: the poster of the listing is the other party."""
    if listing is None or listing.antenna_id not in approved_antenna_ids(session, actor.member_id):
        raise NotFound()
    actor.require_antenna(listing.antenna_id)
    is_request = isinstance(listing, HelpRequest)
    if listing.member_id == actor.member_id:
        raise InvalidInput("error.proposal.own_listing", field="request_id" if is_request else "offer_id")
    if listing.status != ListingStatus.OPEN:
        raise Conflict("error.proposal.listing_closed")
    if blocked_between(session, actor.member_id, listing.member_id):
        raise NotAllowed("error.block.no_contact")
    antenna = _antenna(session, listing.antenna_id)
    value = rules.new_proposal(
        origin=Origin.MEMBER, initiator=initiator, lifecycle=antenna.declaration().lifecycle, now=utcnow()
    )
    helper_id, receiver_id = (
        (actor.member_id, listing.member_id) if initiator is Party.HELPER else (listing.member_id, actor.member_id)
    )
    row = Proposal(
        antenna_id=listing.antenna_id,
        request_id=listing.id if is_request else None,
        offer_id=None if is_request else listing.id,
        helper_id=helper_id,
        receiver_id=receiver_id,
        category=listing.category,
        minutes=listing.minutes if isinstance(listing, HelpRequest) else None,
        origin=Origin.MEMBER,
        initiator=initiator,
        message=message,
    )
    _store(row, value)
    _insert(session, row)
    events.proposal_opened(session, row)
    return row


def visible_proposal(session: Session, actor: Actor, proposal_id: int, *, lock: bool = False) -> Proposal:
    """A party sees it once it is past review (or if they made it); moderators of its antenna always."""
    row = get_proposal_for_update(session, proposal_id) if lock else get_proposal(session, proposal_id)
    if row is None:
        raise NotFound()
    if actor.member_id in (row.helper_id, row.receiver_id):
        if row.state is ProposalState.PENDING_REVIEW and row.origin is Origin.SCHEDULER:
            raise NotFound()
        actor.require_antenna(row.antenna_id)
        return row
    if not actor.on_behalf and is_moderator(session, member_id=actor.acting_id, antenna_id=row.antenna_id):
        return row
    raise NotFound()


def party_of(row: Proposal | ProposalRow | Exchange, member_id: int) -> Party:
    if member_id == row.helper_id:
        return Party.HELPER
    if member_id == row.receiver_id:
        return Party.RECEIVER
    raise NotFound()


def _moderated(session: Session, moderator: Member, proposal_id: int) -> Proposal:
    row = get_proposal_for_update(session, proposal_id)
    if row is None:
        raise NotFound()
    assert moderator.id is not None
    if not is_moderator(session, member_id=moderator.id, antenna_id=row.antenna_id):
        hidden = row.state is ProposalState.PENDING_REVIEW and row.origin is Origin.SCHEDULER
        if moderator.id in (row.helper_id, row.receiver_id) and not hidden:
            raise NotAllowed("error.moderator_only")  # a party sees it, but may not decide on it
        raise NotFound()  # another antenna's proposal answers exactly like a missing one
    return row


def _listing_of(session: Session, row: Proposal, *, lock: bool = False) -> Listing | None:
    if row.request_id is not None:
        return listing_by_id(session, HelpRequest, row.request_id, lock=lock)
    if row.offer_id is not None:
        return listing_by_id(session, Offer, row.offer_id, lock=lock)
    return None


def _refuse_if_withdrawn(listing: Listing | None) -> None:
    if listing is not None and listing.status == ListingStatus.WITHDRAWN:
        raise Conflict("error.proposal.listing_withdrawn")


def end_proposals_of_listing(session: Session, listing: Listing, *, now: datetime) -> int:
    """A withdrawn offer or request takes its open proposals with it; returns how many ended."""
    is_request = isinstance(listing, HelpRequest)
    rows = open_proposals_of_listing(
        session, request_id=listing.id if is_request else None, offer_id=None if is_request else listing.id
    )
    for row in rows:
        _store(row, rules.end_with_listing(to_rule(row), now=now).proposal)
        session.add(row)
    return len(rows)


def decide(session: Session, *, moderator: Member, proposal_id: int, approve: bool, reason: str | None) -> Proposal:
    row = _moderated(session, moderator, proposal_id)
    now = utcnow()
    if approve:
        _refuse_if_withdrawn(_listing_of(session, row))
        outcome = rules.approve_proposal(to_rule(row), now=now)
    else:
        outcome = rules.reject_proposal(to_rule(row), reason=reason, now=now)
    _store(row, outcome.proposal)
    row.decided_by, row.decided_at = moderator.id, now
    session.add(row)
    audit.record(
        session,
        actor_id=row_id(moderator),
        action=AuditAction.PROPOSAL_APPROVE if approve else AuditAction.PROPOSAL_REJECT,
        antenna_id=row.antenna_id,
        detail={
            "proposal_id": row.id,
            "reason": row.reason,
            "helper_id": row.helper_id,
            "receiver_id": row.receiver_id,
        },
    )
    if approve:
        events.proposal_opened(session, row)
    else:
        events.proposal_rejected(session, row)
    session.flush()
    return row


def answer(
    session: Session, actor: Actor, *, proposal_id: int, accept: bool, note: str | None = None
) -> tuple[Proposal, Exchange | None]:
    """A member accepts or declines; the second acceptance creates the exchange (once: the row is locked)."""
    if accept:
        # One lock order with withdrawing a listing (listing, then its proposals): accepting may mark
        # the request matched, and taking the locks the other way round would deadlock on PostgreSQL.
        _refuse_if_withdrawn(_listing_of(session, visible_proposal(session, actor, proposal_id), lock=True))
    row = visible_proposal(session, actor, proposal_id, lock=True)
    party = party_of(row, actor.member_id)
    now = utcnow()
    if accept:
        outcome = rules.accept_proposal(to_rule(row), party=party, now=now)
    else:
        outcome = rules.decline_proposal(to_rule(row), party=party, now=now, note=note)
    _store(row, outcome.proposal)
    session.add(row)
    exchange = _start_exchange(session, row, now=now) if outcome.create_exchange else None
    events.proposal_answered(session, row, by=party, exchange=exchange)
    session.flush()
    return row, exchange


def withdraw(session: Session, actor: Actor, *, proposal_id: int) -> Proposal:
    row = visible_proposal(session, actor, proposal_id, lock=True)
    outcome = rules.withdraw_proposal(to_rule(row), party=party_of(row, actor.member_id), now=utcnow())
    _store(row, outcome.proposal)
    session.add(row)
    session.flush()
    return row


def _start_exchange(session: Session, row: Proposal, *, now: datetime) -> Exchange:
    value = rules.new_exchange(to_rule(row), now=now)
    exchange = Exchange(
        proposal_id=row_id(row),
        antenna_id=row.antenna_id,
        helper_id=row.helper_id,
        receiver_id=row.receiver_id,
        category=row.category,
        request_id=row.request_id,
        offer_id=row.offer_id,
        state=value.state,
        planned_at=value.planned_at,
        state_since=value.state_since,
    )
    session.add(exchange)
    if row.request_id is not None:
        request = listing_by_id(session, HelpRequest, row.request_id)
        if request is not None and request.status == ListingStatus.OPEN:
            request.status = ListingStatus.MATCHED  # found a helper: no more proposals for it
            session.add(request)
    return exchange


def expire_stale_proposals(session: Session, *, antenna: Antenna, now: datetime) -> int:
    """Ends proposals nobody acted on within the antenna's proposal_expiry_days; returns how many."""
    lifecycle = antenna.declaration().lifecycle
    horizon = now - timedelta(days=lifecycle.proposal_expiry_days)
    expired = 0
    for candidate in stale_open_proposals(session, antenna_id=row_id(antenna), older_than=horizon):
        row = get_proposal_for_update(session, row_id(candidate))
        if row is None or not rules.is_proposal_expired(to_rule(row), now=now, lifecycle=lifecycle):
            continue
        _store(row, rules.expire_proposal(to_rule(row), now=now, lifecycle=lifecycle).proposal)
        session.add(row)
        expired += 1
    session.flush()
    return expired
