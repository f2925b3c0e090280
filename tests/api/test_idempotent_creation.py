"""A retried POST /v1/offers, /v1/requests or /v1/auth/register (lost answer) creates nothing twice."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.idempotency import IdempotentResponse
from tests.api.helpers import PASSWORD, World


@pytest.mark.parametrize("kind", ["offers", "requests"])
def test_a_retried_listing_is_created_once(client: TestClient, world: World, kind: str) -> None:
    body = {"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen doen"}
    headers = world.alice.headers | {"Idempotency-Key": f"new-{kind}-1"}
    first = client.post(f"/v1/{kind}", json=body, headers=headers)
    again = client.post(f"/v1/{kind}", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    mine = client.get(f"/v1/{kind}", params={"mine": True}, headers=world.alice.headers).json()["items"]
    assert [item["id"] for item in mine].count(first.json()["id"]) == 1
    assert len([item for item in mine if item["title"] == "Boodschappen doen"]) == 1
    other = client.post(f"/v1/{kind}", json=body | {"title": "Iets anders"}, headers=headers)
    assert other.status_code == 422 and other.json()["type"] == "urn:buurtbank:problem:idempotency:key_reused"


def test_a_retried_registration_answers_the_first_account(client: TestClient, db: Engine) -> None:
    body = {"email": "nieuw@example.org", "password": PASSWORD, "display_name": "Nieuw"}
    key = {"Idempotency-Key": "register-1"}
    first = client.post("/v1/auth/register", json=body, headers=key)
    again = client.post("/v1/auth/register", json=body, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"
    without_key = client.post("/v1/auth/register", json=body)
    assert without_key.status_code == 409
    # The stored fingerprint covers a password: it must not be a plain hash of the body anyone could test.
    with Session(db) as session:
        row = session.exec(select(IdempotentResponse).where(IdempotentResponse.key == "register-1")).one()
    assert row.member_id == first.json()["id"]
    plain = hashlib.sha256()
    for part in (b"POST", b"/v1/auth/register", first.request.content):
        plain.update(part)
        plain.update(b"\0")
    assert row.request_fingerprint != plain.hexdigest()
