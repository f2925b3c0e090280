"""Registration, login with throttling, and the member's own profile (location, background, pause)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from buurtbank import gazetteer
from domain import geo
from store.background import MemberBackground
from tests.api.helpers import PASSWORD, World, login, register

PROBLEM = "application/problem+json"


def _fields(answer) -> set[str]:  # type: ignore[no-untyped-def]
    return {error["field"] for error in answer.json()["errors"]}


def test_register_answers_the_new_member(client: TestClient) -> None:
    answer = client.post(
        "/v1/auth/register",
        json={"email": " Eva@Example.org ", "password": PASSWORD, "display_name": "Eva", "language": "fr"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["email"], body["display_name"], body["language"]) == ("eva@example.org", "Eva", "fr")
    assert body["memberships"] == [] and body["location"] is None and body["background"] is None
    assert "password" not in answer.text and "password_hash" not in answer.text


def test_register_twice_with_the_same_email_is_a_conflict(client: TestClient) -> None:
    register(client, "eva@example.org")
    again = client.post(
        "/v1/auth/register", json={"email": "EVA@example.org", "password": PASSWORD, "display_name": "Other"}
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith(PROBLEM)


def test_register_lists_every_invalid_field(client: TestClient) -> None:
    answer = client.post("/v1/auth/register", json={"email": "not-an-email", "password": "short", "display_name": ""})
    assert answer.status_code == 422
    assert _fields(answer) == {"email", "password", "display_name"}


def test_login_gives_a_bearer_token_that_works(client: TestClient) -> None:
    member_id = register(client, "eva@example.org")
    answer = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer"
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {answer.json()['access_token']}"})
    assert me.json()["id"] == member_id


def test_a_bad_password_is_401_problem(client: TestClient) -> None:
    register(client, "eva@example.org")
    answer = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": "wrong password"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["status"] == 401


def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(client: TestClient) -> None:
    register(client, "eva@example.org")
    for _ in range(5):
        bad = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": "wrong password"})
        assert bad.status_code == 401
    answer = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": PASSWORD})
    assert answer.status_code == 429
    assert answer.headers["content-type"].startswith(PROBLEM)
    # Other people's logins are not affected.
    register(client, "fien@example.org")
    assert login(client, "fien@example.org")


def test_a_good_login_clears_earlier_failures(client: TestClient) -> None:
    register(client, "eva@example.org")
    for _ in range(4):
        client.post("/v1/auth/token", data={"username": "eva@example.org", "password": "wrong password"})
    login(client, "eva@example.org")
    for _ in range(4):
        client.post("/v1/auth/token", data={"username": "eva@example.org", "password": "wrong password"})
    assert login(client, "eva@example.org")


def test_a_garbage_token_is_401(client: TestClient) -> None:
    answer = client.get("/v1/me", headers={"Authorization": "Bearer not.a.token"})
    assert answer.status_code == 401


def test_location_by_postcode_is_the_centroid(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"postcode": "1090"}}, headers=world.alice.headers)
    assert answer.status_code == 200, answer.text
    lat, lon = gazetteer.postcode_centroid("1090")
    assert answer.json()["location"] == {"postcode": "1090", "lat": lat, "lon": lon}


def test_location_from_a_device_is_coarsened(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"lat": 50.85513, "lon": 4.32311}}, headers=world.alice.headers)
    assert answer.status_code == 200, answer.text
    location = answer.json()["location"]
    assert (location["lat"], location["lon"]) == geo.coarsen(50.85513, 4.32311)
    assert (location["lat"], location["lon"]) != (50.85513, 4.32311)
    assert location["postcode"] is None


def test_location_from_an_address_uses_the_geocoder_and_forgets_the_address(client: TestClient, world: World) -> None:
    answer = client.patch(
        "/v1/me", json={"location": {"address": "Rue Fictive 1, Molenbeek"}}, headers=world.alice.headers
    )
    assert answer.status_code == 200, answer.text
    location = answer.json()["location"]
    assert (location["lat"], location["lon"]) == geo.coarsen(50.8551, 4.3231)
    assert "Fictive" not in client.get("/v1/me/export", headers=world.alice.headers).text


def test_an_unknown_address_is_422(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"address": "Nergensstraat 9"}}, headers=world.alice.headers)
    assert answer.status_code == 422
    assert "location.address" in _fields(answer)


def test_a_point_outside_brussels_is_422(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"lat": 51.2194, "lon": 4.4025}}, headers=world.alice.headers)
    assert answer.status_code == 422
    assert _fields(answer) == {"location"}


def test_an_unknown_postcode_and_two_kinds_of_location_are_422(client: TestClient, world: World) -> None:
    for location in ({"postcode": "1999"}, {"postcode": "1080", "lat": 50.85, "lon": 4.32}, {}):
        answer = client.patch("/v1/me", json={"location": location}, headers=world.alice.headers)
        assert answer.status_code == 422, location


BACKGROUND = {"languages": ["AR", "nl"], "origin": "Maghreb", "age_band": "65-79", "circle": "moskee"}


def _background_row(engine: Engine, member_id: int) -> MemberBackground | None:
    with Session(engine) as session:
        return session.get(MemberBackground, member_id)


def test_background_without_consent_is_refused_and_nothing_is_stored(
    client: TestClient, world: World, db: Engine
) -> None:
    answer = client.patch("/v1/me", json={"background": BACKGROUND}, headers=world.alice.headers)
    assert answer.status_code == 422
    assert _fields(answer) == {"background_consent"}
    assert _background_row(db, world.alice.id) is None


def test_background_with_consent_is_stored_and_withdrawing_consent_deletes_it(
    client: TestClient, world: World, db: Engine
) -> None:
    answer = client.patch(
        "/v1/me", json={"background_consent": True, "background": BACKGROUND}, headers=world.alice.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["background_consent"] is True
    assert answer.json()["background"] == {
        "languages": ["ar", "nl"],
        "origin": "Maghreb",
        "age_band": "65-79",
        "circle": "moskee",
    }
    row = _background_row(db, world.alice.id)
    assert row is not None and row.origin == "Maghreb"

    withdrawn = client.patch("/v1/me", json={"background_consent": False}, headers=world.alice.headers)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["background_consent"] is False and withdrawn.json()["background"] is None
    assert _background_row(db, world.alice.id) is None


def test_withdrawing_consent_while_declaring_is_refused(client: TestClient, world: World) -> None:
    answer = client.patch(
        "/v1/me", json={"background_consent": False, "background": BACKGROUND}, headers=world.alice.headers
    )
    assert answer.status_code == 422


def test_background_values_outside_the_lists_are_422(client: TestClient, world: World) -> None:
    for bad, field in (
        ({"origin": "Atlantis"}, "background.origin"),
        ({"age_band": "30-40"}, "background.age_band"),
        ({"circle": "jette-club"}, "background.circle"),  # not a circle of Alice's antenna
    ):
        answer = client.patch(
            "/v1/me", json={"background_consent": True, "background": bad}, headers=world.alice.headers
        )
        assert answer.status_code == 422, bad
        assert _fields(answer) == {field}, answer.text


def test_a_member_may_pause(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"paused": True}, headers=world.alice.headers)
    assert answer.status_code == 200
    assert answer.json()["paused"] is True
    assert client.get("/v1/me", headers=world.alice.headers).json()["paused"] is True
    assert client.patch("/v1/me", json={"paused": None}, headers=world.alice.headers).status_code == 422
