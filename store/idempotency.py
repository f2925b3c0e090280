"""Idempotency keys: the first answer to a credit-moving call, replayed for a retry with the same key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint, bindparam, update
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, select

from store.accounts import MEMBER_COLUMNS, MEMBER_OF_LIVE_SESSION, member_of_live_session
from store.base import core_connection, read_columns, utc_field, utcnow
from store.deferred import defer_write
from store.members import Member


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


_TABLE = IdempotentResponse.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only


def _claim_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = ("member_id", "key", "request_fingerprint", "status_code", "body", "created_at")
    return (
        insert(_TABLE)
        .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=["member_id", "key"])
        .returning(_TABLE.c.id)
    )


# Built once per dialect (bound parameters): a claim is made by every credit-moving call.
_CLAIM = {dialect: _claim_statement(dialect) for dialect in ("postgresql", "sqlite")}
_KEEP = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("claim_id"))
    .values(status_code=bindparam("status_code"), body=bindparam("body", type_=_TABLE.c.body.type))
)


def claim(session: Session, *, member_id: int, key: str, fingerprint: str) -> int | None:
    """Insert the key before the work starts; its id, or None if the key exists (one statement, no savepoint).

    On PostgreSQL a concurrent claim of the same key waits until the first transaction ends: if that one
    committed, this answers None (replay it), if it rolled back, this claim goes in.
    """
    statement = _CLAIM[session.get_bind().dialect.name]
    found = core_connection(session).execute(statement, _claim_values(member_id, key, fingerprint)).first()
    return int(found[0]) if found is not None else None


def _claim_values(member_id: int, key: str, fingerprint: str) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "key": key,
        "request_fingerprint": fingerprint,
        "status_code": 0,
        "body": None,  # JSON null until the answer is kept, as the column requires
        "created_at": utcnow(),
    }


# The caller's check with the claim as a data-modifying CTE (PostgreSQL): the claim's id, or NULL when the key
# exists, read as one more column. Both name the member `member_id`: the claim is the caller's.
_CLAIM_CTE = _CLAIM["postgresql"].cte("claim")
_CALLER_CLAIMING = MEMBER_OF_LIVE_SESSION.add_columns(
    select_columns(_CLAIM_CTE.c.id).scalar_subquery().label("claim_id")
)


def member_of_live_session_claiming(
    session: Session, *, session_id: int, member_id: int, now: datetime, key: str, fingerprint: str
) -> tuple[Member | None, int | None]:
    """The per-request check of an access token (store.accounts.member_of_live_session) and the claim of the
    request's Idempotency-Key for that member (claim): the member or None, and the claim's id or None.

    On PostgreSQL one statement: the claim is made even when the check finds nobody, and the caller then fails
    the request, which rolls the claim back with it. On SQLite the two statements, the claim only for a member.
    """
    if session.get_bind().dialect.name != "postgresql":
        member = member_of_live_session(session, session_id=session_id, member_id=member_id, now=now)
        if member is None:
            return None, None
        return member, claim(session, member_id=member_id, key=key, fingerprint=fingerprint)
    params = {**_claim_values(member_id, key, fingerprint), "session_id": session_id, "now": now}
    rows = read_columns(session, _CALLER_CLAIMING, params)
    if not rows:
        return None, None
    claim_id = rows[0][-1]
    return MEMBER_COLUMNS.entity(session, rows[0]), (int(claim_id) if claim_id is not None else None)


def keep_answer(session: Session, *, claim_id: int, status_code: int, body: Any) -> None:
    """The answer kept for a replay, written with the transaction's next statement or its commit (store.deferred)."""
    defer_write(session, _KEEP, {"claim_id": claim_id, "status_code": status_code, "body": body})
