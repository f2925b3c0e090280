"""Blocks between members and reports to an antenna's moderators; and their queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ScalarSelect, and_, or_
from sqlmodel import Field, Session, SQLModel, col, delete, select

from store.base import enum_column, id_window, utc_field
from store.memberships import Membership, MembershipStatus
from store.proposals import OPEN_PROPOSAL_STATES, Proposal

MAX_REASON_LENGTH = 1000


class Block(SQLModel, table=True):
    """`blocker_id` never wants to hear from `blocked_id` again; the effect is mutual."""

    __tablename__ = "blocks"

    blocker_id: int = Field(foreign_key="members.id", primary_key=True)
    blocked_id: int = Field(foreign_key="members.id", primary_key=True, index=True)
    created_at: datetime = utc_field()


class ReportAbout(StrEnum):
    MEMBER = "member"
    LISTING = "listing"
    PROPOSAL = "proposal"
    EXCHANGE = "exchange"


class ListingKind(StrEnum):
    OFFER = "offer"
    REQUEST = "request"


class ReportStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Report(SQLModel, table=True):
    __tablename__ = "reports"

    id: int | None = Field(default=None, primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    reporter_id: int = Field(foreign_key="members.id", index=True)
    about: ReportAbout = enum_column(ReportAbout, default=ReportAbout.MEMBER)
    subject_id: int = Field(description="the member, listing, proposal or exchange id, by `about`")
    listing_kind: ListingKind | None = enum_column(ListingKind, default=None)
    # The member the report is about (the listing's poster, the other party...), for the moderators.
    reported_member_id: int | None = Field(default=None, foreign_key="members.id", index=True)
    reason: str = Field(max_length=MAX_REASON_LENGTH)
    status: ReportStatus = enum_column(ReportStatus, default=ReportStatus.OPEN, index=True)
    created_at: datetime = utc_field()
    closed_at: datetime | None = utc_field(nullable=True, default_now=False)
    closed_by: int | None = Field(default=None, foreign_key="members.id")
    close_note: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)


def get_report(session: Session, report_id: int, *, lock: bool = False) -> Report | None:
    return session.get(Report, report_id, with_for_update=lock)


def get_block(session: Session, *, blocker_id: int, blocked_id: int) -> Block | None:
    return session.get(Block, (blocker_id, blocked_id))


def blocked_between(session: Session, a: int, b: int) -> bool:
    """Whether either of the two blocked the other."""
    row = session.exec(
        select(Block.blocker_id).where(
            or_(
                and_(col(Block.blocker_id) == a, col(Block.blocked_id) == b),
                and_(col(Block.blocker_id) == b, col(Block.blocked_id) == a),
            )
        )
    ).first()
    return row is not None


def blocks_of(session: Session, member_id: int) -> list[Block]:
    return list(session.exec(select(Block).where(col(Block.blocker_id) == member_id).order_by(col(Block.created_at))))


def blocked_pairs_among(session: Session, members: ScalarSelect[int]) -> set[tuple[int, int]]:
    """Every block between members of `members` (a subquery of ids), in both orders."""
    rows = session.exec(
        select(Block.blocker_id, Block.blocked_id).where(
            col(Block.blocker_id).in_(members),
            col(Block.blocked_id).in_(members),
        )
    )
    pairs: set[tuple[int, int]] = set()
    for a, b in rows:
        pairs |= {(int(a), int(b)), (int(b), int(a))}
    return pairs


def delete_blocks_of(session: Session, member_id: int) -> None:
    session.exec(delete(Block).where(or_(col(Block.blocker_id) == member_id, col(Block.blocked_id) == member_id)))


def list_antenna_reports(
    session: Session,
    *,
    antenna_id: int,
    status: ReportStatus | None,
    before_id: int | None,
    limit: int,
    after_id: int | None = None,
) -> list[Report]:
    query = select(Report).where(Report.antenna_id == antenna_id)
    if status is not None:
        query = query.where(Report.status == status)
    return list(session.exec(id_window(query, Report.id, before_id=before_id, after_id=after_id, limit=limit)))


def reports_by(session: Session, member_id: int) -> list[Report]:
    return list(session.exec(select(Report).where(col(Report.reporter_id) == member_id).order_by(col(Report.id))))


def common_antenna_id(session: Session, a: int, b: int) -> int | None:
    """An antenna the two members are in contact through: one both belong to (approved), else the antenna
    of a proposal between them; None when they have nothing to do with each other."""
    mine = select(Membership.antenna_id).where(
        Membership.member_id == a, Membership.status == MembershipStatus.APPROVED
    )
    shared = session.exec(
        select(Membership.antenna_id)
        .where(
            Membership.member_id == b,
            Membership.status == MembershipStatus.APPROVED,
            col(Membership.antenna_id).in_(mine),
        )
        .order_by(col(Membership.antenna_id))
    ).first()
    if shared is not None:
        return int(shared)
    found = session.exec(
        select(Proposal.antenna_id)
        .where(
            or_(
                and_(col(Proposal.helper_id) == a, col(Proposal.receiver_id) == b),
                and_(col(Proposal.helper_id) == b, col(Proposal.receiver_id) == a),
            )
        )
        .order_by(col(Proposal.id))
    ).first()
    return int(found) if found is not None else None


def open_proposals_between(session: Session, a: int, b: int) -> list[int]:
    return [
        pid
        for pid in session.exec(
            select(Proposal.id).where(
                col(Proposal.state).in_(OPEN_PROPOSAL_STATES),
                or_(
                    and_(col(Proposal.helper_id) == a, col(Proposal.receiver_id) == b),
                    and_(col(Proposal.helper_id) == b, col(Proposal.receiver_id) == a),
                ),
            )
        )
        if pid is not None
    ]
