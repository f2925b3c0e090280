"""Every operation of the OpenAPI document, called as five kinds of caller, against an explicit table.

Operations added later and not yet in the table are still called: they must never answer 500, and never
2xx (or anything but 401) to an anonymous caller unless they are public. No answer to anyone may carry
another member's location or background.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from domain import geo
from tests.api.helpers import PASSWORD, World, build_world

ROLES = ("anonymous", "member", "other_moderator", "analyst", "admin")
PUBLIC = {
    ("GET", "/v1/health"),
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/auth/refresh"),  # the refresh token in the body is the credential
    ("POST", "/v1/auth/reset"),  # the reset code in the body is the credential
    ("POST", "/v1/auth/reset-code"),  # asks for a code by mail; answers the same whoever asks
    ("GET", "/v1/problems"),
    ("GET", "/v1/antennas"),
    ("GET", "/v1/antennas/{slug}"),
    ("GET", "/v1/categories"),
    # Carried by a refresh token or a reset code, not by an access token (which may have expired).
    ("POST", "/v1/auth/refresh"),
    ("POST", "/v1/auth/reset"),
    ("POST", "/v1/auth/reset-code"),
    ("GET", "/v1/problems"),
}
# Bob (another member of Alice's antenna) declares this; nobody but Bob may ever see it.
BOB_POINT = (50.8551, 4.3231)
BOB_BACKGROUND = {"languages": ["qu"], "origin": "Latin America", "age_band": "80+", "circle": "moskee"}


def _all(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def _signed_in(status: int) -> dict[str, int]:
    return {"anonymous": 401} | dict.fromkeys(ROLES[1:], status)


def _only(role: str, status: int, others: int = 403) -> dict[str, int]:
    return {"anonymous": 401} | dict.fromkeys(ROLES[1:], others) | {role: status}


MODERATOR_ONLY = {"anonymous": 401} | dict.fromkeys(ROLES[1:], 403)  # none of the callers moderates Molenbeek
# Bob's listing in Molenbeek: Alice sees it but may not change it; the others cannot see it at all.
OTHERS_LISTING_READ = {"anonymous": 401, "member": 200, "other_moderator": 404, "analyst": 404, "admin": 404}
OTHERS_LISTING_WRITE = {"anonymous": 401, "member": 403, "other_moderator": 404, "analyst": 404, "admin": 404}

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/v1/health"): _all(200),
    ("POST", "/v1/auth/register"): _all(201),
    ("POST", "/v1/auth/token"): _all(200),
    ("GET", "/v1/me"): _signed_in(200),
    ("PATCH", "/v1/me"): _signed_in(200),
    ("GET", "/v1/me/export"): _signed_in(200),
    ("DELETE", "/v1/me"): _signed_in(204),
    ("GET", "/v1/antennas"): _all(200),
    ("GET", "/v1/antennas/{slug}"): _all(200),
    # Alice already belongs to Molenbeek (409); the others may ask to join.
    ("POST", "/v1/antennas/{slug}/memberships"): _signed_in(201) | {"member": 409},
    ("GET", "/v1/antennas/{slug}/memberships"): MODERATOR_ONLY,
    ("POST", "/v1/antennas/{slug}/memberships/{membership_id}/approve"): MODERATOR_ONLY,
    ("POST", "/v1/antennas/{slug}/memberships/{membership_id}/reject"): MODERATOR_ONLY,
    ("GET", "/v1/antennas/{slug}/audit"): MODERATOR_ONLY,
    ("POST", "/v1/antennas/{slug}/moderators"): _only("admin", 201),
    ("DELETE", "/v1/antennas/{slug}/moderators/{member_id}"): _only("admin", 204),
    ("POST", "/v1/analysts"): _only("admin", 201),
    ("GET", "/v1/categories"): _all(200),
    ("GET", "/v1/problems"): _all(200),
    # Only approved members of the antenna may post there.
    ("POST", "/v1/offers"): _only("member", 201),
    ("POST", "/v1/requests"): _only("member", 201),
    ("GET", "/v1/offers"): _signed_in(200),
    ("GET", "/v1/requests"): _signed_in(200),
    ("GET", "/v1/offers/{listing_id}"): OTHERS_LISTING_READ,
    ("GET", "/v1/requests/{listing_id}"): OTHERS_LISTING_READ,
    ("PATCH", "/v1/offers/{listing_id}"): OTHERS_LISTING_WRITE,
    ("PATCH", "/v1/requests/{listing_id}"): OTHERS_LISTING_WRITE,
    ("DELETE", "/v1/offers/{listing_id}"): OTHERS_LISTING_WRITE,
    ("DELETE", "/v1/requests/{listing_id}"): OTHERS_LISTING_WRITE,
}


@dataclass
class Scene:
    world: World
    headers: dict[str, dict[str, str]]
    bob_offer: int
    bob_request: int
    carol_membership: int
    counter: Iterator[int]


@pytest.fixture
def scene(client: TestClient, db: Engine) -> Scene:
    world = build_world(client, db)
    bob = world.bob.headers
    answer = client.patch(
        "/v1/me",
        json={"location": {"lat": BOB_POINT[0], "lon": BOB_POINT[1]}, "background_consent": True},
        headers=bob,
    )
    assert answer.status_code == 200, answer.text
    answer = client.patch("/v1/me", json={"background": BOB_BACKGROUND}, headers=bob)
    assert answer.status_code == 200, answer.text
    listing = {"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen doen"}
    offer = client.post("/v1/offers", json=listing, headers=bob)
    request = client.post("/v1/requests", json=listing | {"minutes": 60}, headers=bob)
    assert offer.status_code == request.status_code == 201, (offer.text, request.text)
    pending = client.get("/v1/antennas/molenbeek/memberships?status=pending", headers=world.mod_molenbeek.headers)
    (carol,) = [m for m in pending.json()["items"] if m["member"]["id"] == world.carol.id]
    headers = {
        "anonymous": {},
        "member": world.alice.headers,
        "other_moderator": world.mod_jette.headers,
        "analyst": world.analyst.headers,
        "admin": world.admin,
    }
    return Scene(world, headers, offer.json()["id"], request.json()["id"], carol["id"], itertools.count(1))


def _path_value(scene: Scene, path: str, name: str, schema: dict[str, Any]) -> str:
    known: dict[str, Callable[[], object]] = {
        "slug": lambda: "molenbeek",
        "membership_id": lambda: scene.carol_membership,
        "member_id": lambda: scene.world.mod_molenbeek.id,
        "listing_id": lambda: scene.bob_offer if path.startswith("/v1/offers") else scene.bob_request,
        "offer_id": lambda: scene.bob_offer,
        "request_id": lambda: scene.bob_request,
    }
    if name in known:
        return str(known[name]())
    return "1" if schema.get("type") == "integer" else "reciprocity"


def _url(scene: Scene, path: str, spec: dict[str, Any]) -> str:
    params = {p["name"]: p.get("schema", {}) for p in spec.get("parameters", []) if p["in"] == "path"}
    return re.sub(r"\{(\w+)\}", lambda m: _path_value(scene, path, m[1], params.get(m[1], {})), path)


def _body(scene: Scene, method: str, path: str) -> dict[str, Any]:
    """Keyword arguments for the call: a valid body for the known operations, an empty JSON object else."""
    n = next(scene.counter)
    listing = {"antenna": "molenbeek", "category": "shopping", "title": "Iets nieuws"}
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/v1/auth/register"): {
            "json": {"email": f"new{n}@example.org", "password": PASSWORD, "display_name": f"New {n}"}
        },
        ("POST", "/v1/auth/token"): {"data": {"username": scene.world.dave.email, "password": PASSWORD}},
        ("PATCH", "/v1/me"): {"json": {"language": "fr"}},
        ("POST", "/v1/antennas/{slug}/moderators"): {"json": {"email": scene.world.bob.email}},
        ("POST", "/v1/analysts"): {"json": {"email": scene.world.dave.email}},
        ("POST", "/v1/offers"): {"json": listing},
        ("POST", "/v1/requests"): {"json": listing | {"minutes": 30}},
        ("PATCH", "/v1/offers/{listing_id}"): {"json": {"title": "Anders"}},
        ("PATCH", "/v1/requests/{listing_id}"): {"json": {"title": "Anders"}},
    }
    if (method, path) in bodies:
        return bodies[(method, path)]
    return {"json": {}} if method in ("POST", "PATCH", "PUT") else {}


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    operations = [
        (method.upper(), path, spec)
        for path, methods in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method, spec in methods.items()
    ]
    # Erasing oneself goes last: the callers' tokens are needed until then.
    return sorted(operations, key=lambda op: (op[0], op[1]) == ("DELETE", "/v1/me"))


def _leaks(value: Any, *, key: str | None = None) -> list[str]:
    """Bob's location or background anywhere in a document."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _leaks(v, key=k)
    elif isinstance(value, list):
        if key == "languages" and "qu" in value:
            found.append("languages")
        for item in value:
            found += _leaks(item, key=key)
    elif isinstance(value, float) and value in geo.coarsen(*BOB_POINT):
        found.append(f"{key}={value}")
    elif isinstance(value, str):
        if value in (BOB_BACKGROUND["origin"], BOB_BACKGROUND["age_band"]):
            found.append(f"{key}={value}")
        if key == "circle" and value == BOB_BACKGROUND["circle"]:
            found.append("circle")
        if key in ("postcode", "location_postcode") and value == "1090":  # Dave's postcode
            found.append("postcode")
    return found


