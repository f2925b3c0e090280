"""The heart of the timebank through HTTP: respond, approve, accept, confirm, confirm, balances."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.exchange_helpers import balance, exchange_between, post_request
from tests.api.helpers import World, approved_member, make_moderator, person


def test_whole_loop_moves_minutes_from_receiver_to_helper(client: TestClient, world: World) -> None:
    request_id = post_request(client, world.alice, minutes=90)
    responded = client.post(f"/v1/requests/{request_id}/respond", headers=world.bob.headers)
    assert responded.status_code == 201
    proposal = responded.json()
    assert proposal["state"] == "pending_review" and proposal["my_role"] == "helper"
    assert proposal["other"] == {"id": world.alice.id, "display_name": "Alice"}

    queue = client.get("/v1/antennas/molenbeek/proposals?status=pending_review", headers=world.mod_molenbeek.headers)
    assert [p["id"] for p in queue.json()["items"]] == [proposal["id"]]
    assert (
        client.post(f"/v1/proposals/{proposal['id']}/approve", headers=world.mod_molenbeek.headers).status_code == 200
    )

    mine = client.get("/v1/me/proposals", headers=world.alice.headers).json()["items"]
    assert mine[0]["my_role"] == "receiver" and mine[0]["they_accepted"] is True and mine[0]["i_accepted"] is False
    accepted = client.post(f"/v1/proposals/{proposal['id']}/accept", headers=world.alice.headers).json()
    assert accepted["state"] == "accepted"
    exchange_id = accepted["exchange_id"]

    first = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 90}, headers=world.bob.headers)
    assert first.status_code == 200 and first.json()["state"] == "planned"
    assert balance(client, world.bob) == 0
    second = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 90}, headers=world.alice.headers)
    assert second.status_code == 200 and second.json()["state"] == "settled"
    assert second.json()["settled_minutes"] == 90
    assert balance(client, world.bob) == 90
    assert balance(client, world.alice) == -90

    statement = client.get("/v1/me/ledger", headers=world.bob.headers).json()
    line = statement["items"][0]
    assert line["minutes"] == 90 and line["kind"] == "settlement"
    assert line["counterparty"]["display_name"] == "Alice" and line["category"] == "shopping"
    assert line["exchange_id"] == exchange_id

    antenna = client.get("/v1/antennas/molenbeek/ledger", headers=world.mod_molenbeek.headers).json()
    assert sum(a["balance"] for a in antenna["accounts"]) == 0


def test_confirming_again_after_settlement_is_refused_and_moves_nothing(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    for who in (world.bob, world.alice):
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=who.headers)
    again = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=world.bob.headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert balance(client, world.bob) == 60


def test_minutes_off_the_time_step_are_422(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    answer = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 50}, headers=world.bob.headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "minutes"
    assert (
        client.post(
            f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 1.5}, headers=world.bob.headers
        ).status_code
        == 422
    )


def test_disagreement_goes_to_the_moderator_who_settles_with_a_reason(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=world.bob.headers)
    disputed = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 30}, headers=world.alice.headers)
    assert disputed.json()["state"] == "disputed"
    todo = client.get("/v1/antennas/molenbeek/exchanges?status=disputed", headers=world.mod_molenbeek.headers)
    assert [e["id"] for e in todo.json()["items"]] == [exchange_id]
    no_reason = client.post(
        f"/v1/exchanges/{exchange_id}/resolve", json={"minutes": 45}, headers=world.mod_molenbeek.headers
    )
    assert no_reason.status_code == 422
    other_moderator = client.post(
        f"/v1/exchanges/{exchange_id}/resolve",
        json={"minutes": 45, "reason": "Phoned both"},
        headers=world.mod_jette.headers,
    )
    assert other_moderator.status_code == 404  # another antenna's exchange: as if it did not exist
    resolved = client.post(
        f"/v1/exchanges/{exchange_id}/resolve",
        json={"minutes": 45, "reason": "Phoned both: 45 minutes"},
        headers=world.mod_molenbeek.headers,
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    assert balance(client, world.bob) == 45 and balance(client, world.alice) == -45
    audit = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert audit[0]["action"] == "exchange.resolve"


def test_cancel_before_it_happened_reopens_the_request(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    cancelled = client.post(f"/v1/exchanges/{exchange_id}/cancel", json={"note": "ziek"}, headers=world.alice.headers)
    assert cancelled.json()["state"] == "cancelled"
    assert (
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=world.bob.headers).status_code
        == 409
    )
    requests = client.get("/v1/requests?mine=true", headers=world.alice.headers).json()["items"]
    assert requests[0]["status"] == "open"


def test_illegal_proposal_steps_answer_409_and_change_nothing(client: TestClient, world: World) -> None:
    request_id = post_request(client, world.alice)
    proposal_id = client.post(f"/v1/requests/{request_id}/respond", headers=world.bob.headers).json()["id"]
    # Accepting before the moderator approved.
    assert client.post(f"/v1/proposals/{proposal_id}/accept", headers=world.alice.headers).status_code == 409
    # Responding twice to the same request.
    assert client.post(f"/v1/requests/{request_id}/respond", headers=world.bob.headers).status_code == 409
    # Responding to one's own request.
    assert client.post(f"/v1/requests/{request_id}/respond", headers=world.alice.headers).status_code == 422
    # A moderator of another antenna cannot decide.
    assert client.post(f"/v1/proposals/{proposal_id}/approve", headers=world.mod_jette.headers).status_code in (
        403,
        404,
    )
    reject = client.post(
        f"/v1/proposals/{proposal_id}/reject", json={"reason": "Not a good fit"}, headers=world.mod_molenbeek.headers
    )
    assert reject.json()["state"] == "rejected"
    assert client.post(f"/v1/proposals/{proposal_id}/approve", headers=world.mod_molenbeek.headers).status_code == 409
    assert client.post(f"/v1/proposals/{proposal_id}/accept", headers=world.alice.headers).status_code == 409


def test_a_stranger_cannot_see_or_touch_an_exchange(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    assert client.get(f"/v1/exchanges/{exchange_id}", headers=world.dave.headers).status_code == 404
    assert (
        client.post(
            f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=world.dave.headers
        ).status_code
        == 404
    )
    assert client.get(f"/v1/exchanges/{exchange_id}", headers=world.mod_molenbeek.headers).status_code == 200


def test_an_antenna_may_let_members_own_proposals_skip_review(client: TestClient, world: World) -> None:
    # Marollen declares member_proposals_need_review = false in antennas/marollen.toml.
    moderator = person(client, "mod.marollen@example.org", name="Mod Marollen")
    make_moderator(client, world.admin, moderator, "marollen")
    asker = approved_member(client, "asker@example.org", slug="marollen", moderator=moderator, postcode="1000")
    helper = approved_member(client, "helper@example.org", slug="marollen", moderator=moderator, postcode="1000")
    request_id = post_request(client, asker, slug="marollen")
    proposal = client.post(f"/v1/requests/{request_id}/respond", headers=helper.headers).json()
    assert proposal["state"] == "approved"
    accepted = client.post(f"/v1/proposals/{proposal['id']}/accept", headers=asker.headers).json()
    assert accepted["state"] == "accepted" and accepted["exchange_id"] is not None
