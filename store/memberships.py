"""A member's request to belong to an antenna, and the moderator's decision; and their queries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CompoundSelect, UniqueConstraint, bindparam, case, union
from sqlmodel import Field, Session, SQLModel, col, select

from store.antennas import Antenna, Moderator
from store.base import enum_column, read_columns, utc_field


class MembershipStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    LEFT = "left"  # the member left the antenna, or withdrew a pending request to join


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "antenna_id", name="uq_memberships_member_antenna"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    status: MembershipStatus = enum_column(MembershipStatus, default=MembershipStatus.PENDING, index=True)
    requested_at: datetime = utc_field()
    decided_at: datetime | None = utc_field(nullable=True, default_now=False)
    decided_by: int | None = Field(default=None, foreign_key="members.id")
    reason: str | None = Field(default=None, max_length=500)


def get_membership_by_id(session: Session, membership_id: int, *, lock: bool = False) -> Membership | None:
    return session.get(Membership, membership_id, with_for_update=lock)


def get_membership(session: Session, *, member_id: int, antenna_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.member_id == member_id, Membership.antenna_id == antenna_id)
    ).first()


def get_membership_for_update(session: Session, *, member_id: int, antenna_id: int) -> Membership | None:
    return session.exec(
        select(Membership)
        .where(Membership.member_id == member_id, Membership.antenna_id == antenna_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


# Built once (read_columns in store/base.py): asked on most requests that list something.
_APPROVED_ANTENNA_IDS = select(Membership.antenna_id).where(
    col(Membership.member_id) == bindparam("member_id"), col(Membership.status) == MembershipStatus.APPROVED
)


def approved_antenna_ids(session: Session, member_id: int) -> set[int]:
    return {row[0] for row in read_columns(session, _APPROVED_ANTENNA_IDS, {"member_id": member_id})}


def approved_or_moderated_antenna_ids_query(*, member_id: str, moderator_id: str) -> CompoundSelect[int]:
    """The antennas the bound parameter `member_id` names an approved member of, with those `moderator_id`
    moderates (parameter names, so that another query can use it as a subquery: a listing page checks one
    antenna's visibility in its own query)."""
    return union(
        select(Membership.antenna_id).where(
            col(Membership.member_id) == bindparam(member_id), col(Membership.status) == MembershipStatus.APPROVED
        ),
        select(Moderator.antenna_id).where(col(Moderator.member_id) == bindparam(moderator_id)),
    )


_APPROVED_OR_MODERATED_ANTENNA_IDS = approved_or_moderated_antenna_ids_query(
    member_id="member_id", moderator_id="moderator_id"
)


def approved_or_moderated_antenna_ids(session: Session, *, member_id: int, moderator_id: int) -> set[int]:
    """Antennas `member_id` is an approved member of, with those `moderator_id` moderates: one query."""
    params = {"member_id": member_id, "moderator_id": moderator_id}
    return {row[0] for row in read_columns(session, _APPROVED_OR_MODERATED_ANTENNA_IDS, params)}


def member_antenna_ids(session: Session, member_id: int) -> set[int]:
    """Antennas a member asked to join, whatever the decision (for moderators acting on their behalf)."""
    return set(session.exec(select(Membership.antenna_id).where(Membership.member_id == member_id)))


def list_memberships(
    session: Session, *, antenna_id: int, status: MembershipStatus | None, after: tuple[int, int] | None, limit: int
) -> list[tuple[int, Membership]]:
    """Pending first, then by id; keyset-paginated on (rank, id). Returns (rank, membership) pairs."""
    rank = case((col(Membership.status) == MembershipStatus.PENDING, 0), else_=1)
    query = select(rank, Membership).where(Membership.antenna_id == antenna_id)
    if status is not None:
        query = query.where(Membership.status == status)
    if after is not None:
        after_rank, after_id = after
        query = query.where((rank > after_rank) | ((rank == after_rank) & (col(Membership.id) > after_id)))
    rows = session.exec(query.order_by(rank, col(Membership.id)).limit(limit))
    return [(int(r), m) for r, m in rows]


def memberships_with_slugs(session: Session, member_id: int) -> list[tuple[Membership, str]]:
    """A member's memberships with their antenna's slug, oldest first."""
    query = (
        select(Membership, Antenna.slug)
        .join(Antenna)
        .where(col(Membership.member_id) == member_id)
        .order_by(col(Membership.id))
    )
    return list(session.exec(query))


def memberships_with_antennas(session: Session, member_id: int) -> list[tuple[Membership, Antenna]]:
    """A member's memberships with their antenna, oldest first."""
    query = select(Membership, Antenna).join(Antenna).where(col(Membership.member_id) == member_id)
    return list(session.exec(query.order_by(col(Membership.id))))
