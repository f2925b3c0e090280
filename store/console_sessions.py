"""The console's cookie sessions, kept server-side so signing out (or an expiry) ends them at once.

The cookie holds a random token; only its SHA-256 is stored, so a copy of the table signs nobody in.
Each session has its own CSRF token, which every console form carries back.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import utc_field, utcnow


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(index=True, default_now=False)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_live_session(session: Session, token: str, *, now: datetime | None = None) -> ConsoleSession | None:
    row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == hash_token(token))).first()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


def add_session(session: Session, *, token: str, member_id: int, csrf_token: str, expires_at: datetime) -> None:
    session.add(
        ConsoleSession(token_hash=hash_token(token), member_id=member_id, csrf_token=csrf_token, expires_at=expires_at)
    )


def end_session(session: Session, token: str) -> None:
    session.execute(delete(ConsoleSession).where(col(ConsoleSession.token_hash) == hash_token(token)))


def end_expired_sessions(session: Session, *, now: datetime) -> None:
    session.execute(delete(ConsoleSession).where(col(ConsoleSession.expires_at) <= now))
