"""Members: the people who use BuurtBank, their roles and their (coarse) location; and their queries."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, select

from store.base import utc_field


class Member(SQLModel, table=True):
    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    # Null once the member is erased: the row stays as an anonymous shell the ledger points to.
    email: str | None = Field(default=None, max_length=254, unique=True, index=True)
    password_hash: str | None = Field(default=None, max_length=255)
    display_name: str = Field(max_length=80)
    language: str = Field(default="nl", max_length=2)
    is_admin: bool = False
    is_analyst: bool = False
    # Location as stored: a Brussels postcode or a point already snapped to the ~250 m grid. Never exact.
    location_postcode: str | None = Field(default=None, max_length=4)
    location_lat: float | None = None
    location_lon: float | None = None
    # A member may pause: the scheduler then leaves them out of proposals.
    paused: bool = False
    created_at: datetime = utc_field()
    erased_at: datetime | None = utc_field(nullable=True, default_now=False)


def get_member(session: Session, member_id: int) -> Member | None:
    member = session.get(Member, member_id)
    return member if member is not None and member.erased_at is None else None


def get_member_by_email(session: Session, email: str) -> Member | None:
    return session.exec(select(Member).where(Member.email == email.strip().lower())).first()


def members_by_id(session: Session, ids: list[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {m.id: m for m in session.exec(select(Member).where(Member.id.in_(ids)))}  # type: ignore[union-attr,misc]
