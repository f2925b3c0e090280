"""Access tokens: short JWTs (PyJWT, HS256) naming the member; nothing else is put inside."""

from __future__ import annotations

from datetime import timedelta

import jwt

from domain.errors import Unauthenticated
from store.base import utcnow

_ALGORITHM = "HS256"
# Member ids are INTEGER columns: a subject outside them (only a forged or foreign token has one) is invalid.
_MAX_MEMBER_ID = 2**31 - 1


def issue_token(*, member_id: int, secret: str, lifetime: timedelta) -> str:
    now = utcnow()
    return jwt.encode({"sub": str(member_id), "iat": now, "exp": now + lifetime}, secret, algorithm=_ALGORITHM)


def member_id_from_token(token: str, *, secret: str) -> int:
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp"]})
        member_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthenticated("error.token_invalid") from exc
    if not 1 <= member_id <= _MAX_MEMBER_ID:
        raise Unauthenticated("error.token_invalid")
    return member_id
