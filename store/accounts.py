"""Accounts for everyone: desk-enrolled members, one-time codes, sessions with refresh tokens, attempt counters.

Codes and refresh tokens are stored hashed only: codes with argon2 (they are short), refresh tokens with
SHA-256 (they are long random strings, so a fast hash is enough and lets us look them up by hash).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from store.base import enum_column, read_columns, utc_field
from store.driver import entity_columns
from store.members import Member


class DeskAccount(SQLModel, table=True):
    """A member enrolled at an antenna's desk: their member number, and a phone only moderators see."""

    __tablename__ = "desk_accounts"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    member_number: str = Field(max_length=16, unique=True)
    phone: str | None = Field(default=None, max_length=32)
    # True while the antenna's moderators manage the account; false once the member added an e-mail.
    managed: bool = True
    enrolled_by: int = Field(foreign_key="members.id")
    enrolled_at: datetime = utc_field()


class CodePurpose(StrEnum):
    LOGIN = "login"  # the first login of a member enrolled at the desk
    RESET = "reset"  # setting a new password or PIN


class OneTimeCode(SQLModel, table=True):
    __tablename__ = "one_time_codes"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    purpose: CodePurpose = enum_column(CodePurpose, default=CodePurpose.RESET)
    code_hash: str = Field(max_length=255)
    # The moderator who issued it (None: sent by mail at the member's request), and in which antenna.
    issued_by: int | None = Field(default=None, foreign_key="members.id")
    antenna_id: int | None = Field(default=None, foreign_key="antennas.id")
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(default_now=False)
    used_at: datetime | None = utc_field(nullable=True, default_now=False)
    # Set when a newer code of the same purpose replaced it, or the password changed.
    voided_at: datetime | None = utc_field(nullable=True, default_now=False)


class AuthSession(SQLModel, table=True):
    """One login and every refresh that followed it (the refresh-token family). Access tokens name it."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    via_code: bool = False  # opened with a one-time login code: the member has yet to set a password
    created_at: datetime = utc_field()
    expires_at: datetime = utc_field(default_now=False)
    revoked_at: datetime | None = utc_field(nullable=True, default_now=False)
    revoked_reason: str | None = Field(default=None, max_length=40)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="auth_sessions.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_field()
    used_at: datetime | None = utc_field(nullable=True, default_now=False)  # rotated: a second use is a theft


class AttemptCounter(SQLModel, table=True):
    """Attempts per key (a login name, a client address) in a fixed window, counted before the check."""

    __tablename__ = "attempt_counters"

    key: str = Field(primary_key=True, max_length=300)
    count: int = 0
    window_start: datetime = utc_field()


# --- desk accounts -----------------------------------------------------------------------------------------


def get_desk_account(session: Session, member_id: int) -> DeskAccount | None:
    return session.get(DeskAccount, member_id)


def get_desk_account_by_number(session: Session, member_number: str) -> DeskAccount | None:
    return session.exec(select(DeskAccount).where(DeskAccount.member_number == member_number)).first()


def member_number_taken(session: Session, member_number: str) -> bool:
    return get_desk_account_by_number(session, member_number) is not None


def desk_accounts_of(session: Session, member_ids: set[int]) -> dict[int, DeskAccount]:
    if not member_ids:
        return {}
    rows = session.exec(select(DeskAccount).where(col(DeskAccount.member_id).in_(member_ids)))
    return {row.member_id: row for row in rows}


# --- one-time codes ----------------------------------------------------------------------------------------


def live_codes(session: Session, *, member_id: int, purpose: CodePurpose, now: datetime) -> list[OneTimeCode]:
    """Unused, unexpired codes, locked (two concurrent uses of one code: the second finds it used)."""
    query = (
        select(OneTimeCode)
        .where(
            OneTimeCode.member_id == member_id,
            OneTimeCode.purpose == purpose,
            col(OneTimeCode.used_at).is_(None),
            col(OneTimeCode.voided_at).is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(col(OneTimeCode.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query))


def void_codes(session: Session, *, member_id: int, purposes: tuple[CodePurpose, ...], now: datetime) -> None:
    session.exec(
        update(OneTimeCode)
        .where(
            col(OneTimeCode.member_id) == member_id,
            col(OneTimeCode.purpose).in_(purposes),
            col(OneTimeCode.used_at).is_(None),
            col(OneTimeCode.voided_at).is_(None),
        )
        .values(voided_at=now)
    )


# --- sessions ----------------------------------------------------------------------------------------------


def get_refresh_token_for_update(session: Session, token_hash: str) -> RefreshToken | None:
    return session.exec(
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def get_auth_session(session: Session, session_id: int) -> AuthSession | None:
    return session.get(AuthSession, session_id)


def get_session_for_update(session: Session, session_id: int) -> AuthSession | None:
    return session.exec(
        select(AuthSession)
        .where(AuthSession.id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def revoke_sessions(
    session: Session, *, member_id: int, now: datetime, reason: str, keep_session_id: int | None = None
) -> None:
    query = update(AuthSession).where(
        col(AuthSession.member_id) == member_id,
        col(AuthSession.revoked_at).is_(None),
    )
    if keep_session_id is not None:
        query = query.where(col(AuthSession.id) != keep_session_id)
    session.exec(query.values(revoked_at=now, revoked_reason=reason))


# --- attempt counters --------------------------------------------------------------------------------------


def count_attempt(session: Session, *, key: str, window: timedelta, now: datetime) -> tuple[int, datetime]:
    """Add one attempt to `key` and return (attempts in the current window, when the window started).

    One atomic upsert: concurrent attempts on PostgreSQL queue on the row, so each sees every earlier one.
    A window that has run out starts again at this attempt.
    """
    table = AttemptCounter.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(key=key, count=1, window_start=now)
    stale = table.c.window_start <= now - window
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": case((stale, 1), else_=table.c.count + 1),
            "window_start": case((stale, statement.excluded.window_start), else_=table.c.window_start),
        },
    ).returning(table.c.count, table.c.window_start)
    count, started = session.execute(upsert).one()
    return int(count), started


def forget_attempts(session: Session, *, key: str) -> None:
    session.exec(delete(AttemptCounter).where(col(AttemptCounter.key) == key))


def take_back_attempt(session: Session, *, key: str) -> None:
    """A successful attempt does not count against the client's failures."""
    session.exec(
        update(AttemptCounter)
        .where(col(AttemptCounter.key) == key, col(AttemptCounter.count) > 0)
        .values(count=AttemptCounter.count - 1)
    )


# Built once, read past the ORM (store.driver): it runs on every request. Public for store.idempotency, which
# sends it together with an Idempotency-Key's claim; a row begins with MEMBER_COLUMNS.
MEMBER_COLUMNS = entity_columns(Member)
MEMBER_OF_LIVE_SESSION = (
    sa_select(*MEMBER_COLUMNS.columns)
    .join(AuthSession, col(AuthSession.member_id) == col(Member.id))
    .where(
        col(AuthSession.id) == bindparam("session_id"),
        col(Member.id) == bindparam("member_id"),
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > bindparam("now"),
        col(Member.erased_at).is_(None),
    )
)


def member_of_live_session(session: Session, *, session_id: int, member_id: int, now: datetime) -> Member | None:
    """The member an access token names, if the session it names is theirs, not revoked, not expired, and the
    member is not erased: the per-request check of a token, in one query (the session row is not loaded)."""
    params = {"session_id": session_id, "member_id": member_id, "now": now}
    rows = read_columns(session, MEMBER_OF_LIVE_SESSION, params)
    return MEMBER_COLUMNS.entity(session, rows[0]) if rows else None
