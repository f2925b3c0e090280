"""Self-declared background, stored only with consent and deleted (not hidden) when consent is withdrawn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from store.base import utc_field


class MemberBackground(SQLModel, table=True):
    __tablename__ = "member_backgrounds"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    languages: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    origin: str | None = Field(default=None, max_length=40, index=True)
    age_band: str | None = Field(default=None, max_length=8, index=True)
    circle: str | None = Field(default=None, max_length=60)
    consented_at: datetime = utc_field()
    # Consent given in person at an antenna's desk: the moderator who recorded it (None: the member did).
    recorded_by: int | None = Field(default=None, foreign_key="members.id")


def get_background(session: Session, member_id: int) -> MemberBackground | None:
    return session.get(MemberBackground, member_id)


def delete_background(session: Session, member_id: int) -> None:
    row = session.get(MemberBackground, member_id)
    if row is not None:
        session.delete(row)
