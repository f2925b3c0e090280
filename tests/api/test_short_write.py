"""A confirmation (api.deps.short_write): the caller's check, the route and the commit in one place (on
PostgreSQL the event loop, in a greenlet; on SQLite one worker thread),
the turn given back before the commit, a failed commit rolled back, the caller refused before the body
is read, and the Idempotency-Key claimed with the caller's check."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Annotated, Any

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import event, func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import api.deps
import api.routes.exchanges
from api.idempotency import Idempotency, KeyClaim
from domain.exchanges import ExchangeState
from store.accounts import AuthSession
from store.base import utcnow
from store.exchanges import Exchange
from store.idempotency import IdempotentResponse
from tests.api.helpers import World, factory

# Set by each step in its own hand-over: every hand-over to a thread runs in a copy of the request's context,
# so a later step sees what an earlier one set only if both ran in the same hand-over.
_STEPS: ContextVar[tuple[str, ...]] = ContextVar("steps", default=())


def _where(step: str) -> tuple[tuple[str, ...], bool]:
    """The steps this hand-over ran so far (this one included), and whether an event loop runs here."""
    _STEPS.set((*_STEPS.get(), step))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _STEPS.get(), False
    return _STEPS.get(), True


@pytest.fixture
def exchange_id(db: Engine, world: World) -> int:
    with factory(db) as build:
        alice, bob = (
            build.session.get(api.deps.Member, world.alice.id),
            build.session.get(api.deps.Member, world.bob.id),
        )
        assert alice is not None and bob is not None
        exchange = build.planned_exchange(helper=alice, receiver=bob, helper_minutes=60)
    assert exchange.id is not None
    return exchange.id


@pytest.fixture
def places(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Where the caller was signed in, the confirmation ran and the commit happened; and the turns given back
    and the commits."""
    seen: dict[str, Any] = {"order": []}
    sign_in, confirm = api.deps._actor, api.routes.exchanges.service.confirm
    sign_in_claiming = api.deps.caller_claiming
    give_back = api.deps.give_back_turn

    def signing_in(*args: Any) -> Any:
        seen["caller"] = _where("caller")
        return sign_in(*args)

    def signing_in_claiming(*args: Any, **kwargs: Any) -> Any:  # the caller's check with the key's claim
        seen["caller"] = _where("caller")
        return sign_in_claiming(*args, **kwargs)

    def confirming(*args: Any, **kwargs: Any) -> Any:
        seen["route"] = _where("route")
        return confirm(*args, **kwargs)

    def giving_back(scope: Any) -> None:
        seen["order"].append("turn")
        give_back(scope)

    def committed(_session: Session) -> None:
        if "route" in seen and "commit" not in seen:  # the request's own commit, after its route ran
            seen["commit"] = _where("commit")
            seen["order"].append("commit")

    monkeypatch.setattr(api.deps, "_actor", signing_in)
    monkeypatch.setattr(api.deps, "caller_claiming", signing_in_claiming)
    monkeypatch.setattr(api.deps, "give_back_turn", giving_back)
    monkeypatch.setattr(api.routes.exchanges.service, "confirm", confirming)
    event.listen(Session, "before_commit", committed)
    try:
        yield seen
    finally:
        event.remove(Session, "before_commit", committed)


def _confirm(client: TestClient, exchange_id: int, headers: dict[str, str], **extra: Any) -> Any:
    return client.post(
        f"/v1/exchanges/{exchange_id}/confirm",
        json={"minutes": 60},
        headers={**headers, "Idempotency-Key": f"confirm-{exchange_id}"},
        **extra,
    )


