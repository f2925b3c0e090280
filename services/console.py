"""What an antenna's moderators have to look at today: each a count that leads to its list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from domain.audit import AuditAction
from domain.errors import NotFound
from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import beyond_anchor
from services import conversations
from services.actors import Actor
from services.statements import antenna_ledger
from store import audit
from store import console as queries
from store.antennas import Antenna
from store.conversations import Message
from store.exchanges import Exchange
from store.lookups import exchange_ids_by_proposal
from store.members import Member
from store.memberships import Membership, MembershipStatus


@dataclass(frozen=True, slots=True)
class TodaysWork:
    pending_memberships: int
    review_queue: int
    disputes: int
    waiting: int
    without_first_exchange: int
    past_anchor: int
    reports: int


def waiting_exchanges(session: Session, *, antenna: Antenna, now: datetime, waiting_days: int) -> list[Exchange]:
    """Planned exchanges still waiting for both confirmations `waiting_days` after planning: a phone call is due
    (settings.console_waiting_days)."""
    assert antenna.id is not None
    return queries.exchanges_waiting(session, antenna_id=antenna.id, planned_before=now - timedelta(days=waiting_days))


def accounts_past_anchor(session: Session, *, antenna: Antenna) -> list[tuple[Member, int]]:
    """Members whose balance is past one of the antenna's anchors (given or received much more than the other)."""
    limits = antenna.declaration().credit
    ledger = antenna_ledger(session, antenna=antenna, before_id=None, limit=0)
    return [(m, b) for m, b in ledger.accounts if m is not None and beyond_anchor(b, limits)]


def without_first_exchange(session: Session, *, antenna: Antenna) -> list[tuple[Member, Membership]]:
    assert antenna.id is not None
    return queries.members_without_exchange(session, antenna_id=antenna.id)


def todays_work(session: Session, *, antenna: Antenna, now: datetime, waiting_days: int) -> TodaysWork:
    assert antenna.id is not None
    return TodaysWork(
        pending_memberships=queries.count_memberships(session, antenna_id=antenna.id, status=MembershipStatus.PENDING),
        review_queue=queries.count_proposals(session, antenna_id=antenna.id, state=ProposalState.PENDING_REVIEW),
        disputes=queries.count_exchanges(session, antenna_id=antenna.id, state=ExchangeState.DISPUTED),
        waiting=len(waiting_exchanges(session, antenna=antenna, now=now, waiting_days=waiting_days)),
        without_first_exchange=len(without_first_exchange(session, antenna=antenna)),
        past_anchor=len(accounts_past_anchor(session, antenna=antenna)),
        reports=queries.count_open_reports(session, antenna_id=antenna.id),
    )


def member_thread(
    session: Session, actor: Actor, *, antenna: Antenna, member_id: int, proposal_id: int
) -> conversations.Thread:
    """A conversation of one of the member's proposals in this antenna, read by `actor` (the moderator, or
    the moderator acting for the member): the exchange's thread once the proposal led to one."""
    thread = conversations.proposal_thread(session, actor, proposal_id)
    proposal = thread.proposal
    if proposal.antenna_id != antenna.id or member_id not in (proposal.helper_id, proposal.receiver_id):
        raise NotFound()
    exchange_id = exchange_ids_by_proposal(session, [proposal_id]).get(proposal_id)
    return conversations.exchange_thread(session, actor, exchange_id) if exchange_id else thread


def write_as_antenna(
    session: Session, moderator: Actor, thread: conversations.Thread, *, text: str, member_id: int, route: str
) -> Message:
    """A moderator writes in a member's conversation as the antenna (the API's rule), and the audit trail
    keeps who wrote it, for which member's page, and where."""
    if not thread.as_antenna:
        # The moderator is a party of this proposal: they write as themselves, in their own app.
        raise NotFound()
    message = conversations.post(session, moderator, thread, text=text)
    audit.record(
        session,
        actor_id=moderator.acting_id,
        action=AuditAction.CONVERSATION_AS_ANTENNA,
        antenna_id=thread.proposal.antenna_id,
        subject_member_id=member_id,
        detail={"proposal_id": thread.proposal.id, "message_id": message.id, audit.ROUTE: route},
    )
    session.flush()
    return message
