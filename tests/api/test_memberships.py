"""Joining an antenna and the moderators' decisions: order, filters, pages, audit, who may decide."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import World, join, person

LISTING = {"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen"}


def _memberships(client: TestClient, world: World, query: str = "") -> dict:  # type: ignore[type-arg]
    answer = client.get(f"/v1/antennas/molenbeek/memberships{query}", headers=world.mod_molenbeek.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _carol_membership(client: TestClient, world: World) -> int:
    (item,) = [m for m in _memberships(client, world)["items"] if m["member"]["id"] == world.carol.id]
    return int(item["id"])


def test_join_is_pending_and_twice_is_a_conflict(client: TestClient, world: World) -> None:
    answer = client.post("/v1/antennas/jette/memberships", headers=world.alice.headers)
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["antenna"]) == ("pending", "jette")
    assert answer.json()["member"] == {"id": world.alice.id, "display_name": "Alice"}
    again = client.post("/v1/antennas/jette/memberships", headers=world.alice.headers)
    assert again.status_code == 409
    assert client.post("/v1/antennas/nowhere/memberships", headers=world.alice.headers).status_code == 404


def test_pending_come_first_and_status_filters(client: TestClient, world: World) -> None:
    items = _memberships(client, world)["items"]
    assert [m["status"] for m in items] == ["pending", "approved", "approved"]
    assert items[0]["member"]["id"] == world.carol.id
    pending = _memberships(client, world, "?status=pending")["items"]
    assert [m["member"]["id"] for m in pending] == [world.carol.id]
    approved = _memberships(client, world, "?status=approved")["items"]
    assert {m["member"]["id"] for m in approved} == {world.alice.id, world.bob.id}
    assert (
        client.get("/v1/antennas/molenbeek/memberships?status=maybe", headers=world.mod_molenbeek.headers).status_code
        == 422
    )


def test_memberships_page_with_a_cursor(client: TestClient, world: World) -> None:
    for n in range(3):
        join(client, person(client, f"extra{n}@example.org"), "molenbeek")
    seen: list[int] = []
    statuses: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = _memberships(client, world, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["items"]) <= 2
        seen += [m["id"] for m in page["items"]]
        statuses += [m["status"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert statuses == ["pending"] * 4 + ["approved"] * 2


def test_approve_lets_the_member_post_and_is_audited(client: TestClient, world: World) -> None:
    assert client.post("/v1/offers", json=LISTING, headers=world.carol.headers).status_code == 403
    membership = _carol_membership(client, world)
    answer = client.post(
        f"/v1/antennas/molenbeek/memberships/{membership}/approve", headers=world.mod_molenbeek.headers
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "approved" and answer.json()["decided_at"] is not None
    assert client.post("/v1/offers", json=LISTING, headers=world.carol.headers).status_code == 201
    again = client.post(f"/v1/antennas/molenbeek/memberships/{membership}/approve", headers=world.mod_molenbeek.headers)
    assert again.status_code == 409

    audit = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers)
    assert audit.status_code == 200
    newest = audit.json()["items"][0]
    assert newest["action"] == "membership.approve"
    assert newest["actor"]["id"] == world.mod_molenbeek.id and newest["subject"]["id"] == world.carol.id
    assert newest["detail"]["membership_id"] == membership


def test_reject_with_a_reason_then_the_member_may_ask_again(client: TestClient, world: World) -> None:
    membership = _carol_membership(client, world)
    answer = client.post(
        f"/v1/antennas/molenbeek/memberships/{membership}/reject",
        json={"reason": "  Woont buiten de wijk  "},
        headers=world.mod_molenbeek.headers,
    )
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["reason"]) == ("rejected", "Woont buiten de wijk")
    audit = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert audit[0]["action"] == "membership.reject"
    assert audit[0]["detail"] == {"membership_id": membership, "reason": "Woont buiten de wijk"}

    again = client.post("/v1/antennas/molenbeek/memberships", headers=world.carol.headers)
    assert again.status_code == 201
    assert (again.json()["id"], again.json()["status"], again.json()["reason"]) == (membership, "pending", None)


def test_a_moderator_of_another_antenna_may_not_decide_or_look(client: TestClient, world: World) -> None:
    membership = _carol_membership(client, world)
    for path in (
        f"/v1/antennas/molenbeek/memberships/{membership}/approve",
        f"/v1/antennas/molenbeek/memberships/{membership}/reject",
    ):
        assert client.post(path, headers=world.mod_jette.headers).status_code == 403
    assert client.get("/v1/antennas/molenbeek/memberships", headers=world.mod_jette.headers).status_code == 403
    assert client.get("/v1/antennas/molenbeek/audit", headers=world.mod_jette.headers).status_code == 403
    # Through their own antenna, the membership of another antenna does not exist.
    answer = client.post(f"/v1/antennas/jette/memberships/{membership}/approve", headers=world.mod_jette.headers)
    assert answer.status_code == 404
    assert _memberships(client, world, "?status=pending")["items"][0]["status"] == "pending"


def test_a_pending_member_cannot_post(client: TestClient, world: World) -> None:
    assert client.post("/v1/offers", json=LISTING, headers=world.carol.headers).status_code == 403
    request = LISTING | {"minutes": 30}
    assert client.post("/v1/requests", json=request, headers=world.carol.headers).status_code == 403
