"""Queries behind the console's "today's work" page and member search (counts and short lists)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from domain.exchanges import ExchangeState, ProposalState
from store.base import id_window
from store.exchanges import Exchange
from store.listings import HelpRequest, ListingStatus, Offer
from store.members import Member
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal
from store.safety import Report, ReportStatus

DONE_STATES = (ExchangeState.SETTLED, ExchangeState.RESOLVED)


def count_memberships(session: Session, *, antenna_id: int, status: MembershipStatus) -> int:
    query = select(func.count()).where(Membership.antenna_id == antenna_id, Membership.status == status)
    return int(session.exec(query).one())


def count_proposals(session: Session, *, antenna_id: int, state: ProposalState) -> int:
    query = select(func.count()).where(Proposal.antenna_id == antenna_id, Proposal.state == state)
    return int(session.exec(query).one())


def count_exchanges(session: Session, *, antenna_id: int, state: ExchangeState) -> int:
    query = select(func.count()).where(Exchange.antenna_id == antenna_id, Exchange.state == state)
    return int(session.exec(query).one())


def count_open_reports(session: Session, *, antenna_id: int) -> int:
    query = select(func.count()).where(col(Report.antenna_id) == antenna_id, col(Report.status) == ReportStatus.OPEN)
    return int(session.exec(query).one())


def exchanges_waiting(session: Session, *, antenna_id: int, planned_before: datetime) -> list[Exchange]:
    """Planned exchanges still not confirmed by both, older than the given moment (oldest first)."""
    query = select(Exchange).where(
        Exchange.antenna_id == antenna_id,
        Exchange.state == ExchangeState.PLANNED,
        Exchange.planned_at <= planned_before,
    )
    return list(session.exec(query.order_by(col(Exchange.planned_at), col(Exchange.id))))


def members_without_exchange(session: Session, *, antenna_id: int) -> list[tuple[Member, Membership]]:
    """Approved members of the antenna who never had an exchange settled there, longest waiting first."""
    done = select(Exchange.id).where(
        Exchange.antenna_id == antenna_id,
        Exchange.state.in_(DONE_STATES),  # type: ignore[attr-defined]
        or_(col(Exchange.helper_id) == Member.id, col(Exchange.receiver_id) == Member.id),
    )
    query = (
        select(Member, Membership)
        .join(Membership, Membership.member_id == Member.id)  # type: ignore[arg-type]
        .where(
            Membership.antenna_id == antenna_id,
            Membership.status == MembershipStatus.APPROVED,
            Member.erased_at.is_(None),  # type: ignore[union-attr]
            ~done.exists(),
        )
        .order_by(col(Membership.decided_at), col(Member.id))
    )
    return [(m, ms) for m, ms in session.exec(query)]


def search_members(
    session: Session, *, antenna_id: int, text: str, limit: int, offset: int = 0
) -> list[tuple[Member, Membership]]:
    """Members who asked to join the antenna, by part of their name or e-mail, or by their number; by name,
    a page of `limit` from `offset` (a name-ordered list pages by position)."""
    query = (
        select(Member, Membership)
        .join(Membership, Membership.member_id == Member.id)  # type: ignore[arg-type]
        .where(Membership.antenna_id == antenna_id, Member.erased_at.is_(None))  # type: ignore[union-attr]
    )
    text = text.strip()
    if text:
        pattern = f"%{text.lower()}%"
        conditions: list[ColumnElement[bool]] = [
            func.lower(Member.display_name).like(pattern),
            func.lower(Member.email).like(pattern),
        ]
        if text.isdigit() and len(text) < 10:
            conditions.append(col(Member.id) == int(text))
        query = query.where(or_(*conditions))
    ordered = query.order_by(col(Member.display_name), col(Member.id)).offset(offset).limit(limit)
    return [(m, ms) for m, ms in session.exec(ordered)]


def memberships_of(session: Session, member_id: int) -> list[Membership]:
    return list(session.exec(select(Membership).where(Membership.member_id == member_id).order_by(col(Membership.id))))


def open_listings(session: Session, *, antenna_id: int) -> tuple[list[Offer], list[HelpRequest]]:
    """The antenna's open offers and requests, by category then newest first (for the desk sheet)."""
    offers = session.exec(
        select(Offer)
        .where(Offer.antenna_id == antenna_id, Offer.status == ListingStatus.OPEN)
        .order_by(col(Offer.category), col(Offer.id).desc())
    )
    requests = session.exec(
        select(HelpRequest)
        .where(HelpRequest.antenna_id == antenna_id, HelpRequest.status == ListingStatus.OPEN)
        .order_by(col(HelpRequest.category), col(HelpRequest.id).desc())
    )
    return list(offers), list(requests)


def pending_memberships(
    session: Session, *, antenna_id: int, before_id: int | None, after_id: int | None, limit: int
) -> list[Membership]:
    """Requests to join, newest first below `before_id`, or oldest first above `after_id` (see services.paging)."""
    query = select(Membership).where(Membership.antenna_id == antenna_id, Membership.status == MembershipStatus.PENDING)
    return list(session.exec(id_window(query, Membership.id, before_id=before_id, after_id=after_id, limit=limit)))
