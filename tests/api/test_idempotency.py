"""Idempotency-Key: a retry returns the first answer and never moves minutes twice."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.exchange_helpers import balance, exchange_between
from tests.api.helpers import World


def _settled_exchange(client: TestClient, world: World, minutes: int = 120) -> None:
    exchange_id = exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)
    for who in (world.alice, world.bob):
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": minutes}, headers=who.headers)


def test_a_retried_donation_gives_once_and_answers_the_same(client: TestClient, world: World) -> None:
    _settled_exchange(client, world)
    headers = {**world.alice.headers, "Idempotency-Key": "donation-1"}
    body = {"antenna": "molenbeek", "minutes": 30}
    first = client.post("/v1/me/ledger/donations", json=body, headers=headers)
    second = client.post("/v1/me/ledger/donations", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert balance(client, world.alice) == 90
    pool = client.get("/v1/antennas/molenbeek/ledger", headers=world.mod_molenbeek.headers).json()["pool_balance"]
    assert pool == 30


def test_the_same_key_with_another_body_is_refused(client: TestClient, world: World) -> None:
    _settled_exchange(client, world)
    headers = {**world.alice.headers, "Idempotency-Key": "donation-2"}
    client.post("/v1/me/ledger/donations", json={"antenna": "molenbeek", "minutes": 15}, headers=headers)
    other = client.post("/v1/me/ledger/donations", json={"antenna": "molenbeek", "minutes": 45}, headers=headers)
    assert other.status_code == 422
    assert balance(client, world.alice) == 105


def test_a_retried_confirmation_replays_the_settlement(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)
    client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=world.alice.headers)
    headers = {**world.bob.headers, "Idempotency-Key": "confirm-1"}
    first = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=headers)
    retry = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["state"] == "settled"
    assert balance(client, world.alice) == 60


def test_donating_more_than_the_balance_is_409(client: TestClient, world: World) -> None:
    answer = client.post(
        "/v1/me/ledger/donations", json={"antenna": "molenbeek", "minutes": 15}, headers=world.alice.headers
    )
    assert answer.status_code == 409
    assert balance(client, world.alice) == 0
