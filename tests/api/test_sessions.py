"""Sessions: short access tokens, rotating refresh tokens, reuse detection, logout, password changes."""

from __future__ import annotations

from datetime import timedelta

import jwt
from fastapi.testclient import TestClient

from buurtbank.settings import Settings
from services.tokens import issue_token
from tests.api.helpers import PASSWORD, World, register

PROBLEM = "application/problem+json"


def _token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _bearer(token: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def _me(client: TestClient, token: dict[str, str]) -> int:
    return client.get("/v1/me", headers=_bearer(token)).status_code


def test_the_token_answer_keeps_its_fields_and_adds_expiry_and_refresh(client: TestClient, settings: Settings) -> None:
    register(client, "eva@example.org")
    token = _token(client, "eva@example.org")
    assert token["token_type"] == "bearer" and token["access_token"]
    assert token["expires_in"] == settings.access_token_minutes * 60
    assert len(token["refresh_token"]) >= 40
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.access_token_minutes * 60
    assert Settings().access_token_minutes <= 15  # access tokens stay short-lived by default


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_whole_session(client: TestClient) -> None:
    register(client, "eva@example.org")
    first = _token(client, "eva@example.org")
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second_token = second.json()
    assert second_token["refresh_token"] != first["refresh_token"]
    assert _me(client, second_token) == 200

    reused = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.headers["content-type"].startswith(PROBLEM)
    assert reused.json()["type"] == "urn:buurtbank:problem:refresh:reused"
    # Everything that descends from that login is gone: the newest refresh token and the access tokens.
    later = client.post("/v1/auth/refresh", json={"refresh_token": second_token["refresh_token"]})
    assert later.status_code == 401
    assert _me(client, second_token) == 401 and _me(client, first) == 401
    # Another login of the same member is a session of its own, untouched.
    assert _me(client, _token(client, "eva@example.org")) == 200


def test_unknown_refresh_tokens_are_refused_in_every_language(client: TestClient) -> None:
    for lang, word in (("nl", "sessie"), ("fr", "session"), ("en", "session")):
        answer = client.post("/v1/auth/refresh", json={"refresh_token": "nope"}, headers={"Accept-Language": lang})
        assert answer.status_code == 401
        assert word in answer.json()["detail"].lower()


def test_logout_ends_the_session(client: TestClient) -> None:
    register(client, "eva@example.org")
    token = _token(client, "eva@example.org")
    other = _token(client, "eva@example.org")
    out = client.post("/v1/auth/logout", json={"refresh_token": token["refresh_token"]}, headers=_bearer(token))
    assert out.status_code == 204
    assert _me(client, token) == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": token["refresh_token"]}).status_code == 401
    assert _me(client, other) == 200  # logging out on one phone leaves the other one signed in


def test_logout_cannot_end_another_members_session(client: TestClient) -> None:
    register(client, "eva@example.org")
    register(client, "fien@example.org")
    eva, fien = _token(client, "eva@example.org"), _token(client, "fien@example.org")
    out = client.post("/v1/auth/logout", json={"refresh_token": fien["refresh_token"]}, headers=_bearer(eva))
    assert out.status_code == 204
    assert _me(client, fien) == 200 and _me(client, eva) == 401


def test_a_password_change_ends_every_other_session(client: TestClient) -> None:
    register(client, "eva@example.org")
    here, there = _token(client, "eva@example.org"), _token(client, "eva@example.org")
    wrong = client.post(
        "/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a brand new sentence"},
        headers=_bearer(here),
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    assert _me(client, there) == 200  # nothing happened

    changed = client.post(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new sentence"},
        headers=_bearer(here),
    )
    assert changed.status_code == 204, changed.text
    assert _me(client, here) == 200 and _me(client, there) == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": there["refresh_token"]}).status_code == 401
    assert client.post("/v1/auth/token", data={"username": "eva@example.org", "password": PASSWORD}).status_code == 401
    assert _token(client, "eva@example.org", "a brand new sentence")


def test_a_moderator_cannot_change_a_members_password_on_their_behalf(client: TestClient, world: World) -> None:
    headers = {**world.mod_molenbeek.headers, "On-Behalf-Of": str(world.alice.id)}
    answer = client.post(
        "/v1/me/password", json={"current_password": PASSWORD, "new_password": "taken over now"}, headers=headers
    )
    assert answer.status_code == 403


def test_a_signed_token_without_a_session_is_refused(client: TestClient, settings: Settings) -> None:
    member_id = register(client, "eva@example.org")
    forged = issue_token(member_id=member_id, secret=settings.resolved_secret_key(), lifetime=timedelta(minutes=5))
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    unknown = issue_token(
        member_id=member_id, secret=settings.resolved_secret_key(), lifetime=timedelta(minutes=5), session_id=2**31 - 1
    )
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {unknown}"}).status_code == 401
    too_big = issue_token(
        member_id=member_id, secret=settings.resolved_secret_key(), lifetime=timedelta(minutes=5), session_id=2**40
    )
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {too_big}"}).status_code == 401
