"""Idempotency keys: the first answer to a credit-moving call, replayed for a retry with the same key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, select

from store.base import utc_field, utcnow


class IdempotentResponse(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("member_id", "key", name="uq_idempotency_keys_member_key"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    key: str = Field(max_length=200)
    request_fingerprint: str = Field(max_length=64, description="sha256 of method, path and body")
    status_code: int
    body: Any = Field(default=None, sa_type=JSON)
    created_at: datetime = utc_field(index=True)


def find_for_anyone(session: Session, *, key: str, request_fingerprint: str) -> IdempotentResponse | None:
    """A stored answer to a call made before its caller had an account (registration): by key and body."""
    return session.exec(
        select(IdempotentResponse).where(
            IdempotentResponse.key == key, IdempotentResponse.request_fingerprint == request_fingerprint
        )
    ).first()


def find(session: Session, *, member_id: int, key: str) -> IdempotentResponse | None:
    return session.exec(
        select(IdempotentResponse).where(IdempotentResponse.member_id == member_id, IdempotentResponse.key == key)
    ).first()


def claim(session: Session, *, member_id: int, key: str, fingerprint: str) -> int | None:
    """Insert the key before the work starts; its id, or None if the key exists (one statement, no savepoint).

    On PostgreSQL a concurrent claim of the same key waits until the first transaction ends: if that one
    committed, this answers None (replay it), if it rolled back, this claim goes in.
    """
    table = IdempotentResponse.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only
    values = {
        "member_id": member_id,
        "key": key,
        "request_fingerprint": fingerprint,
        "status_code": 0,
        "body": None,  # JSON null until the answer is kept, as the column requires
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=["member_id", "key"])
    found = session.execute(statement.returning(table.c.id)).first()
    return int(found[0]) if found is not None else None


def keep_answer(session: Session, *, claim_id: int, status_code: int, body: Any) -> None:
    table = IdempotentResponse.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only
    session.execute(update(table).where(table.c.id == claim_id).values(status_code=status_code, body=body))
