"""The queries behind reminders: exchanges waiting for a confirmation, proposals waiting for an answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.exchanges import ExchangeState, ProposalState
from store.exchanges import Exchange
from store.members import Member
from store.proposals import Proposal


def _not_erased() -> SelectOfScalar[int | None]:
    return select(col(Member.id)).where(col(Member.erased_at).is_(None))


def exchanges_to_remind(
    session: Session, *, planned_before: datetime, reminded_before: datetime, limit: int
) -> list[Exchange]:
    """Planned exchanges older than `planned_before` that miss a confirmation and were not reminded since."""
    query = (
        select(Exchange)
        .where(
            Exchange.state == ExchangeState.PLANNED,
            col(Exchange.planned_at) <= planned_before,
            or_(col(Exchange.helper_minutes).is_(None), col(Exchange.receiver_minutes).is_(None)),
            or_(col(Exchange.reminded_at).is_(None), col(Exchange.reminded_at) <= reminded_before),
        )
        .order_by(col(Exchange.id))
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
            or_(col(Proposal.helper_accepted).is_(False), col(Proposal.receiver_accepted).is_(False)),
            col(Proposal.helper_id).in_(_not_erased()),
            col(Proposal.receiver_id).in_(_not_erased()),
        )
        .order_by(col(Proposal.id))
        .limit(limit)
    )
    return list(session.exec(query))
