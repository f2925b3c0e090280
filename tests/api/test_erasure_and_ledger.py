"""Erasing a member keeps the books right: their entries stay, under an anonymous shell."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.ledger import accounts_with_drift, total_of_all_entries
from tests.api.exchange_helpers import balance, exchange_between
from tests.api.helpers import World


def test_export_contains_ledger_proposals_and_exchanges(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    for who in (world.bob, world.alice):
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 30}, headers=who.headers)
    export = client.get("/v1/me/export", headers=world.bob.headers).json()
    assert export["ledger"]["balance"] == 30
    assert export["ledger"]["items"][0]["counterparty"]["display_name"] == "Alice"
    assert export["exchanges"][0]["settled_minutes"] == 30
    assert export["proposals"][0]["my_role"] == "helper"
    # What Bob was told along the way: his membership approved, the exchange planned, then settled.
    told = [n["kind"] for n in export["notifications"]]
    assert told == ["membership_decided", "exchange_planned", "exchange_settled"]


def test_erasure_keeps_entries_and_every_other_balance(client: TestClient, world: World, db: Engine) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    for who in (world.bob, world.alice):
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 75}, headers=who.headers)
    open_exchange = exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)

    assert client.delete("/v1/me", headers=world.bob.headers).status_code == 204
    assert balance(client, world.alice) == -75
    statement = client.get("/v1/me/ledger", headers=world.alice.headers).json()
    assert statement["items"][0]["counterparty"]["display_name"].startswith("Former member")
    planned = client.get(f"/v1/exchanges/{open_exchange}", headers=world.alice.headers).json()
    assert planned["state"] == "cancelled"
    with Session(db) as session:
        assert total_of_all_entries(session) == 0
        assert accounts_with_drift(session) == []
    ledger = client.get("/v1/antennas/molenbeek/ledger", headers=world.mod_molenbeek.headers).json()
    assert sum(a["balance"] for a in ledger["accounts"]) == 0


def test_pool_payment_and_reversal_by_a_moderator(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)
    for who in (world.alice, world.bob):
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=who.headers)
    donated = client.post(
        "/v1/me/ledger/donations", json={"antenna": "molenbeek", "minutes": 60}, headers=world.alice.headers
    )
    assert donated.status_code == 201
    paid = client.post(
        "/v1/antennas/molenbeek/ledger/pool-payments",
        json={"member_id": world.bob.id, "minutes": 45, "reason": "Bob cannot give back after his operation"},
        headers=world.mod_molenbeek.headers,
    )
    assert paid.status_code == 201 and balance(client, world.bob) == -15
    transfer_id = paid.json()["transfer_id"]
    reversal = {"kind": "reversal", "transfer_id": transfer_id, "reason": "Booked for the wrong member"}
    reversed_ = client.post(
        "/v1/antennas/molenbeek/ledger/corrections", json=reversal, headers=world.mod_molenbeek.headers
    )
    assert reversed_.status_code == 201 and reversed_.json()["kind"] == "reversal"
    assert balance(client, world.bob) == -60
    again = client.post("/v1/antennas/molenbeek/ledger/corrections", json=reversal, headers=world.mod_molenbeek.headers)
    assert again.status_code == 409
    no_reason = client.post(
        "/v1/antennas/molenbeek/ledger/corrections",
        json={"kind": "reversal", "transfer_id": transfer_id},
        headers=world.mod_molenbeek.headers,
    )
    assert no_reason.status_code == 422
    member_tries = client.post("/v1/antennas/molenbeek/ledger/corrections", json=reversal, headers=world.alice.headers)
    assert member_tries.status_code == 403
    adjust = {
        "kind": "adjustment",
        "from_member_id": world.bob.id,
        "to_member_id": world.alice.id,
        "minutes": 15,
        "reason": "Forgot a quarter",
    }
    adjusted = client.post(
        "/v1/antennas/molenbeek/ledger/corrections", json=adjust, headers=world.mod_molenbeek.headers
    )
    assert adjusted.status_code == 201 and balance(client, world.alice) == 15
    actions = [
        e["action"]
        for e in client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    ]
    assert {"ledger.pool_payment", "ledger.reversal", "ledger.adjustment"} <= set(actions)


def test_crossing_an_anchor_settles_but_tells_the_moderators(client: TestClient, world: World) -> None:
    # Molenbeek: lowest balance -600, low anchor -300. Six hours of help take Alice past the anchor.
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    for who in (world.bob, world.alice):
        answer = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 360}, headers=who.headers)
        assert answer.status_code == 200
    assert balance(client, world.alice) == -360
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    flags = [e for e in trail if e["action"] == "ledger.anchor_crossed"]
    assert [(f["subject"]["id"], f["detail"]["anchor"]) for f in flags] == [(world.alice.id, "lowest")]
    accounts = client.get("/v1/antennas/molenbeek/ledger", headers=world.mod_molenbeek.headers).json()["accounts"]
    flagged = {a["member"]["id"] for a in accounts if a["beyond_anchor"]}
    assert flagged == {world.alice.id}