def test_every_operation_answers_each_kind_of_caller_as_the_table_says(client: TestClient, scene: Scene) -> None:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for method, path, spec in _operations(client):
        seen.add((method, path))
        url = _url(scene, path, spec)
        expected = EXPECTED.get((method, path))
        for role in ROLES:
            answer = client.request(method, url, headers=scene.headers[role], **_body(scene, method, path))
            where = f"{method} {url} as {role}: {answer.status_code} {answer.text[:200]}"
            if answer.status_code >= 500:
                problems.append(f"server error, {where}")
            if expected is not None and answer.status_code != expected[role]:
                problems.append(f"expected {expected[role]}, {where}")
            if role == "anonymous" and (method, path) not in PUBLIC and answer.status_code != 401:
                problems.append(f"anonymous not refused, {where}")
            if answer.status_code >= 400:
                assert answer.headers["content-type"].startswith("application/problem+json"), where
            if answer.headers.get("content-type", "").startswith("application/json") and answer.content:
                leaked = _leaks(answer.json())
                if leaked:
                    problems.append(f"leaks {leaked}, {where}")
    assert set(EXPECTED) <= seen, f"operations in the table but gone from the app: {set(EXPECTED) - seen}"
    assert not problems, "\n".join(problems)


def test_bob_does_see_his_own_background_and_location(client: TestClient, scene: Scene) -> None:
    """The leak detector is not blind: Bob's own profile trips it."""
    me = client.get("/v1/me", headers=scene.world.bob.headers).json()
    assert sorted(_leaks(me)) == [
        "age_band=80+",
        "circle",
        "languages",
        "lat=50.855625",
        "lon=4.322125",
        "origin=Latin America",
    ]
