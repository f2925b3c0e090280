"""Idempotency-Key for credit-moving calls: the same key and body give the first answer, never a second effect.

The key is claimed (inserted) before the work starts, in the request's transaction. A concurrent retry
with the same key waits on the unique index until the first commits, then replays its answer; if the first
fails, its claim rolls back with it and the retry runs normally. Only successful answers are kept.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from domain.errors import InvalidInput
from store import idempotency
from store.idempotency import IdempotentResponse

# Typed `str` with a None default (as On-Behalf-Of): a header is absent or a string, never a null.
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="any unique string; a retry with the same key and body returns the first answer",
    ),
]


async def request_fingerprint(request: Request) -> str:
    body = await request.body()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(found: IdempotentResponse, fingerprint: str) -> JSONResponse:
    if found.request_fingerprint != fingerprint:
        raise InvalidInput("error.idempotency.key_reused", field="Idempotency-Key")
    return JSONResponse(found.body, status_code=found.status_code, headers={"Idempotent-Replayed": "true"})


@dataclass(slots=True)
class KeyClaim:
    """The key claimed for `member_id` together with the caller's check (api.deps.short_write), before the
    route ran: `claim_id` as store.idempotency.claim answers it. `used` once the route's run took it."""

    member_id: int
    claim_id: int | None
    used: bool = False


def run_idempotent(
    session: Session,
    *,
    member_id: int,
    key: str | None,
    fingerprint: str,
    status_code: int,
    action: Callable[[], BaseModel],
    claimed: KeyClaim | None = None,
) -> Any:
    if key is None:
        return action()
    if claimed is not None:
        if claimed.member_id != member_id:  # a route's mistake: the request fails and the claim rolls back
            raise RuntimeError("the Idempotency-Key was claimed for another member than the route's")
        claimed.used = True
        claim_id = claimed.claim_id
    else:
        claim_id = idempotency.claim(session, member_id=member_id, key=key, fingerprint=fingerprint)
    if claim_id is None:
        found = idempotency.find(session, member_id=member_id, key=key)
        assert found is not None
        return _replay(found, fingerprint)
    result = action()
    idempotency.keep_answer(
        session, claim_id=claim_id, status_code=status_code, body=result.model_dump(mode="json", by_alias=True)
    )
    return result


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The request's Idempotency-Key and body fingerprint; `run` claims the key in the unit of work it is given
    (the route's `session`), so the dependency itself needs no session of its own. `claimed`: the claim made
    already with the caller's check (api.deps.short_write), which `run` takes instead of claiming."""

    key: str | None
    fingerprint: str
    claimed: KeyClaim | None = None

    def run(self, session: Session, *, member_id: int, status_code: int, action: Callable[[], BaseModel]) -> Any:
        return run_idempotent(
            session,
            member_id=member_id,
            key=self.key,
            fingerprint=self.fingerprint,
            status_code=status_code,
            action=action,
            claimed=self.claimed,
        )


def run_before_an_account(
    session: Session,
    *,
    key: str | None,
    fingerprint: str,
    secret: str,
    status_code: int,
    action: Callable[[], BaseModel],
    owner: Callable[[BaseModel], int],
) -> Any:
    """Idempotency for a call whose caller has no account yet (registration).

    The answer is kept under the account it created (`owner`), found again by key and body. The body holds
    a password, so its fingerprint is an HMAC under the server's secret: the table never holds a hash of a
    password someone could test guesses against. Two concurrent first tries still create one account (the
    e-mail address is unique); the second gets the 409 a retry without a key gets.
    """
    if key is None:
        return action()
    keyed = hmac.new(secret.encode(), fingerprint.encode(), hashlib.sha256).hexdigest()
    found = idempotency.find_for_anyone(session, key=key, request_fingerprint=keyed)
    if found is not None:
        return _replay(found, keyed)
    result = action()
    session.add(
        IdempotentResponse(
            member_id=owner(result),
            key=key,
            request_fingerprint=keyed,
            status_code=status_code,
            body=result.model_dump(mode="json", by_alias=True),
        )
    )
    session.flush()
    return result


async def request_idempotency(  # async: no I/O here, so no worker thread
    request: Request,
    key: IdempotencyKey = None,  # type: ignore[assignment]  # absent: no key
) -> Idempotency:
    # The fingerprint computed here rather than as a dependency of its own: FastAPI's solving costs per
    # dependency, and every confirmation solves this one.
    return Idempotency(key=key, fingerprint=await request_fingerprint(request))


IdempotencyDep = Annotated[Idempotency, Depends(request_idempotency)]
