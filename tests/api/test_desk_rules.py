"""Desk enrolment, reset codes, PINs and self-management: what is refused, and that nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.accounts import DeskAccount, OneTimeCode
from store.members import Member
from tests.api.helpers import PASSWORD, World, approve, join

PROBLEM = "application/problem+json"


def _counts(db: Engine) -> tuple[int, int, int]:
    with Session(db) as session:
        return tuple(  # type: ignore[return-value]
            int(session.exec(select(func.count()).select_from(model)).one())
            for model in (Member, DeskAccount, OneTimeCode)
        )


def _enrol(client: TestClient, world: World, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/v1/antennas/molenbeek/members", json={"display_name": "Jef", **body}, headers=world.mod_molenbeek.headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("mod_jette", {"display_name": "Jef"}, 403),  # a moderator of another antenna
        ("alice", {"display_name": "Jef"}, 403),  # a member
        ("mod_molenbeek", {"display_name": "Jef", "background": {"age_band": "80+"}}, 422),  # no consent
        ("mod_molenbeek", {"display_name": "Jef", "postcode": "1999"}, 422),  # not a Brussels postcode
        ("mod_molenbeek", {"display_name": "Jef", "phone": "call me"}, 422),
        ("mod_molenbeek", {"display_name": "   "}, 422),
        ("mod_molenbeek", {"display_name": "Jef", "background_consent": True, "background": {"origin": "Mars"}}, 422),
    ],
)
def test_refused_enrolments_write_nothing(
    client: TestClient, world: World, db: Engine, who: str, body: dict[str, Any], status: int
) -> None:
    before = _counts(db)
    answer = client.post("/v1/antennas/molenbeek/members", json=body, headers=getattr(world, who).headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert _counts(db) == before


def test_refusals_are_translated(client: TestClient, world: World) -> None:
    body = {"display_name": "Jef", "background": {"age_band": "80+"}}
    details = {
        lang: client.post(
            "/v1/antennas/molenbeek/members",
            json=body,
            headers={**world.mod_molenbeek.headers, "Accept-Language": lang},
        ).json()["detail"]
        for lang in ("nl", "fr", "en")
    }
    assert len(set(details.values())) == 3 and "consent" in details["en"]


def test_member_numbers_are_unique_and_enrolled_members_are_approved_and_managed(
    client: TestClient, world: World
) -> None:
    numbers = {_enrol(client, world, display_name=f"Jef {n}")["member_number"] for n in range(6)}
    assert len(numbers) == 6
    enrolled = _enrol(client, world, postcode="1080", language="fr")
    assert enrolled["location"]["postcode"] == "1080" and enrolled["language"] == "fr"


def test_reset_codes_only_for_members_of_the_moderators_antenna(client: TestClient, world: World) -> None:
    mod = world.mod_molenbeek.headers
    # Dave is a Jette member; Carol's Molenbeek membership is still pending.
    assert client.post(f"/v1/antennas/molenbeek/members/{world.dave.id}/reset-code", headers=mod).status_code == 404
    assert client.post(f"/v1/antennas/molenbeek/members/{world.carol.id}/reset-code", headers=mod).status_code == 404
    assert client.post("/v1/antennas/molenbeek/members/999999/reset-code", headers=mod).status_code == 404
    jette = world.mod_jette.headers
    assert client.post(f"/v1/antennas/molenbeek/members/{world.alice.id}/reset-code", headers=jette).status_code == 403
    assert client.post(f"/v1/antennas/jette/members/{world.alice.id}/reset-code", headers=jette).status_code == 404


def test_no_reset_code_for_an_account_with_a_role(client: TestClient, world: World) -> None:
    # The Jette moderator is also an approved member of Molenbeek: Molenbeek's moderator must not take over.
    approve(client, world.mod_molenbeek, "molenbeek", join(client, world.mod_jette, "molenbeek"))
    answer = client.post(
        f"/v1/antennas/molenbeek/members/{world.mod_jette.id}/reset-code", headers=world.mod_molenbeek.headers
    )
    assert answer.status_code == 403
    assert answer.json()["type"] == "urn:buurtbank:problem:reset:role_account"


def test_a_new_reset_code_replaces_the_earlier_one(client: TestClient, world: World) -> None:
    url = f"/v1/antennas/molenbeek/members/{world.alice.id}/reset-code"
    first = client.post(url, headers=world.mod_molenbeek.headers).json()["code"]
    second = client.post(url, headers=world.mod_molenbeek.headers).json()["code"]
    body = {"username": "Alice@Example.org", "new_password": "a fresh long sentence"}
    assert client.post("/v1/auth/reset", json={**body, "code": first}).status_code == 422
    assert client.post("/v1/auth/reset", json={**body, "code": second}).status_code == 204
    assert client.get("/v1/me", headers=world.alice.headers).status_code == 401  # her sessions ended
    login = client.post("/v1/auth/token", data={"username": "alice@example.org", "password": "a fresh long sentence"})
    assert login.status_code == 200


def test_an_expired_code_is_refused(client: TestClient, world: World, db: Engine) -> None:
    code = client.post(
        f"/v1/antennas/molenbeek/members/{world.alice.id}/reset-code", headers=world.mod_molenbeek.headers
    ).json()["code"]
    with Session(db) as session:
        row = session.exec(select(OneTimeCode).where(OneTimeCode.member_id == world.alice.id)).one()
        row.expires_at = row.created_at  # as if 24 hours had passed
        session.add(row)
        session.commit()
    answer = client.post(
        "/v1/auth/reset", json={"username": "alice@example.org", "code": code, "new_password": "a fresh long sentence"}
    )
    assert answer.status_code == 422


def test_bad_new_passwords_are_refused_before_anything_is_counted(client: TestClient, world: World) -> None:
    for password in ("        ", "password123", "480913"):  # blank, common, a PIN for an e-mail name
        answer = client.post(
            "/v1/auth/reset", json={"username": "alice@example.org", "code": "ABCD-EFGH", "new_password": password}
        )
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "new_password"
    registered = client.post(
        "/v1/auth/register", json={"email": "new@example.org", "password": "iloveyou", "display_name": "New"}
    )
    assert registered.status_code == 422 and registered.json()["errors"][0]["field"] == "password"


def _desk_member_with_pin(client: TestClient, world: World) -> tuple[dict[str, Any], dict[str, str]]:
    enrolled = _enrol(client, world)
    token = client.post(
        "/v1/auth/token", data={"username": enrolled["member_number"], "password": enrolled["login_code"]}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for trivial in ("123456", "111111"):
        refused = client.post("/v1/me/password", json={"new_password": trivial}, headers=headers)
        assert refused.status_code == 422
    assert client.post("/v1/me/password", json={"new_password": "480913"}, headers=headers).status_code == 204
    return enrolled, headers


def test_a_desk_member_becomes_self_managed_with_an_email(client: TestClient, world: World) -> None:
    enrolled = _enrol(client, world)
    token = client.post(
        "/v1/auth/token", data={"username": enrolled["member_number"], "password": enrolled["login_code"]}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    early = client.post("/v1/me/email", json={"email": "jef@example.org"}, headers=headers)
    assert early.status_code == 409  # a PIN or password first
    assert client.post("/v1/me/password", json={"new_password": "480913"}, headers=headers).status_code == 204
    taken = client.post("/v1/me/email", json={"email": "alice@example.org"}, headers=headers)
    assert taken.status_code == 409
    added = client.post("/v1/me/email", json={"email": " Jef@Example.org "}, headers=headers)
    assert added.status_code == 200, added.text
    assert added.json()["email"] == "jef@example.org" and added.json()["managed"] is False
    login = client.post("/v1/auth/token", data={"username": "jef@example.org", "password": "480913"})
    assert login.status_code == 200
    listed = client.get("/v1/antennas/molenbeek/memberships", headers=world.mod_molenbeek.headers).json()["items"]
    assert next(i for i in listed if i["member"]["id"] == enrolled["id"])["managed"] is False
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert any(e["action"] == "member.self_managed" for e in trail)


def test_changing_a_pin_needs_the_current_one(client: TestClient, world: World) -> None:
    _, headers = _desk_member_with_pin(client, world)
    without = client.post("/v1/me/password", json={"new_password": "731904"}, headers=headers)
    assert without.status_code == 422 and without.json()["errors"][0]["field"] == "current_password"
    changed = client.post(
        "/v1/me/password", json={"current_password": "480913", "new_password": "731904"}, headers=headers
    )
    assert changed.status_code == 204


def test_the_card_is_for_desk_members_of_the_antenna(client: TestClient, world: World) -> None:
    enrolled = _enrol(client, world)
    mod, jette = world.mod_molenbeek.headers, world.mod_jette.headers
    assert client.get(f"/v1/antennas/molenbeek/members/{world.alice.id}/card", headers=mod).status_code == 404
    assert client.get(f"/v1/antennas/molenbeek/members/{enrolled['id']}/card", headers=jette).status_code == 403
    assert client.get(f"/v1/antennas/jette/members/{enrolled['id']}/card", headers=jette).status_code == 404
    assert (
        client.get(f"/v1/antennas/molenbeek/members/{enrolled['id']}/card", headers=PASSWORD_HEADERS).status_code == 401
    )


PASSWORD_HEADERS = {"Authorization": f"Bearer {PASSWORD}"}


def test_the_export_holds_the_desk_account_and_erasure_forgets_the_phone(
    client: TestClient, world: World, db: Engine
) -> None:
    enrolled = _enrol(client, world, phone="02 555 01 23")
    on_behalf = {**world.mod_molenbeek.headers, "On-Behalf-Of": str(enrolled["id"])}
    export = client.get("/v1/me/export", headers=on_behalf)
    assert export.status_code == 200
    assert export.json()["desk_account"]["member_number"] == enrolled["member_number"]
    assert client.delete("/v1/me", headers=on_behalf).status_code == 204
    with Session(db) as session:
        desk = session.get(DeskAccount, enrolled["id"])
        assert desk is not None and desk.phone is None
    login = client.post(
        "/v1/auth/token", data={"username": enrolled["member_number"], "password": enrolled["login_code"]}
    )
    assert login.status_code == 401
