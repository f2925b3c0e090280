"""The ledger, proposals, exchanges and notifications in a member's export, and what erasure does to them.

Erasure keeps every ledger entry (under the anonymous shell, so all other balances stay right), ends the
member's open proposals and planned exchanges, and removes the free text they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.exchanges import ExchangeState, ProposalState
from services.statements import Statement, member_statement
from store.base import utcnow
from store.exchanges import Exchange, exchanges_involving
from store.notifications import Notification, delete_notifications_of, notifications_of
from store.proposals import OPEN_PROPOSAL_STATES, Proposal, proposals_involving

# A statement is read whole for an export; no member comes near this many entries.
_ALL_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class ExchangeData:
    proposals: list[Proposal]  # every proposal the member is a party to, pending review included, oldest first
    exchanges: list[Exchange]  # oldest first
    statement: Statement  # the balance and every ledger entry, newest first (as GET /v1/me/ledger)
    notifications: list[Notification]  # oldest first


def exchange_data(session: Session, member_id: int) -> ExchangeData:
    return ExchangeData(
        proposals=proposals_involving(session, member_id),
        exchanges=exchanges_involving(session, member_id),
        statement=member_statement(session, member_id=member_id, before_id=None, limit=_ALL_ENTRIES),
        notifications=notifications_of(session, member_id),
    )


def end_open_commitments(session: Session, member_id: int) -> None:
    now = utcnow()
    for proposal in proposals_involving(session, member_id):
        if proposal.helper_id == member_id or proposal.initiator is not None:
            proposal.message = None
        if proposal.state in OPEN_PROPOSAL_STATES:
            proposal.state, proposal.state_since, proposal.live_key = ProposalState.WITHDRAWN, now, None
        session.add(proposal)
    for exchange in exchanges_involving(session, member_id):
        if exchange.state is ExchangeState.PLANNED:
            exchange.state, exchange.state_since = ExchangeState.CANCELLED, now
        exchange.note = None
        session.add(exchange)


def delete_notifications(session: Session, member_id: int) -> None:
    delete_notifications_of(session, member_id)
