"""Messages between the two parties of a proposal (and of the exchange it led to); and their queries.

One conversation per proposal: the exchange created from it continues the same thread, so what the two
neighbours agreed before accepting stays in view while they plan. Moderators of the antenna may read and
post; their messages carry `as_antenna` and are shown as the antenna's, never with the moderator's name.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select, update

from store.base import utc_field

MAX_MESSAGE_LENGTH = 2000


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    author_id: int = Field(foreign_key="members.id", index=True)
    as_antenna: bool = Field(default=False, description="posted by a moderator, shown as the antenna's")
    text: str = Field(max_length=MAX_MESSAGE_LENGTH)
    created_at: datetime = utc_field()
    # Set when the author was erased: the text is gone and a neutral marker is shown in its place.
    erased_at: datetime | None = utc_field(nullable=True, default_now=False)


def list_thread(session: Session, *, proposal_id: int, after_id: int | None, limit: int) -> list[Message]:
    """Oldest first (newest last), continuing after `after_id`."""
    query = select(Message).where(Message.proposal_id == proposal_id)
    if after_id is not None:
        query = query.where(col(Message.id) > after_id)
    return list(session.exec(query.order_by(col(Message.id)).limit(limit)))


def messages_by(session: Session, member_id: int) -> list[Message]:
    return list(session.exec(select(Message).where(col(Message.author_id) == member_id).order_by(col(Message.id))))


def erase_messages_by(session: Session, *, member_id: int, now: datetime) -> None:
    session.exec(update(Message).where(col(Message.author_id) == member_id).values(text="", erased_at=now))
