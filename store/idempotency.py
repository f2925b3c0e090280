"""Idempotency keys: the first answer to a credit-moving call, replayed for a retry with the same key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from store.base import utc_field


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
