"""The ledger, proposals, exchanges and notifications in a member's export, and what erasure does to them.

Erasure keeps every ledger entry (under the anonymous shell, so all other balances stay right), ends the
member's open proposals and planned exchanges, and removes the free text they wrote.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from domain.exchanges import ExchangeState, ProposalState
from services.statements import member_statement
from store.base import utcnow
from store.exchanges import Exchange
from store.notifications import Notification
from store.proposals import OPEN_PROPOSAL_STATES, Proposal


def ledger_section(session: Session, member_id: int) -> tuple[str, Any]:
    result = member_statement(session, member_id=member_id, before_id=None, limit=100_000)
    return "ledger", {
        "balance_minutes": result.balance,
        "entries": [
            {
                "transfer_id": line.transfer.id,
                "kind": line.transfer.kind.value,
                "minutes": line.entry.minutes,
                "counterparty": line.counterparty.display_name if line.counterparty else line.counterparty_pool,
                "exchange_id": line.transfer.exchange_id,
                "reason": line.transfer.reason,
                "at": line.entry.created_at.isoformat(),
            }
            for line in result.lines
        ],
    }


def _involving(model: type[Proposal] | type[Exchange], member_id: int) -> Any:
    return (
        select(model)
        .where((col(model.helper_id) == member_id) | (col(model.receiver_id) == member_id))
        .order_by(col(model.id))
    )


def proposals_section(session: Session, member_id: int) -> tuple[str, Any]:
    return "proposals", [
        {
            "id": p.id,
            "role": "helper" if p.helper_id == member_id else "receiver",
            "category": p.category,
            "state": p.state.value,
            "origin": p.origin.value,
            "message": p.message,
            "created_at": p.created_at.isoformat(),
        }
        for p in session.exec(_involving(Proposal, member_id))
    ]


def exchanges_section(session: Session, member_id: int) -> tuple[str, Any]:
    return "exchanges", [
        {
            "id": e.id,
            "role": "helper" if e.helper_id == member_id else "receiver",
            "category": e.category,
            "state": e.state.value,
            "helper_minutes": e.helper_minutes,
            "receiver_minutes": e.receiver_minutes,
            "settled_minutes": e.settled_minutes,
            "planned_at": e.planned_at.isoformat(),
            "settled_at": e.settled_at.isoformat() if e.settled_at else None,
        }
        for e in session.exec(_involving(Exchange, member_id))
    ]


def end_open_commitments(session: Session, member_id: int) -> None:
    now = utcnow()
    for proposal in session.exec(_involving(Proposal, member_id)):
        if proposal.helper_id == member_id or proposal.initiator is not None:
            proposal.message = None
        if proposal.state in OPEN_PROPOSAL_STATES:
            proposal.state, proposal.state_since, proposal.live_key = ProposalState.WITHDRAWN, now, None
        session.add(proposal)
    for exchange in session.exec(_involving(Exchange, member_id)):
        if exchange.state is ExchangeState.PLANNED:
            exchange.state, exchange.state_since = ExchangeState.CANCELLED, now
        exchange.note = None
        session.add(exchange)


def notifications_section(session: Session, member_id: int) -> tuple[str, Any]:
    rows = session.exec(select(Notification).where(Notification.member_id == member_id).order_by(col(Notification.id)))
    return "notifications", [
        {
            "kind": n.kind.value,
            "payload": n.payload,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None,
        }
        for n in rows
    ]


def delete_notifications(session: Session, member_id: int) -> None:
    session.execute(delete(Notification).where(col(Notification.member_id) == member_id))
