"""Problem details: one shape and content type for every error, translated by Accept-Language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.helpers import PASSWORD, World, register

PROBLEM = "application/problem+json"
Call = Callable[[TestClient, World, dict[str, str]], Response]

CASES: dict[int, Call] = {
    401: lambda c, _w, h: c.get("/v1/me", headers=h),
    403: lambda c, w, h: c.get("/v1/antennas/molenbeek/memberships", headers=w.alice.headers | h),
    404: lambda c, w, h: c.get("/v1/offers/999999", headers=w.alice.headers | h),
    405: lambda c, w, h: c.put("/v1/me", headers=w.alice.headers | h),
    409: lambda c, w, h: c.post("/v1/antennas/molenbeek/memberships", headers=w.alice.headers | h),
    422: lambda c, w, h: c.patch("/v1/me", json={"language": "de"}, headers=w.alice.headers | h),
}
TITLES = {
    401: {"en": "Please log in", "nl": "Gelieve in te loggen", "fr": "Veuillez vous connecter"},
    403: {
        "en": "Moderators of this antenna only",
        "nl": "Alleen voor moderatoren van deze antenne",
        "fr": "Réservé aux modérateurs de cette antenne",
    },
    404: {"en": "Not found", "nl": "Niet gevonden", "fr": "Introuvable"},
    405: {
        "en": "This method is not allowed here",
        "nl": "Deze methode is hier niet toegestaan",
        "fr": "Cette méthode n'est pas autorisée ici",
    },
    409: {"en": "Already asked to join", "nl": "Al gevraagd om lid te worden", "fr": "Adhésion déjà demandée"},
    422: {
        "en": "Some fields are not valid",
        "nl": "Sommige velden zijn niet geldig",
        "fr": "Certains champs ne sont pas valides",
    },
}


@pytest.mark.parametrize("status", sorted(CASES))
def test_each_error_is_a_translated_problem(client: TestClient, world: World, status: int) -> None:
    titles = {}
    for lang in ("en", "nl", "fr"):
        answer = CASES[status](client, world, {"Accept-Language": f"{lang}-BE,{lang};q=0.9"})
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
        body = answer.json()
        assert {"type", "title", "status", "detail"} <= set(body)
        assert body["status"] == status and body["type"].startswith("urn:buurtbank:problem:")
        assert body["instance"] == answer.request.url.path
        titles[lang] = body["title"]
    assert titles == TITLES[status]


def test_without_accept_language_the_answer_is_english(client: TestClient) -> None:
    assert client.get("/v1/me").json()["title"] == "Please log in"
    assert (
        client.get("/v1/me", headers={"Accept-Language": "de, fr;q=0.5"}).json()["title"] == "Veuillez vous connecter"
    )


def test_validation_errors_list_the_fields(client: TestClient) -> None:
    answer = client.post(
        "/v1/auth/register",
        json={"email": "x", "password": PASSWORD, "display_name": "X", "language": "de", "extra": 1},
        headers={"Accept-Language": "nl"},
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert {e["field"] for e in errors} == {"email", "language", "extra"}
    assert all(e["message"] and e["type"] for e in errors)


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"\xff\xfe\x00garbage", b'{"email": "a@b.c", ', b"[1, 2, 3]", b'"just a string"', b"null"],
)
def test_a_malformed_body_is_422_never_500(client: TestClient, raw: bytes) -> None:
    answer = client.post("/v1/auth/register", content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["errors"]


@pytest.mark.parametrize("number", ["1e400", "NaN", "Infinity", "-Infinity", "123456789012345678901234567890"])
def test_huge_or_not_a_number_values_are_4xx(client: TestClient, world: World, number: str) -> None:
    body = '{"location": {"lat": ' + number + ', "lon": 4.35}}'
    answer = client.patch("/v1/me", content=body, headers=world.alice.headers | {"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text
    offer = '{"antenna": "molenbeek", "category": "shopping", "title": "Iets", "minutes": ' + number + "}"
    answer = client.post(
        "/v1/requests", content=offer, headers=world.alice.headers | {"Content-Type": "application/json"}
    )
    assert 400 <= answer.status_code < 500, answer.text


def test_a_huge_id_in_the_path_is_422_or_404_not_500(client: TestClient, world: World) -> None:
    for path in ("/v1/offers/99999999999999999999", "/v1/offers/2147483648", "/v1/requests/-1"):
        answer = client.get(path, headers=world.alice.headers)
        assert answer.status_code in (404, 422), (path, answer.text)


def test_a_huge_on_behalf_of_header_is_refused_not_500(client: TestClient, world: World) -> None:
    answer = client.get("/v1/me", headers=world.mod_molenbeek.headers | {"On-Behalf-Of": "2147483648"})
    assert answer.status_code == 422


def test_a_broken_form_on_login_is_422(client: TestClient) -> None:
    register(client, "eva@example.org")
    answer = client.post("/v1/auth/token", data={"username": "eva@example.org"})
    assert answer.status_code == 422
    assert "password" in {e["field"] for e in answer.json()["errors"]}


def test_a_nul_character_is_refused_as_invalid_input(client: TestClient, world: World) -> None:
    """PostgreSQL cannot store NUL: refused up front (422) on both databases, never a 500."""
    body = {"antenna": "molenbeek", "category": "shopping", "title": "Boodschappen\u0000"}
    answer = client.post("/v1/offers", json=body, headers=world.alice.headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == ""  # the body as a whole
    assert client.get("/v1/offers?antenna=mol%00", headers=world.alice.headers).status_code == 422
    assert client.post("/v1/antennas/mol%00/memberships", headers=world.alice.headers).status_code == 422
    answer = client.post("/v1/auth/token", data={"username": "a\u0000@example.org", "password": "whatever1"})
    assert answer.status_code == 422