def test_the_caller_the_confirmation_and_the_commit_share_one_place(
    client: TestClient, world: World, exchange_id: int, places: dict[str, Any], db: Engine
) -> None:
    answer = _confirm(client, exchange_id, world.bob.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "settled"
    # One place, not three hand-overs: PostgreSQL's on the event loop (its waits awaited), SQLite's in a thread
    assert places["commit"] == (("caller", "route", "commit"), db.dialect.name == "postgresql")
    # The turn is given back by short_write as its commit starts (scheduled on the event loop, so it may run
    # after the commit began), once: no get_session is left around the route to commit again.
    assert sorted(places["order"]) == ["commit", "turn"]


def test_the_settlement_is_committed_before_the_answer(
    client: TestClient, world: World, exchange_id: int, db: Engine
) -> None:
    assert _confirm(client, exchange_id, world.bob.headers).status_code == 200
    with Session(db) as session:  # another connection sees it: committed
        row = session.get(Exchange, exchange_id)
        assert row is not None and row.state is ExchangeState.SETTLED
    replay = _confirm(client, exchange_id, world.bob.headers)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def test_a_commit_that_fails_leaves_nothing(
    client: TestClient, world: World, exchange_id: int, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = Session.commit

    def failing(session: Session) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the database went away while committing")
        real_commit(session)

    monkeypatch.setattr(Session, "commit", failing)
    with TestClient(client.app, raise_server_exceptions=False) as quiet:
        answer = _confirm(quiet, exchange_id, world.bob.headers)
    monkeypatch.undo()
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    with Session(db) as session:
        row = session.get(Exchange, exchange_id)
        assert row is not None and row.state is ExchangeState.PLANNED  # rolled back: the settlement never happened
        assert session.exec(select(func.count()).select_from(IdempotentResponse)).one() == 0
    assert _confirm(client, exchange_id, world.bob.headers).json()["state"] == "settled"  # a retry settles it


def test_the_key_is_claimed_with_the_callers_check_and_kept_with_the_answer(
    client: TestClient, world: World, exchange_id: int, db: Engine, places: dict[str, Any]
) -> None:
    answer = _confirm(client, exchange_id, world.bob.headers)
    assert answer.status_code == 200 and places["caller"][0] == ("caller",)
    with Session(db) as session:
        kept = session.exec(select(IdempotentResponse)).one()
    assert (kept.member_id, kept.key, kept.status_code) == (world.bob.id, f"confirm-{exchange_id}", 200)
    assert kept.body == answer.json()
    replay = _confirm(client, exchange_id, world.bob.headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == answer.json()
    other_body = client.post(
        f"/v1/exchanges/{exchange_id}/confirm",
        json={"minutes": 90},
        headers={**world.bob.headers, "Idempotency-Key": f"confirm-{exchange_id}"},
    )
    assert other_body.status_code == 422, other_body.text  # the key was used with another body


def test_a_caller_whose_session_ended_is_refused_and_claims_nothing(
    client: TestClient, world: World, exchange_id: int, db: Engine
) -> None:
    with Session(db) as session:  # bob logs out elsewhere: his access token names an ended session
        session.execute(
            update(AuthSession).where(col(AuthSession.member_id) == world.bob.id).values(revoked_at=utcnow())
        )
        session.commit()
    answer = _confirm(client, exchange_id, world.bob.headers)
    assert answer.status_code == 401, answer.text
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(IdempotentResponse)).one() == 0  # the claim rolled back
        row = session.get(Exchange, exchange_id)
        assert row is not None and row.state is ExchangeState.PLANNED


def test_a_route_that_does_not_run_the_claim_made_for_it_fails() -> None:
    """The claim made with the caller's check must be the one the route runs, for the caller: a route that
    forgets it or runs it for someone else fails (and its transaction, the claim with it, rolls back)."""

    class Signed:
        def actor_claiming(self, session: Session, idempotency: Idempotency) -> tuple[Any, Idempotency]:
            return "actor", dataclasses.replace(idempotency, claimed=KeyClaim(member_id=7, claim_id=1))

    def forgetful(actor: Any, idempotency: Idempotency, session: Session) -> str:
        return "answer"

    def for_another(actor: Any, idempotency: Idempotency, session: Session) -> Any:
        return idempotency.run(session, member_id=8, status_code=200, action=lambda: None)  # type: ignore[arg-type,return-value]  # never called

    pending: dict[str, Any] = {"actor": Signed()}
    for route, message in ((forgetful, "did not run"), (for_another, "another member")):
        session = Session()
        kwargs: dict[str, object] = {
            "actor": None,
            "idempotency": Idempotency(key="k", fingerprint="f"),
            "session": session,
        }
        with pytest.raises(RuntimeError, match=message):
            api.deps._with_its_caller(route, session, pending, ("actor", "idempotency"), (), kwargs)


def test_a_caller_without_a_valid_token_is_refused_before_the_body_is_read(
    client: TestClient, exchange_id: int, places: dict[str, Any]
) -> None:
    for headers in ({}, {"Authorization": "Bearer forged"}):
        answer = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": "many"}, headers=headers)
        assert answer.status_code == 401, answer.text
    assert "route" not in places and "caller" not in places


def test_the_requests_session_is_closed_in_the_routes_thread(
    client: TestClient, world: World, exchange_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes: list[str] = []
    closed: list[str] = []
    real_close, confirm = Session.close, api.routes.exchanges.service.confirm

    def confirming(*args: Any, **kwargs: Any) -> Any:
        routes.append(threading.current_thread().name)
        return confirm(*args, **kwargs)

    def closing(session: Session) -> None:
        closed.append(threading.current_thread().name)
        real_close(session)

    monkeypatch.setattr(api.routes.exchanges.service, "confirm", confirming)
    monkeypatch.setattr(Session, "close", closing)
    assert _confirm(client, exchange_id, world.bob.headers).status_code == 200
    monkeypatch.undo()
    # Made, committed and closed where the route ran, not on the event loop afterwards: the connection is
    # back in the pool before the answer is sent.
    assert routes and closed == routes


def test_a_short_write_with_another_dependency_on_the_session_is_refused() -> None:
    """Such a dependency would be solved with a session of its own, outside the route's transaction."""

    def route(
        exchange_id: int, actor: api.deps.CurrentActor, session: api.deps.SessionDep, antenna: api.deps.ModeratedAntenna
    ) -> None:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match="antenna"):
        api.deps.short_write(route)


def _another_session() -> Iterator[Session]:
    raise AssertionError("never solved")


_AnotherSession = Annotated[Session, Depends(_another_session)]


def test_a_short_write_needs_the_requests_session_and_a_caller() -> None:
    """It makes, commits and closes the request's session itself: a `session` from another dependency, or no
    caller to sign in with it, is a mistake in the route, refused at import."""

    def given(exchange_id: int, actor: api.deps.CurrentActor, session: _AnotherSession) -> None:
        raise AssertionError("never called")

    def callerless(exchange_id: int, session: api.deps.SessionDep) -> None:
        raise AssertionError("never called")

    for route in (given, callerless):
        with pytest.raises(TypeError, match="short_write needs"):
            api.deps.short_write(route)
