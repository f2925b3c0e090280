"""Failed logins, kept in the database so throttling holds across API processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import utc_field


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    at: datetime = utc_field(index=True)


def count_failures_since(session: Session, *, email: str, since: datetime) -> int:
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email, LoginFailure.at >= since)
    return int(session.exec(query).one())


def add_failure(session: Session, *, email: str) -> None:
    session.add(LoginFailure(email=email))


def clear_failures(session: Session, *, email: str) -> None:
    session.execute(delete(LoginFailure).where(col(LoginFailure.email) == email))
