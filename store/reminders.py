"""The queries behind reminders: exchanges waiting for a confirmation, proposals waiting for an answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, select

from domain.exchanges import ExchangeState, ProposalState
from store.exchanges import Exchange
from store.members import Member
from store.proposals import Proposal


def _not_erased():  # type: ignore[no-untyped-def]
    return select(Member.id).where(Member.erased_at.is_(None))  # type: ignore[union-attr]


def exchanges_to_remind(
    session: Session, *, planned_before: datetime, reminded_before: datetime, limit: int
) -> list[Exchange]:
    """Planned exchanges older than `planned_before` that miss a confirmation and were not reminded since."""
    query = (
        select(Exchange)
        .where(
            Exchange.state == ExchangeState.PLANNED,
            Exchange.planned_at <= planned_before,
            or_(Exchange.helper_minutes.is_(None), Exchange.receiver_minutes.is_(None)),  # type: ignore[union-attr]
            or_(Exchange.reminded_at.is_(None), Exchange.reminded_at <= reminded_before),  # type: ignore[union-attr,operator]
        )
        .order_by(Exchange.id)  # type: ignore[arg-type]
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(query))


def proposals_waiting_for_answer(session: Session, *, limit: int) -> list[Proposal]:
    """Approved proposals that at least one of their (not erased) members has not accepted yet."""
    query = (
        select(Proposal)
        .where(
            Proposal.state == ProposalState.APPROVED,
            or_(Proposal.helper_accepted.is_(False), Proposal.receiver_accepted.is_(False)),  # type: ignore[attr-defined]
            Proposal.helper_id.in_(_not_erased()),  # type: ignore[attr-defined]
            Proposal.receiver_id.in_(_not_erased()),  # type: ignore[attr-defined]
        )
        .order_by(Proposal.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    return list(session.exec(query))
