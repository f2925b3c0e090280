"""Admins assign and remove moderators and grant the analyst role; nobody else may."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import World


def test_assign_then_remove_a_moderator(client: TestClient, world: World) -> None:
    assert client.get("/v1/antennas/jette/memberships", headers=world.alice.headers).status_code == 403
    answer = client.post("/v1/antennas/jette/moderators", json={"email": "ALICE@example.org"}, headers=world.admin)
    assert answer.status_code == 201
    assert answer.json()["id"] == world.alice.id
    assert client.get("/v1/antennas/jette/memberships", headers=world.alice.headers).status_code == 200
    assert client.get("/v1/me", headers=world.alice.headers).json()["roles"]["moderator_of"] == ["jette"]

    again = client.post("/v1/antennas/jette/moderators", json={"email": world.alice.email}, headers=world.admin)
    assert again.status_code == 409

    removed = client.delete(f"/v1/antennas/jette/moderators/{world.alice.id}", headers=world.admin)
    assert removed.status_code == 204
    assert client.get("/v1/antennas/jette/memberships", headers=world.alice.headers).status_code == 403
    assert client.delete(f"/v1/antennas/jette/moderators/{world.alice.id}", headers=world.admin).status_code == 404

    audit = client.get("/v1/antennas/jette/audit", headers=world.mod_jette.headers).json()["items"]
    assert [e["action"] for e in audit[:2]] == ["moderator.remove", "moderator.assign"]


def test_unknown_email_or_antenna_is_404(client: TestClient, world: World) -> None:
    answer = client.post("/v1/antennas/jette/moderators", json={"email": "nobody@example.org"}, headers=world.admin)
    assert answer.status_code == 404
    answer = client.post("/v1/antennas/nowhere/moderators", json={"email": world.alice.email}, headers=world.admin)
    assert answer.status_code == 404
    assert client.post("/v1/analysts", json={"email": "nobody@example.org"}, headers=world.admin).status_code == 404


def test_only_admins_manage_roles(client: TestClient, world: World) -> None:
    for who in (world.alice, world.mod_molenbeek, world.analyst):
        body = {"email": world.bob.email}
        assert client.post("/v1/antennas/molenbeek/moderators", json=body, headers=who.headers).status_code == 403
        assert client.post("/v1/analysts", json=body, headers=who.headers).status_code == 403
        path = f"/v1/antennas/molenbeek/moderators/{world.mod_molenbeek.id}"
        assert client.delete(path, headers=who.headers).status_code == 403
    assert client.post("/v1/analysts", json={"email": world.bob.email}).status_code == 401


def test_grant_analyst(client: TestClient, world: World) -> None:
    assert client.get("/v1/me", headers=world.bob.headers).json()["roles"]["analyst"] is False
    answer = client.post("/v1/analysts", json={"email": world.bob.email}, headers=world.admin)
    assert answer.status_code == 201
    assert answer.json()["id"] == world.bob.id
    assert client.get("/v1/me", headers=world.bob.headers).json()["roles"]["analyst"] is True


def test_admins_cannot_be_made_over_the_api(client: TestClient, world: World) -> None:
    assert client.patch("/v1/me", json={"is_admin": True}, headers=world.alice.headers).status_code == 422
    assert client.get("/v1/me", headers=world.alice.headers).json()["roles"]["admin"] is False
