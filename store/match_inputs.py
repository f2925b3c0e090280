"""The queries behind a matching round: a fixed handful per antenna, whatever its size (no query per member).

Every query is restricted to the antenna's open listings through subqueries, so nothing is loaded in bulk
into Python just to filter it, and no IN list grows with the antenna.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ScalarSelect, func, or_, union
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.exchanges import ExchangeState, ProposalState
from store.background import MemberBackground
from store.exchanges import Exchange
from store.listings import HelpRequest, ListingStatus, Offer
from store.members import Member
from store.memberships import Membership, MembershipStatus
from store.proposals import OPEN_PROPOSAL_STATES, Proposal
from store.safety import blocked_pairs_among

COMPLETED_EXCHANGE_STATES = (ExchangeState.SETTLED, ExchangeState.RESOLVED)


def _approved_members(antenna_id: int) -> SelectOfScalar[int]:
    return select(Membership.member_id).where(
        Membership.antenna_id == antenna_id, Membership.status == MembershipStatus.APPROVED
    )


def _active_members() -> SelectOfScalar[int | None]:
    return select(col(Member.id)).where(col(Member.erased_at).is_(None), col(Member.paused).is_(False))


def open_requests(session: Session, *, antenna_id: int) -> list[HelpRequest]:
    """Open, located requests of active approved members with no open proposal and no planned exchange."""
    has_open_proposal = (
        select(Proposal.id)
        .where(Proposal.request_id == HelpRequest.id, col(Proposal.state).in_(OPEN_PROPOSAL_STATES))
        .exists()
    )
    has_planned_exchange = (
        select(Exchange.id)
        .where(Exchange.request_id == HelpRequest.id, Exchange.state == ExchangeState.PLANNED)
        .exists()
    )
    query = select(HelpRequest).where(
        HelpRequest.antenna_id == antenna_id,
        HelpRequest.status == ListingStatus.OPEN,
        col(HelpRequest.lat).is_not(None),
        col(HelpRequest.lon).is_not(None),
        col(HelpRequest.member_id).in_(_approved_members(antenna_id)),
        col(HelpRequest.member_id).in_(_active_members()),
        ~has_open_proposal,
        ~has_planned_exchange,
    )
    return list(session.exec(query.order_by(col(HelpRequest.id))))


def open_offers(session: Session, *, antenna_id: int) -> list[Offer]:
    """Open, located offers of approved members who are not erased (paused helpers are the round's business)."""
    query = select(Offer).where(
        Offer.antenna_id == antenna_id,
        Offer.status == ListingStatus.OPEN,
        col(Offer.lat).is_not(None),
        col(Offer.lon).is_not(None),
        col(Offer.member_id).in_(_approved_members(antenna_id)),
        col(Offer.member_id).in_(select(Member.id).where(col(Member.erased_at).is_(None))),
    )
    return list(session.exec(query.order_by(col(Offer.id))))


def _round_members(antenna_id: int) -> ScalarSelect[int]:
    """Everyone with an open listing in the antenna: the only members a round can name."""
    return union(
        select(Offer.member_id).where(Offer.antenna_id == antenna_id, Offer.status == ListingStatus.OPEN),
        select(HelpRequest.member_id).where(
            HelpRequest.antenna_id == antenna_id, HelpRequest.status == ListingStatus.OPEN
        ),
    ).scalar_subquery()


def members_and_backgrounds(session: Session, *, antenna_id: int) -> list[tuple[Member, MemberBackground | None]]:
    """The round's members with their consented background (no row: no consent, nothing is used)."""
    query = (
        select(Member, MemberBackground)
        .join(MemberBackground, col(MemberBackground.member_id) == Member.id, isouter=True)
        .where(col(Member.id).in_(_round_members(antenna_id)))
    )
    return list(session.exec(query))


def completed_exchange_counts(session: Session, *, antenna_id: int) -> dict[int, int]:
    """Completed (settled or resolved) exchanges per round member, as helper or receiver, in any antenna."""
    members = _round_members(antenna_id)
    counts: dict[int, int] = {}
    for column in (col(Exchange.helper_id), col(Exchange.receiver_id)):
        rows = session.exec(
            select(column, func.count())
            .where(col(Exchange.state).in_(COMPLETED_EXCHANGE_STATES), column.in_(members))
            .group_by(column)
        )
        for member_id, count in rows:
            counts[member_id] = counts.get(member_id, 0) + int(count)
    return counts


def minutes_exchanged(session: Session, *, antenna_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """(minutes given, minutes received) per round member, from completed exchanges' settled minutes."""
    members = _round_members(antenna_id)
    result: list[dict[int, int]] = []
    for column in (col(Exchange.helper_id), col(Exchange.receiver_id)):
        rows = session.exec(
            select(column, func.coalesce(func.sum(Exchange.settled_minutes), 0))
            .where(
                col(Exchange.state).in_(COMPLETED_EXCHANGE_STATES),
                col(Exchange.settled_minutes).is_not(None),
                column.in_(members),
            )
            .group_by(column)
        )
        result.append({int(m): int(total or 0) for m, total in rows})
    return result[0], result[1]


def open_helper_load(session: Session, *, antenna_id: int) -> dict[int, int]:
    """Open proposals plus planned exchanges per round member as the helper, in any antenna."""
    members = _round_members(antenna_id)
    load: dict[int, int] = {}
    proposals = session.exec(
        select(Proposal.helper_id, func.count())
        .where(col(Proposal.state).in_(OPEN_PROPOSAL_STATES), col(Proposal.helper_id).in_(members))
        .group_by(col(Proposal.helper_id))
    )
    exchanges = session.exec(
        select(Exchange.helper_id, func.count())
        .where(Exchange.state == ExchangeState.PLANNED, col(Exchange.helper_id).in_(members))
        .group_by(col(Exchange.helper_id))
    )
    for rows in (proposals, exchanges):
        for member_id, count in rows:
            load[int(member_id)] = load.get(int(member_id), 0) + int(count)
    return load


def excluded_pairs(session: Session, *, antenna_id: int, declined_since: datetime) -> set[tuple[int, int]]:
    """(receiver, helper) pairs never to propose: a moderator rejected them (ever), or one declined lately."""
    rows = session.exec(
        select(Proposal.receiver_id, Proposal.helper_id)
        .where(
            col(Proposal.receiver_id).in_(_round_members(antenna_id)),
            or_(
                col(Proposal.state) == ProposalState.REJECTED,
                (col(Proposal.state) == ProposalState.DECLINED) & (col(Proposal.state_since) >= declined_since),
            ),
        )
        .distinct()
    )
    return {(int(r), int(h)) for r, h in rows}


def blocked_round_pairs(session: Session, *, antenna_id: int) -> set[tuple[int, int]]:
    """Pairs of the round's members where one blocked the other, in both orders: never to be proposed."""
    return blocked_pairs_among(session, _round_members(antenna_id))
