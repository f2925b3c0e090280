"""Access tokens: short JWTs (PyJWT, HS256) naming the member and their session; nothing else is put inside.

The session id (`sid`) lets every request check, with one primary-key read, that the session was not
revoked (logout, password change, a reused refresh token), although the token itself is still unexpired.

A client sends the same token with every request until it expires, so a token whose signature checked out
once is remembered (the last few thousand, per signing key): checking the signature and parsing the claims
again cost more than the rest of an unread-count request. Its expiry is still checked on every use, and
whether its session is live is asked of the database on every request (services.sessions.caller).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt

from domain.errors import Unauthenticated
from store.base import utcnow

_ALGORITHM = "HS256"
_MAX_ID = 2**31 - 1  # ids are 32-bit columns: a larger one cannot exist (and must not reach the driver)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    member_id: int
    session_id: int | None  # None: a token from before sessions existed, or made by a tool (refused by the API)


def issue_token(*, member_id: int, secret: str, lifetime: timedelta, session_id: int | None = None) -> str:
    now = utcnow()
    claims: dict[str, object] = {"sub": str(member_id), "iat": now, "exp": now + lifetime}
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_token(token: str, *, secret: str) -> TokenClaims:
    try:
        claims, expires = _verified(token, secret)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError) as exc:
        raise Unauthenticated("error.token_invalid") from exc
    if expires <= time.time():  # what PyJWT's own check does (no leeway)
        raise Unauthenticated("error.token_invalid")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[TokenClaims, int]:
    """The claims of a token whose signature is the secret's, and when it expires (checked by the caller on
    every use). Raises for a bad token; only tokens that checked out are remembered."""
    claims = jwt.decode(
        token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp"], "verify_exp": False}
    )
    member_id = int(claims["sub"])
    session_id = int(claims["sid"]) if "sid" in claims else None
    if not 1 <= member_id <= _MAX_ID or (session_id is not None and not 1 <= session_id <= _MAX_ID):
        raise ValueError("an id out of range")
    expires = int(claims["exp"])  # as PyJWT reads it when it checks the expiry itself
    return TokenClaims(member_id=member_id, session_id=session_id), expires


def member_id_from_token(token: str, *, secret: str) -> int:
    return read_token(token, secret=secret).member_id
