"""The desk journey end to end: a person without e-mail or smartphone is enrolled by a moderator, gets a
card, is helped on behalf, logs in with member number and code, sets a PIN, forgets it, and gets back in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store.accounts import OneTimeCode
from store.background import MemberBackground
from store.base import utcnow
from tests.api.exchange_helpers import balance, exchange_between
from tests.api.helpers import Person, World

MARIA = {
    "display_name": "Maria Janssens",
    "language": "nl",
    "phone": "+32 2 555 01 23",
    "postcode": "1080",
    "background": {"age_band": "80+", "languages": ["nl"]},
    "background_consent": True,
}


def _login(client: TestClient, username: str, password: str) -> dict[str, object]:
    answer = client.post("/v1/auth/token", data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _bearer(token: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_the_desk_journey(client: TestClient, world: World, db: Engine) -> None:
    mod = world.mod_molenbeek

    # 1. Enrolment at the desk.
    enrolled = client.post("/v1/antennas/molenbeek/members", json=MARIA, headers=mod.headers)
    assert enrolled.status_code == 201, enrolled.text
    body = enrolled.json()
    number, code, maria_id = body["member_number"], body["login_code"], body["id"]
    assert re.fullmatch(r"MOL-\d{4}", number)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert body["email"] is None and body["managed"] is True
    assert body["memberships"] == [
        {"id": body["memberships"][0]["id"], "antenna": "molenbeek", "status": "approved", "reason": None}
    ]
    assert body["background_consent"] is True and body["background"] is None  # the moderator never sees it
    # The phone is not echoed back in the member's profile (its digits, not "555" alone: a timestamp may hold that).
    assert "555 01 23" not in enrolled.text and "5550123" not in enrolled.text and "phone" not in body
    with Session(db) as session:
        background = session.get(MemberBackground, maria_id)
        assert background is not None and background.age_band == "80+"
        assert background.recorded_by == mod.id  # who recorded the consent (and consented_at: when)
        stored = session.exec(select(OneTimeCode).where(OneTimeCode.member_id == maria_id)).one()
        assert code not in stored.code_hash and code.replace("-", "") not in stored.code_hash

    # 2. The welcome card, and the flag in the antenna's member list (phone for moderators only).
    card = client.get(f"/v1/antennas/molenbeek/members/{maria_id}/card", headers=mod.headers)
    assert card.status_code == 200, card.text
    assert card.json()["member_number"] == number and card.json()["display_name"] == "Maria Janssens"
    assert card.json()["partner"]["name"]
    assert code not in card.text
    listed = client.get("/v1/antennas/molenbeek/memberships?status=approved", headers=mod.headers).json()["items"]
    row = next(item for item in listed if item["member"]["id"] == maria_id)
    assert row["managed"] is True and row["member_number"] == number and row["phone"] == "+32 2 555 01 23"
    assert all(item["managed"] is False for item in listed if item["member"]["id"] != maria_id)

    # 3. The moderator acts for her: a request, and the exchange that follows, settled on the ledger.
    maria_by_mod = Person(id=maria_id, email="", headers={**mod.headers, "On-Behalf-Of": str(maria_id)})
    exchange_id = exchange_between(client, helper=world.alice, receiver=maria_by_mod, moderator=mod)
    for who in (world.alice, maria_by_mod):
        confirmed = client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=who.headers)
        assert confirmed.status_code == 200, confirmed.text
    assert client.get(f"/v1/exchanges/{exchange_id}", headers=maria_by_mod.headers).json()["state"] == "settled"
    assert balance(client, maria_by_mod) == -60

    # 4. She logs in with her number and the code (typed loosely), once.
    first = _login(client, number.lower().replace("-", " "), code.lower())
    assert first["must_set_password"] is True and first["refresh_token"] and first["expires_in"] > 0
    again = client.post("/v1/auth/token", data={"username": number, "password": code})
    assert again.status_code == 401

    # 5. She sets a PIN of her own (no current password: she has none yet) and logs in with it.
    pin = client.post("/v1/me/password", json={"new_password": "480913"}, headers=_bearer(first))
    assert pin.status_code == 204, pin.text
    with_pin = _login(client, number, "480913")
    assert with_pin["must_set_password"] is False
    me = client.get("/v1/me", headers=_bearer(with_pin)).json()
    assert (me["id"], me["member_number"], me["managed"]) == (maria_id, number, True)

    # 6. She forgets it; the moderator gives her a reset code (24 h, audited).
    issued = client.post(f"/v1/antennas/molenbeek/members/{maria_id}/reset-code", headers=mod.headers)
    assert issued.status_code == 201, issued.text
    reset_code = issued.json()["code"]
    expires_at = issued.json()["expires_at"]
    assert (
        timedelta(hours=23)
        < datetime.fromisoformat(expires_at.replace("Z", "+00:00")) - utcnow()
        <= timedelta(hours=24)
    )
    trail = client.get("/v1/antennas/molenbeek/audit", headers=mod.headers).json()["items"]
    actions = {(entry["action"], (entry["subject"] or {}).get("id")) for entry in trail}
    assert {("member.enrol", maria_id), ("member.card", maria_id), ("member.reset_code", maria_id)} <= actions
    assert reset_code not in str(trail)

    reset = client.post("/v1/auth/reset", json={"username": number, "code": reset_code, "new_password": "731904"})
    assert reset.status_code == 204, reset.text
    reused = client.post("/v1/auth/reset", json={"username": number, "code": reset_code, "new_password": "951372"})
    assert reused.status_code == 422 and reused.json()["type"] == "urn:buurtbank:problem:reset:bad_code"

    # 7. The old PIN and the old sessions are gone; she logs in again with the new PIN.
    assert client.post("/v1/auth/token", data={"username": number, "password": "480913"}).status_code == 401
    assert client.get("/v1/me", headers=_bearer(with_pin)).status_code == 401
    back = _login(client, number, "731904")
    assert client.get("/v1/me", headers=_bearer(back)).json()["id"] == maria_id
    trail = client.get("/v1/antennas/molenbeek/audit", headers=mod.headers).json()["items"]
    assert any(e["action"] == "password.reset" and e["subject"]["id"] == maria_id for e in trail)
