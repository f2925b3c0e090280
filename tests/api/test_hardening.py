"""Leaks and bad input (issue 9, points 13, 14, 16 and 17): rounded distance filters, hidden ids that
answer like missing ones, out-of-range values that answer 4xx, and listings whose withdrawal ends things."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank.settings import Settings
from domain import geo
from store.base import utcnow
from store.listings import HelpRequest, ListingStatus
from store.members import Member
from tests.api.exchange_helpers import exchange_between, post_request
from tests.api.helpers import World

PROBLEM = "application/problem+json"


def _cursor(*values: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


# --- 13: near_km filters on the published distance -------------------------------------------------


def test_near_km_filters_on_the_rounded_distance_not_the_stored_point(
    client: TestClient, world: World, db: Engine
) -> None:
    moved = client.patch("/v1/me", json={"location": {"lat": 50.8705, "lon": 4.3390}}, headers=world.bob.headers)
    assert moved.status_code == 200, moved.text
    request_id = post_request(client, world.bob)
    with Session(db) as session:
        alice, bob = session.get(Member, world.alice.id), session.get(Member, world.bob.id)
        assert alice is not None and bob is not None
        exact = geo.distance_km((alice.location_lat, alice.location_lon), (bob.location_lat, bob.location_lon))  # type: ignore[arg-type]
    shown = geo.published_km(exact)
    assert exact != shown and shown > 0

    def found(near_km: float) -> bool:
        answer = client.get(f"/v1/requests?near_km={near_km}", headers=world.alice.headers)
        assert answer.status_code == 200, answer.text
        items = {item["id"]: item for item in answer.json()["items"]}
        if request_id in items:
            assert items[request_id]["distance_km"] == shown
        return request_id in items

    # Between the exact and the shown distance the answer follows the shown one: bisecting learns no more.
    between = (exact + shown) / 2
    assert found(between) is (shown <= between)
    assert found(shown) is True
    assert found(shown - 0.01) is False
    # Every radius between two half kilometres answers the same.
    answers = {found(shown - 0.5 + step / 10) for step in range(1, 5)}
    assert answers == {False}


# --- 14: another antenna's proposal or exchange answers like a missing one --------------------------


def _proposal(client: TestClient, world: World) -> int:
    request_id = post_request(client, world.alice)
    answer = client.post(f"/v1/requests/{request_id}/respond", headers=world.bob.headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _same_answer(client: TestClient, hidden: str, missing: str, headers: dict[str, str], body: object = None) -> None:
    first = client.post(hidden, headers=headers, json=body)
    second = client.post(missing, headers=headers, json=body)
    assert first.status_code == second.status_code == 404, (first.text, second.text)
    assert first.headers["content-type"].startswith(PROBLEM)
    assert {k: v for k, v in first.json().items() if k != "instance"} == {
        k: v for k, v in second.json().items() if k != "instance"
    }


def test_deciding_on_another_antennas_proposal_answers_like_a_missing_one(client: TestClient, world: World) -> None:
    proposal = _proposal(client, world)
    jette = world.mod_jette.headers
    _same_answer(client, f"/v1/proposals/{proposal}/approve", "/v1/proposals/999999/approve", jette)
    _same_answer(client, f"/v1/proposals/{proposal}/reject", "/v1/proposals/999999/reject", jette, {"reason": "nee"})
    # A party sees the proposal: told they may not decide, not that it does not exist.
    assert client.post(f"/v1/proposals/{proposal}/approve", headers=world.bob.headers).status_code == 403
    assert client.post(f"/v1/proposals/{proposal}/approve", headers=world.mod_molenbeek.headers).status_code == 200


def test_resolving_another_antennas_exchange_answers_like_a_missing_one(client: TestClient, world: World) -> None:
    exchange_id = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    body = {"minutes": 30, "reason": "afgesproken"}
    _same_answer(
        client, f"/v1/exchanges/{exchange_id}/resolve", "/v1/exchanges/999999/resolve", world.mod_jette.headers, body
    )
    assert client.post(f"/v1/exchanges/{exchange_id}/resolve", json=body, headers=world.bob.headers).status_code == 403


# --- 16: values outside the database's range -------------------------------------------------------


def test_cursors_outside_the_integer_range_are_422(client: TestClient, world: World) -> None:
    for cursor in (_cursor(2**70), _cursor(2**31), _cursor(-(2**70))):
        for path in ("/v1/requests", "/v1/me/proposals", "/v1/me/exchanges", "/v1/me/ledger"):
            answer = client.get(path, params={"cursor": cursor}, headers=world.alice.headers)
            assert answer.status_code == 422, (path, answer.text)
            assert answer.json()["errors"][0]["field"] == "cursor"  # by its name (field_path)
        members = client.get(
            "/v1/antennas/molenbeek/memberships",
            params={"cursor": _cursor(0, 2**70)},
            headers=world.mod_molenbeek.headers,
        )
        assert members.status_code == 422


def test_a_signed_token_with_an_out_of_range_subject_is_401(client: TestClient, settings: Settings) -> None:
    now = utcnow()
    for subject in ("99999999999999999999999", "2147483648", "0", "-5", "1e3"):
        token = jwt.encode(
            {"sub": subject, "iat": now, "exp": now + timedelta(minutes=5)},
            settings.resolved_secret_key(),
            algorithm="HS256",
        )
        answer = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401, (subject, answer.text)


def test_statistics_dates_near_year_1_or_9999_are_422(client: TestClient, world: World) -> None:
    for params in (
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-03-31"},
        {"from": "9999-10-01", "to": "9999-12-31"},
    ):
        for path in ("/v1/stats/reciprocity", "/v1/stats/bridging"):
            answer = client.get(path, params=params, headers=world.analyst.headers)
            assert answer.status_code == 422, (path, params, answer.text)
            assert answer.headers["content-type"].startswith(PROBLEM)


# --- 17: withdrawn listings end their proposals; matched requests stay as agreed -----------------------


def test_withdrawing_a_request_withdraws_its_open_proposals(client: TestClient, world: World) -> None:
    proposal = _proposal(client, world)
    request_id = client.get("/v1/me/proposals", headers=world.bob.headers).json()["items"][0]["request_id"]
    assert client.delete(f"/v1/requests/{request_id}", headers=world.alice.headers).status_code == 204
    mine = client.get("/v1/me/proposals", headers=world.bob.headers).json()["items"]
    assert [(p["id"], p["state"]) for p in mine] == [(proposal, "withdrawn")]
    assert client.post(f"/v1/proposals/{proposal}/approve", headers=world.mod_molenbeek.headers).status_code == 409
    assert client.post(f"/v1/proposals/{proposal}/accept", headers=world.alice.headers).status_code == 409


def test_withdrawing_an_offer_withdraws_its_open_proposals(client: TestClient, world: World) -> None:
    offer = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen"},
        headers=world.bob.headers,
    )
    offer_id = offer.json()["id"]
    asked = client.post(f"/v1/offers/{offer_id}/respond", headers=world.alice.headers)
    assert asked.status_code == 201, asked.text
    assert client.delete(f"/v1/offers/{offer_id}", headers=world.bob.headers).status_code == 204
    mine = client.get("/v1/me/proposals", headers=world.alice.headers).json()["items"]
    assert [p["state"] for p in mine] == ["withdrawn"]


def test_a_proposal_on_a_withdrawn_listing_cannot_be_approved_or_accepted(
    client: TestClient, world: World, db: Engine
) -> None:
    # A proposal still open on a listing withdrawn before withdrawals ended them (data from before the fix).
    proposal = _proposal(client, world)
    request_id = client.get("/v1/me/proposals", headers=world.bob.headers).json()["items"][0]["request_id"]
    with Session(db) as session:
        request = session.get(HelpRequest, request_id)
        assert request is not None
        request.status = ListingStatus.WITHDRAWN
        session.add(request)
        session.commit()
    approve = client.post(f"/v1/proposals/{proposal}/approve", headers=world.mod_molenbeek.headers)
    assert approve.status_code == 409
    assert approve.json()["type"] == "urn:buurtbank:problem:proposal:listing_withdrawn"
    accept = client.post(f"/v1/proposals/{proposal}/accept", headers=world.alice.headers)
    assert accept.status_code == 409 and accept.json()["type"] == "urn:buurtbank:problem:proposal:listing_withdrawn"
    assert client.get("/v1/me/exchanges", headers=world.alice.headers).json()["items"] == []


def test_a_matched_request_cannot_be_edited(client: TestClient, world: World) -> None:
    exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    request_id = client.get("/v1/requests?mine=true", headers=world.alice.headers).json()["items"][0]["id"]
    assert client.get(f"/v1/requests/{request_id}", headers=world.alice.headers).json()["status"] == "matched"
    edit = client.patch(f"/v1/requests/{request_id}", json={"minutes": 600}, headers=world.alice.headers)
    assert edit.status_code == 409
    assert edit.json()["type"] == "urn:buurtbank:problem:listing:not_editable"
    assert client.get(f"/v1/requests/{request_id}", headers=world.alice.headers).json()["minutes"] == 60
