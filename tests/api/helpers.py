"""Helpers that drive the API the way a person would: register, log in, join, get approved."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.roles import create_admin

PASSWORD = "correct horse battery"


def register(client: TestClient, email: str, *, name: str | None = None, language: str = "nl") -> int:
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
    with Session(engine) as session:
        create_admin(session, email=email, password=PASSWORD)
        session.commit()
    return login(client, email)


@dataclass
class Person:
    id: int
    email: str
    headers: dict[str, str]
    extra: dict[str, object] = field(default_factory=dict)


def person(client: TestClient, email: str, *, name: str | None = None, postcode: str | None = None) -> Person:
    member_id = register(client, email, name=name)
    headers = login(client, email)
    if postcode is not None:
        answer = client.patch("/v1/me", json={"location": {"postcode": postcode}}, headers=headers)
        assert answer.status_code == 200, answer.text
    return Person(id=member_id, email=email, headers=headers)


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
    who = person(client, email, name=name, postcode=postcode)
    approve(client, moderator, slug, join(client, who, slug))
    return who


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
    admin = admin_headers(client, engine)
    mod_m = person(client, "mod.molenbeek@example.org", name="Mod Molenbeek")
    mod_j = person(client, "mod.jette@example.org", name="Mod Jette")
    make_moderator(client, admin, mod_m, "molenbeek")
    make_moderator(client, admin, mod_j, "jette")
    analyst = person(client, "analyst@example.org", name="Analyst")
    assert client.post("/v1/analysts", json={"email": analyst.email}, headers=admin).status_code == 201
    alice = approved_member(
        client, "alice@example.org", slug="molenbeek", moderator=mod_m, postcode="1080", name="Alice"
    )
    bob = approved_member(client, "bob@example.org", slug="molenbeek", moderator=mod_m, postcode="1080", name="Bob")
    carol = person(client, "carol@example.org", name="Carol", postcode="1080")
    join(client, carol, "molenbeek")
    dave = approved_member(client, "dave@example.org", slug="jette", moderator=mod_j, postcode="1090", name="Dave")
    return World(admin, mod_m, mod_j, analyst, alice, bob, carol, dave)
