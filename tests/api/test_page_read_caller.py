"""The members' page reads (api.deps.page_read) with their caller: signed in where the route runs, in one
place (the event loop: on SQLite as it is, on PostgreSQL in a greenlet over psycopg's asyncio connections;
on SQLite one worker thread when acting on behalf), and the statements each page sends."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import api.deps
import api.routes.ledger
from buurtbank.db import read_first
from store.members import Member
from tests.api.helpers import World, factory, statements_sent


def _where() -> tuple[int, bool]:
    """This thread, and whether an event loop runs in it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return threading.get_ident(), False
    return threading.get_ident(), True


@pytest.fixture
def places(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Where the caller was signed in ("caller") and where the ledger route read the statement ("route")."""
    seen: dict[str, Any] = {}
    sign_in, read_statement = api.deps._actor, api.routes.ledger.member_statement

    def signing_in(*args: Any) -> Any:
        seen["caller"] = _where()
        return sign_in(*args)

    def reading(*args: Any, **kwargs: Any) -> Any:
        seen["route"] = _where()
        seen["bind"] = args[0].get_bind().url  # the engine the route's session reads through
        return read_statement(*args, **kwargs)

    monkeypatch.setattr(api.deps, "_actor", signing_in)
    monkeypatch.setattr(api.routes.ledger, "member_statement", reading)
    return seen


def test_the_caller_is_signed_in_where_the_page_is_read(
    client: TestClient, world: World, db: Engine, places: dict[str, Any]
) -> None:
    answer = client.get("/v1/me/ledger", headers=world.alice.headers)
    assert answer.status_code == 200, answer.text
    assert places["caller"] == places["route"]  # one place: no second hand-over to a worker thread
    # On the event loop: SQLite's reads wait on nothing, PostgreSQL's waits are awaited (buurtbank.db.loop_engine)
    assert places["route"][1] is True
    reads_through = client.app.state.loop_engine  # type: ignore[attr-defined]  # Starlette types .app loosely
    assert (reads_through is None) is (db.dialect.name == "sqlite")
    assert places["bind"] == (reads_through or read_first(db)).url


def test_acting_on_behalf_reads_in_one_place(
    client: TestClient, world: World, places: dict[str, Any], db: Engine
) -> None:
    headers = {**world.mod_molenbeek.headers, "On-Behalf-Of": str(world.alice.id)}
    answer = client.get("/v1/me/ledger", headers=headers)
    assert answer.status_code == 200, answer.text
    assert places["caller"] == places["route"]
    # The audit row is a write: on SQLite never on the event loop (it may wait for the lock); on PostgreSQL
    # there, its wait on the server awaited
    assert places["route"][1] is (db.dialect.name == "postgresql")
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert [e["route"] for e in trail if e["on_behalf"]] == ["GET /v1/me/ledger"]


def test_a_page_with_a_bad_token_is_401_and_reads_nothing(
    client: TestClient, world: World, places: dict[str, Any]
) -> None:
    assert client.get("/v1/me/ledger", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/v1/me/ledger").status_code == 401
    assert "route" not in places


def test_one_antennas_offers_take_twostatements_sent(client: TestClient, world: World, db: Engine) -> None:
    created = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen"},
        headers=world.bob.headers,
    )
    assert created.status_code == 201, created.text
    path = "/v1/offers?antenna=molenbeek&near_km=3"
    client.get(path, headers=world.alice.headers)  # (connections made, statements prepared)
    with statements_sent(db) as seen:
        answer = client.get(path, headers=world.alice.headers)
    assert [item["id"] for item in answer.json()["items"]] == [created.json()["id"]]
    # The caller; the page, which finds the antenna by its slug and checks that the caller sees it.
    assert len(seen) == 2, seen
    with statements_sent(db) as seen:
        answer = client.get("/v1/offers?antenna=jette&near_km=3", headers=world.alice.headers)
    assert answer.status_code == 200 and answer.json()["items"] == []
    assert len(seen) == 3, seen  # no rows: is there such an antenna (404) or is it not hers (an empty page)?


def test_my_ledger_takes_two_statements(client: TestClient, world: World, db: Engine) -> None:
    with factory(db) as build:
        alice, bob = build.session.get(Member, world.alice.id), build.session.get(Member, world.bob.id)
        assert alice is not None and bob is not None
        for _ in range(3):
            build.settled_exchange(helper=alice, receiver=bob, minutes=30)
    client.get("/v1/me/ledger", headers=world.alice.headers)  # (connections made, statements prepared)
    with statements_sent(db) as seen:
        answer = client.get("/v1/me/ledger?limit=2", headers=world.alice.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["balance"] == 90 and len(answer.json()["items"]) == 2
    assert len(seen) == 2, seen  # the caller; the page of lines, which carries the account's balance
    with statements_sent(db) as seen:
        answer = client.get("/v1/me/ledger", headers=world.bob.headers)
    assert answer.json()["balance"] == -90 and len(answer.json()["items"]) == 3
    assert len(seen) == 2, seen
    with statements_sent(db) as seen:
        answer = client.get("/v1/me/ledger", headers=world.dave.headers)
    assert answer.json() == {"balance": 0, "items": [], "next_cursor": None}
    assert len(seen) == 3, seen  # no lines: the balance (here: no account at all) is asked on its own


def test_a_listing_page_of_one_antenna_answers_as_before(client: TestClient, world: World) -> None:
    created = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen"},
        headers=world.bob.headers,
    ).json()

    def ids(query: str, headers: dict[str, str]) -> list[int]:
        answer = client.get(f"/v1/offers{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids("?antenna=molenbeek", world.alice.headers) == [created["id"]]
    assert ids("?antenna=molenbeek", world.mod_molenbeek.headers) == [created["id"]]  # moderated, not joined
    assert ids("?antenna=molenbeek", world.dave.headers) == []  # a member of Jette only
    assert ids("?antenna=molenbeek", world.carol.headers) == []  # pending
    on_behalf = {**world.mod_molenbeek.headers, "On-Behalf-Of": str(world.alice.id)}
    assert ids("?antenna=molenbeek", on_behalf) == [created["id"]]
    assert ids("?antenna=jette", on_behalf) == []
    assert ids("?antenna=molenbeek&category=visits_company", world.alice.headers) == []  # known, nothing in it
    # An unknown antenna is 404 before anything else about the query is looked at.
    for query in ("?antenna=nowhere", "?antenna=nowhere&category=astrology", "?antenna=nowhere&near_km=2"):
        for headers in (world.alice.headers, on_behalf, world.mod_molenbeek.headers):  # (the moderator: no location)
            answer = client.get(f"/v1/offers{query}", headers=headers)
            assert answer.status_code == 404, answer.text
            assert answer.json()["type"] == "urn:buurtbank:problem:antenna:unknown"
    assert client.get("/v1/offers?antenna=molenbeek&near_km=2", headers=world.mod_molenbeek.headers).status_code == 422
