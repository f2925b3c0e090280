"""What members read in Dutch and French carries no English: choices, states and steps, places."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import World

NL = {"Accept-Language": "nl"}
FR = {"Accept-Language": "fr"}


def test_a_list_of_choices_is_joined_in_the_readers_language(client: TestClient, world: World) -> None:
    for headers, joiner in ((NL, " of "), (FR, " ou ")):
        answer = client.patch("/v1/me", json={"language": "de"}, headers=world.alice.headers | headers)
        assert answer.status_code == 422
        (error,) = answer.json()["errors"]
        assert error["field"] == "language"
        assert joiner in error["message"] and " or " not in error["message"], error["message"]


def test_a_postcode_outside_brussels_has_its_own_problem(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"postcode": "1300"}}, headers=world.alice.headers | NL)
    assert answer.status_code == 422
    body = answer.json()
    assert body["type"] == "urn:buurtbank:problem:location:outside_brussels"
    assert body["title"] == "Buiten Brussel" and "Brussels Gewest" in body["detail"]
    outside = client.patch("/v1/me", json={"location": {"lat": 50.67, "lon": 4.61}}, headers=world.alice.headers | FR)
    assert outside.json()["type"] == body["type"] and "Bruxelles" in outside.json()["detail"]


def test_unreadable_bodies_are_explained_in_the_readers_language(client: TestClient) -> None:
    answer = client.post("/v1/auth/register", content=b"\xff\xfe", headers={"Content-Type": "application/json"} | FR)
    assert answer.status_code == 422
    assert all(" the " not in error["message"] for error in answer.json()["errors"])
