"""Offers and requests: create, read, change, withdraw; validation; who sees what; filters and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from store.base import utcnow
from tests.api.helpers import World, approved_member

KINDS = ("offers", "requests")
OFFER = {"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen doen", "availability": ["mon-morning"]}


def _body(kind: str, **extra: object) -> dict[str, object]:
    body = dict(OFFER)
    if kind == "requests":
        body |= {"minutes": 45, "needed_by": (utcnow().date() + timedelta(days=7)).isoformat()}
    return body | extra


def _post(client: TestClient, kind: str, headers: dict[str, str], **extra: object) -> dict:  # type: ignore[type-arg]
    answer = client.post(f"/v1/{kind}", json=_body(kind, **extra), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _no_coordinates(text: str) -> None:
    for key in ('"lat"', '"lon"', '"location"', '"postcode"'):
        assert key not in text


@pytest.mark.parametrize("kind", KINDS)
def test_create_get_patch_delete(client: TestClient, world: World, kind: str) -> None:
    created = _post(client, kind, world.alice.headers, availability=["tue-evening", "mon-morning", "mon-morning"])
    assert created["member"] == {"id": world.alice.id, "display_name": "Alice"}
    assert (created["antenna"], created["status"], created["mine"]) == ("molenbeek", "open", True)
    assert created["availability"] == ["mon-morning", "tue-evening"]
    if kind == "requests":
        assert created["minutes"] == 45
    path = f"/v1/{kind}/{created['id']}"

    seen_by_bob = client.get(path, headers=world.bob.headers)
    assert seen_by_bob.status_code == 200
    assert seen_by_bob.json()["mine"] is False
    _no_coordinates(seen_by_bob.text)

    changed = client.patch(
        path, json={"title": "  Samen koken  ", "description": "Op zaterdag"}, headers=world.alice.headers
    )
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["description"]) == ("Samen koken", "Op zaterdag")
    assert changed.json()["category"] == "shopping"
    assert client.patch(path, json={"title": "Van Bob"}, headers=world.bob.headers).status_code == 403
    assert client.patch(path, json={"title": None}, headers=world.alice.headers).status_code == 422

    assert client.delete(path, headers=world.bob.headers).status_code == 403
    assert client.delete(path, headers=world.alice.headers).status_code == 204
    assert client.get(path, headers=world.bob.headers).status_code == 404
    assert client.delete(path, headers=world.alice.headers).status_code == 404
    listed = client.get(f"/v1/{kind}", headers=world.bob.headers).json()["items"]
    assert created["id"] not in [item["id"] for item in listed]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "astrology"}, "category"),
        ({"availability": ["someday-morning"]}, "availability"),
        ({"antenna": "nowhere"}, None),
    ],
)
def test_invalid_listings_are_refused(
    client: TestClient, world: World, kind: str, change: dict[str, object], field: str | None
) -> None:
    answer = client.post(f"/v1/{kind}", json=_body(kind, **change), headers=world.alice.headers)
    if field is None:
        assert answer.status_code == 404
    else:
        assert answer.status_code == 422, answer.text
        assert field in {e["field"] for e in answer.json()["errors"]}


def test_request_minutes_follow_the_time_step_and_needed_by_is_not_past(client: TestClient, world: World) -> None:
    for minutes in (20, 0, 7.5):
        answer = client.post("/v1/requests", json=_body("requests", minutes=minutes), headers=world.alice.headers)
        assert answer.status_code == 422, (minutes, answer.text)
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    answer = client.post("/v1/requests", json=_body("requests", needed_by=yesterday), headers=world.alice.headers)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"needed_by"}
    created = _post(client, "requests", world.alice.headers, minutes=30)
    patched = client.patch(f"/v1/requests/{created['id']}", json={"minutes": 50}, headers=world.alice.headers)
    assert patched.status_code == 422
    patched = client.patch(f"/v1/requests/{created['id']}", json={"minutes": 90}, headers=world.alice.headers)
    assert patched.json()["minutes"] == 90


@pytest.mark.parametrize("kind", KINDS)
def test_visibility_other_antenna_404_moderator_reads(client: TestClient, world: World, kind: str) -> None:
    created = _post(client, kind, world.alice.headers)
    path = f"/v1/{kind}/{created['id']}"
    assert client.get(path, headers=world.dave.headers).status_code == 404
    assert client.get(path, headers=world.mod_jette.headers).status_code == 404
    assert client.get(path, headers=world.carol.headers).status_code == 404  # pending, not yet a member
    assert client.get(path, headers=world.mod_molenbeek.headers).status_code == 200
    assert client.get(f"/v1/{kind}", headers=world.dave.headers).json()["items"] == []
    moderator_list = client.get(f"/v1/{kind}", headers=world.mod_molenbeek.headers).json()["items"]
    assert [item["id"] for item in moderator_list] == [created["id"]]
    # Dave may not post in an antenna he does not belong to.
    assert client.post(f"/v1/{kind}", json=_body(kind), headers=world.dave.headers).status_code == 403


def test_filters_antenna_category_mine(client: TestClient, world: World) -> None:
    shopping = _post(client, "offers", world.alice.headers)
    company = _post(client, "offers", world.bob.headers, category="visits_company")
    client.post("/v1/antennas/molenbeek/memberships", headers=world.dave.headers)

    def ids(query: str, who: dict[str, str] = world.alice.headers) -> list[int]:
        answer = client.get(f"/v1/offers{query}", headers=who)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids("") == [company["id"], shopping["id"]]
    assert ids("?category=visits_company") == [company["id"]]
    assert ids("?mine=true") == [shopping["id"]]
    assert ids("?antenna=molenbeek&mine=true", world.bob.headers) == [company["id"]]
    assert ids("?antenna=jette") == []
    assert client.get("/v1/offers?antenna=nowhere", headers=world.alice.headers).status_code == 404
    assert client.get("/v1/offers?category=astrology", headers=world.alice.headers).status_code == 422


def test_near_km_keeps_the_near_ones_and_distances_are_rounded(client: TestClient, world: World) -> None:
    far = approved_member(
        client, "far@example.org", slug="molenbeek", moderator=world.mod_molenbeek, postcode="1000", name="Far"
    )
    near = _post(client, "offers", world.bob.headers)  # Bob lives in 1080, like Alice
    away = _post(client, "offers", far.headers)  # ~2.2 km away
    everything = client.get("/v1/offers", headers=world.alice.headers).json()["items"]
    distances = {item["id"]: item["distance_km"] for item in everything}
    assert distances == {near["id"]: 0.0, away["id"]: 2.0}
    assert all((d * 2).is_integer() for d in distances.values())
    assert {item["id"]: item["distance_band"] for item in everything}[away["id"]] == "2_5km"
    for item in everything:
        _no_coordinates(str(item))

    answer = client.get("/v1/offers?near_km=1", headers=world.alice.headers)
    assert [item["id"] for item in answer.json()["items"]] == [near["id"]]
    answer = client.get("/v1/offers?near_km=3", headers=world.alice.headers)
    assert {item["id"] for item in answer.json()["items"]} == {near["id"], away["id"]}
    assert client.get("/v1/offers?near_km=0", headers=world.alice.headers).status_code == 422


def test_near_km_without_a_location_is_422(client: TestClient, world: World) -> None:
    client.patch("/v1/me", json={"location": None}, headers=world.alice.headers)
    answer = client.get("/v1/offers?near_km=2", headers=world.alice.headers)
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"near_km"}


def test_pages_follow_next_cursor(client: TestClient, world: World) -> None:
    created = [_post(client, "requests", world.bob.headers, title=f"Vraag {n}")["id"] for n in range(5)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/v1/requests{query}", headers=world.alice.headers).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(created, reverse=True)
    assert pages == 3
    assert client.get("/v1/requests?cursor=garbage!", headers=world.alice.headers).status_code == 422
    assert client.get("/v1/requests?limit=201", headers=world.alice.headers).status_code == 422
