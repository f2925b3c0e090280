"""What each party says after a settled exchange: kept for the statistics only, never shown to the other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import utc_field


class ExchangeFeedback(SQLModel, table=True):
    __tablename__ = "exchange_feedback"
    __table_args__ = (UniqueConstraint("exchange_id", "member_id", name="uq_exchange_feedback_exchange_member"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchanges.id", index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    thanks: bool
    met_someone_new: bool | None = Field(default=None, description="null: the member did not answer")
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


def get_feedback(session: Session, *, exchange_id: int, member_id: int) -> ExchangeFeedback | None:
    return session.exec(
        select(ExchangeFeedback).where(
            ExchangeFeedback.exchange_id == exchange_id, ExchangeFeedback.member_id == member_id
        )
    ).first()


def feedback_of(session: Session, member_id: int) -> list[ExchangeFeedback]:
    return list(
        session.exec(
            select(ExchangeFeedback)
            .where(col(ExchangeFeedback.member_id) == member_id)
            .order_by(col(ExchangeFeedback.id))
        )
    )
