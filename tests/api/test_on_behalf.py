"""A moderator acting for an offline member (On-Behalf-Of): allowed in their antenna, audited, 403 elsewhere."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.exchange_helpers import balance, exchange_between
from tests.api.helpers import World


def _for(world: World, member_id: int) -> dict[str, str]:
    return {**world.mod_molenbeek.headers, "On-Behalf-Of": str(member_id)}


def test_moderator_posts_a_request_for_a_member_and_it_is_audited(client: TestClient, world: World) -> None:
    answer = client.post(
        "/v1/requests",
        json={"antenna": "molenbeek", "category": "paperwork", "title": "Brief van de gemeente lezen"},
        headers=_for(world, world.alice.id),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["member"]["id"] == world.alice.id
    mine = client.get("/v1/requests?mine=true", headers=world.alice.headers).json()["items"]
    assert [r["id"] for r in mine] == [answer.json()["id"]]

    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    acted = [e for e in trail if e["on_behalf"]]
    assert acted[0]["action"] == "member.act_for" and acted[0]["route"] == "POST /v1/requests"
    assert acted[0]["actor"]["id"] == world.mod_molenbeek.id
    assert acted[0]["subject"]["id"] == world.alice.id


def test_moderator_confirms_an_exchange_for_a_member(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 45}, headers=world.bob.headers)
    settled = client.post(
        f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 45}, headers=_for(world, world.alice.id)
    )
    assert settled.json()["state"] == "settled"
    assert balance(client, world.bob) == 45
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert any(
        e["action"] == "member.act_for" and e["route"] == "POST /v1/exchanges/{exchange_id}/confirm" and e["on_behalf"]
        for e in trail
    )
    assert all(e["route"] is None for e in trail if e["action"] != "member.act_for")


def test_on_behalf_of_a_member_of_another_antenna_is_403(client: TestClient, world: World) -> None:
    answer = client.get("/v1/me", headers=_for(world, world.dave.id))
    assert answer.status_code == 403
    assert client.get("/v1/me", headers=_for(world, 999_999)).status_code == 403


def test_a_plain_member_cannot_act_for_another(client: TestClient, world: World) -> None:
    answer = client.get("/v1/me", headers={**world.bob.headers, "On-Behalf-Of": str(world.alice.id)})
    assert answer.status_code == 403


def test_the_member_sees_their_own_profile_through_the_moderator(client: TestClient, world: World) -> None:
    me = client.get("/v1/me", headers=_for(world, world.alice.id))
    assert me.status_code == 200 and me.json()["id"] == world.alice.id
