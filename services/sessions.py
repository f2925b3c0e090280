"""Sessions: a login opens one; its refresh token rotates on every use; logout and password changes end it.

A refresh token is a random string given once; only its SHA-256 is kept. Using a refresh token that was
already rotated means two parties hold it (one of them stole it): the whole session, every token that
descends from that login, is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from domain.errors import Unauthenticated
from services.tokens import issue_token
from store import accounts as store
from store.accounts import AuthSession, RefreshToken
from store.base import utcnow
from store.idempotency import member_of_live_session_claiming
from store.members import Member, get_member


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    secret: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is valid
    session_id: int
    via_code: bool


def _hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def _issue(session: Session, auth: AuthSession, *, policy: SessionPolicy, now: datetime) -> IssuedTokens:
    assert auth.id is not None
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(session_id=auth.id, token_hash=_hash(refresh), created_at=now))
    session.flush()
    access = issue_token(
        member_id=auth.member_id, secret=policy.secret, lifetime=policy.access_lifetime, session_id=auth.id
    )
    return IssuedTokens(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(policy.access_lifetime.total_seconds()),
        session_id=auth.id,
        via_code=auth.via_code,
    )


def open_session(session: Session, member: Member, *, policy: SessionPolicy, via_code: bool = False) -> IssuedTokens:
    assert member.id is not None
    now = utcnow()
    auth = AuthSession(member_id=member.id, via_code=via_code, created_at=now, expires_at=now + policy.refresh_lifetime)
    session.add(auth)
    session.flush()
    return _issue(session, auth, policy=policy, now=now)


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    tokens: IssuedTokens | None  # None: the token was reused, and its session is now revoked


def refresh(session: Session, refresh_token: str, *, policy: SessionPolicy) -> RefreshOutcome:
    """Rotate: the presented token is spent and a new pair is returned. Unknown or ended: Unauthenticated."""
    now = utcnow()
    row = store.get_refresh_token_for_update(session, _hash(refresh_token))
    if row is None:
        raise Unauthenticated("error.refresh.invalid")
    auth = store.get_session_for_update(session, row.session_id)
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now:
        raise Unauthenticated("error.refresh.invalid")
    if row.used_at is not None or get_member(session, auth.member_id) is None:
        auth.revoked_at, auth.revoked_reason = now, "refresh_reused" if row.used_at is not None else "member_gone"
        session.add(auth)
        session.flush()
        return RefreshOutcome(tokens=None)
    row.used_at = now
    session.add(row)
    return RefreshOutcome(tokens=_issue(session, auth, policy=policy, now=now))


def logout(session: Session, *, member_id: int, session_id: int | None, refresh_token: str | None) -> None:
    """End the caller's session, and the one the refresh token belongs to if it is the caller's too."""
    now = utcnow()
    ids = {session_id} if session_id is not None else set()
    if refresh_token:
        row = store.get_refresh_token_for_update(session, _hash(refresh_token))
        if row is not None:
            ids.add(row.session_id)
    for sid in sorted(ids):
        auth = store.get_session_for_update(session, sid)
        if auth is not None and auth.member_id == member_id and auth.revoked_at is None:
            auth.revoked_at, auth.revoked_reason = now, "logout"
            session.add(auth)
    session.flush()


def end_other_sessions(session: Session, *, member_id: int, keep_session_id: int | None, reason: str) -> None:
    store.revoke_sessions(session, member_id=member_id, now=utcnow(), reason=reason, keep_session_id=keep_session_id)


def caller(session: Session, *, session_id: int, member_id: int) -> Member | None:
    """The per-request check of an access token: the member, if their session is live; one query."""
    return store.member_of_live_session(session, session_id=session_id, member_id=member_id, now=utcnow())


def caller_claiming(
    session: Session, *, session_id: int, member_id: int, key: str, fingerprint: str
) -> tuple[Member | None, int | None]:
    """caller, and the claim of the request's Idempotency-Key for that member (its id, None if the key exists):
    on PostgreSQL one query (store.idempotency.member_of_live_session_claiming)."""
    return member_of_live_session_claiming(
        session, session_id=session_id, member_id=member_id, now=utcnow(), key=key, fingerprint=fingerprint
    )
