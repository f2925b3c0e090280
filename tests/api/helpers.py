"""API-test helpers: people built through the services (services.factories), then signed in over HTTP.

Building a person costs a few service calls in one transaction instead of five HTTP requests; the HTTP
helpers left here (register, login, join, approve, make_moderator) are the steps some tests drive on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank.db import loop_engine
from services.factories import DEFAULT_PASSWORD, Factory
from store.base import row_id
from store.members import Member

PASSWORD = DEFAULT_PASSWORD


@contextmanager
def factory(engine: Engine) -> Iterator[Factory]:
    """A Factory over a new session on `engine`, committed when the block ends without an error."""
    with Session(engine, expire_on_commit=False) as session:
        yield Factory(session, password=PASSWORD)
        session.commit()


def _engine(client: TestClient) -> Engine:
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]  # Starlette types .app loosely
    return engine


def register(client: TestClient, email: str, *, name: str | None = None, language: str = "nl") -> int:
    """Registration over HTTP (for the tests of registration and what follows it)."""
    answer = client.post(
        "/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": name or email.split("@")[0], "language": language},
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/v1/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def admin_headers(client: TestClient, engine: Engine, email: str = "admin@example.org") -> dict[str, str]:
    with factory(engine) as build:
        build.admin(email)
    return login(client, email)


@dataclass
class Person:
    id: int
    email: str
    headers: dict[str, str]
    extra: dict[str, object] = field(default_factory=dict)


def _signed_in(client: TestClient, member: Member) -> Person:
    assert member.email is not None
    return Person(id=row_id(member), email=member.email, headers=login(client, member.email))


def person(client: TestClient, email: str, *, name: str | None = None, postcode: str | None = None) -> Person:
    """A registered person (through the services), signed in."""
    with factory(_engine(client)) as build:
        member = build.person(email, name=name, postcode=postcode)
    return _signed_in(client, member)


def join(client: TestClient, who: Person, slug: str) -> int:
    answer = client.post(f"/v1/antennas/{slug}/memberships", headers=who.headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def approve(client: TestClient, moderator: Person, slug: str, membership_id: int) -> None:
    answer = client.post(f"/v1/antennas/{slug}/memberships/{membership_id}/approve", headers=moderator.headers)
    assert answer.status_code == 200, answer.text


def make_moderator(client: TestClient, admin: dict[str, str], who: Person, slug: str) -> None:
    answer = client.post(f"/v1/antennas/{slug}/moderators", json={"email": who.email}, headers=admin)
    assert answer.status_code == 201, answer.text


def approved_member(
    client: TestClient, email: str, *, slug: str, moderator: Person, postcode: str, name: str | None = None
) -> Person:
    """A located person, approved in the antenna by `moderator` (through the services), signed in."""
    with factory(_engine(client)) as build:
        approver = build.session.get(Member, moderator.id)
        assert approver is not None
        member = build.member(email, slug, name=name, postcode=postcode, moderator=approver)
    return _signed_in(client, member)


@dataclass
class World:
    """A small network: two antennas with a moderator each, members in both, an analyst and an admin."""

    admin: dict[str, str]
    mod_molenbeek: Person
    mod_jette: Person
    analyst: Person
    alice: Person  # Molenbeek, approved
    bob: Person  # Molenbeek, approved
    carol: Person  # Molenbeek, pending
    dave: Person  # Jette, approved


def build_world(client: TestClient, engine: Engine) -> World:
    with factory(engine) as build:
        admin = build.admin("admin@example.org")
        mod_m = build.moderator_of("molenbeek", build.person("mod.molenbeek@example.org", name="Mod Molenbeek"))
        mod_j = build.moderator_of("jette", build.person("mod.jette@example.org", name="Mod Jette"))
        analyst = build.analyst(build.person("analyst@example.org", name="Analyst"))
        alice = build.member("alice@example.org", "molenbeek", name="Alice", postcode="1080", moderator=mod_m)
        bob = build.member("bob@example.org", "molenbeek", name="Bob", postcode="1080", moderator=mod_m)
        carol = build.person("carol@example.org", name="Carol", postcode="1080")
        build.join(carol, "molenbeek")
        dave = build.member("dave@example.org", "jette", name="Dave", postcode="1090", moderator=mod_j)
    assert admin.email is not None
    return World(
        login(client, admin.email),
        *(_signed_in(client, m) for m in (mod_m, mod_j, analyst, alice, bob, carol, dave)),
    )


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs (SQLite's BEGIN IMMEDIATE included; psycopg's
    own BEGIN and the COMMIT are not statements SQLAlchemy executes, and are not counted)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:  # SQLAlchemy's listener signature
        seen.append(statement)

    engines = [engine, *filter(None, [loop_engine(engine)])]  # (PostgreSQL: the event loop's engine too)
    for each in engines:
        event.listen(each, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", count)
