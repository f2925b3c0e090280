"""The console's guards over plain HTTP: cookies, CSRF, throttling, roles, acting for members, the vendored htmx."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from domain.audit import AuditAction
from store.audit import AuditEntry
from store.console_sessions import ConsoleSession
from store.ledger import LedgerTransfer
from store.memberships import Membership, MembershipStatus
from tests.api.exchange_helpers import exchange_between
from tests.api.helpers import World
from tests.console.helpers import csrf_of, post_form, sign_in

ROOT = Path(__file__).resolve().parents[2]


def _cookies(response: object) -> dict[str, str]:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {h.split("=", 1)[0]: h for h in headers}


def test_the_session_cookie_is_httponly_samesite_and_ends_at_sign_out(client: TestClient, world: World) -> None:
    answer = sign_in(client, world.mod_molenbeek.email)
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = _cookies(answer)["bb_console"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert client.get("/console/antennas/molenbeek", follow_redirects=False).status_code == 200
    out = post_form(client, "/console/antennas/molenbeek", "/console/sign-out", {})
    assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
    # The old cookie no longer opens anything, even if a browser kept it.
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    client.cookies.set("bb_console", token, path="/console")
    again = client.get("/console/antennas/molenbeek", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/console/sign-in"


def test_a_form_without_the_right_csrf_token_changes_nothing(client: TestClient, world: World, db: Engine) -> None:
    sign_in(client, world.mod_molenbeek.email)
    with Session(db) as s:
        carol = s.execute(select(Membership).where(col(Membership.member_id) == world.carol.id)).scalars().one()
        membership_id = carol.id
    action = f"/console/antennas/molenbeek/memberships/{membership_id}/approve"
    for data in ({}, {"csrf_token": "forged"}):
        answer = client.post(action, data=data, follow_redirects=False)
        assert answer.status_code == 303
        assert "bb_flash" in _cookies(answer)
    with Session(db) as s:
        assert s.get(Membership, membership_id).status is MembershipStatus.PENDING  # type: ignore[union-attr]
    ok = post_form(client, "/console/antennas/molenbeek/memberships", action, {})
    assert ok.status_code == 303
    with Session(db) as s:
        assert s.get(Membership, membership_id).status is MembershipStatus.APPROVED  # type: ignore[union-attr]


def test_sign_in_is_throttled_like_the_api(client: TestClient, world: World, db: Engine) -> None:
    for _ in range(5):
        answer = post_form(
            client, "/console/sign-in", "/console/sign-in", {"email": world.mod_molenbeek.email, "password": "wrong"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    # The right password now waits too, and the API's own login agrees: one throttle for both doors.
    blocked = sign_in(client, world.mod_molenbeek.email)
    assert blocked.headers["location"] == "/console/sign-in"
    page = client.get("/console/sign-in")
    assert "Too many failed attempts" in page.text
    api = client.post("/v1/auth/token", data={"username": world.mod_molenbeek.email, "password": "x"})
    assert api.status_code == 429
    with Session(db) as s:
        assert s.execute(select(func.count()).select_from(ConsoleSession)).scalar_one() == 0


def test_members_and_other_antennas_stay_out(client: TestClient, world: World) -> None:
    member = sign_in(client, world.alice.email)
    assert member.headers["location"] == "/console/sign-in"
    page = client.get("/console/sign-in")
    assert "for the staff of an antenna" in page.text
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/sign-in"

    sign_in(client, world.mod_molenbeek.email)
    assert client.get("/console/antennas/jette").status_code == 403
    assert client.get(f"/console/antennas/jette/act/{world.dave.id}").status_code == 403
    # Dave is no member of Molenbeek: unknown there, as in the API.
    assert client.get(f"/console/antennas/molenbeek/act/{world.dave.id}").status_code == 404
    assert client.get("/console/stats").status_code == 403


def test_acting_for_a_member_is_audited_with_both_identities_and_a_resent_form_counts_once(
    client: TestClient, world: World, db: Engine
) -> None:
    exchange = exchange_between(client, helper=world.bob, receiver=world.alice, moderator=world.mod_molenbeek)
    sign_in(client, world.mod_molenbeek.email)
    act = f"/console/antennas/molenbeek/act/{world.bob.id}"
    page = client.get(act)
    assert "You are acting for Bob" in page.text
    form = {"csrf_token": csrf_of(page), "minutes": "60", "idempotency_key": "resend-1"}
    for _ in range(2):
        answer = client.post(
            f"{act}/exchanges/{exchange}/confirm", data=form, headers={"Referer": f"http://testserver{act}"}
        )
        assert answer.status_code == 200
    confirmed = client.get(f"/v1/exchanges/{exchange}", headers=world.bob.headers).json()
    assert confirmed["helper_minutes"] == 60
    with Session(db) as s:
        entries = (
            s.execute(
                select(AuditEntry).where(
                    col(AuditEntry.on_behalf).is_(True), col(AuditEntry.subject_member_id) == world.bob.id
                )
            )
            .scalars()
            .all()
        )
    assert entries and all(e.actor_id == world.mod_molenbeek.id for e in entries)
    assert all(e.action == AuditAction.ACT_FOR_MEMBER for e in entries)
    assert any(e.detail["route"].endswith("/exchanges/{exchange_id}/confirm") for e in entries)
    trail = client.get("/console/antennas/molenbeek/audit").text
    assert "Acted for the member" in trail and "/exchanges/{exchange_id}/confirm</code>" in trail
    assert "member.act_for" not in trail  # the action's label, not its value


def test_a_refused_action_shows_the_reason_and_keeps_nothing(client: TestClient, world: World, db: Engine) -> None:
    sign_in(client, world.mod_molenbeek.email)
    act = f"/console/antennas/molenbeek/act/{world.alice.id}"
    answer = post_form(client, act, f"{act}/donations", {"minutes": "15", "idempotency_key": "gift-1"})
    assert answer.status_code == 303 and answer.headers["location"] == act
    page = client.get(act)
    assert 'role="alert"' in page.text
    with Session(db) as s:
        assert s.execute(select(func.count()).select_from(LedgerTransfer)).scalar_one() == 0
        acts = s.execute(select(AuditEntry).where(col(AuditEntry.action) == AuditAction.ACT_FOR_MEMBER)).scalars()
        on_behalf = [e for e in acts if e.detail["route"].startswith("POST")]  # opening the page is audited too
    assert on_behalf == []  # the refused call's audit record rolled back with it, as in the API


def test_the_served_htmx_is_the_locked_package(client: TestClient, node_modules: Path) -> None:
    """The file in git is the one npm ci installs from web/package-lock.json (update: npm install, npm run vendor)."""
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/htmx.org"]["version"]
    served = client.get("/console/static/vendor/htmx.min.js")
    assert served.status_code == 200
    assert f'version:"{locked}"' in served.text
    installed = node_modules / "htmx.org"
    assert json.loads((installed / "package.json").read_text())["version"] == locked
    assert (installed / "dist" / "htmx.min.js").read_bytes() == served.content
