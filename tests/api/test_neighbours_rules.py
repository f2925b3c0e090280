"""The neighbours' features refuse bad input with translated problem details and write nothing; blocks keep
a pair apart; reports reach the antenna's moderators only; rejection reasons reach the member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from store.audit import AuditEntry
from store.base import utcnow
from store.conversations import Message
from store.meetings import Meeting
from store.notifications import Notification
from store.push import Device
from store.safety import Block, Report
from tests.api.exchange_helpers import exchange_between, post_request
from tests.api.helpers import World

LANGUAGES = ("nl", "fr", "en")


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _refused_in_every_language(
    client: TestClient,
    engine: Engine,
    *,
    method: str,
    path: str,
    headers: dict[str, str],
    body: object,
    status: int,
    unchanged: tuple[type[SQLModel], ...],
    problem: str | None = None,
) -> None:
    before = {model: _count(engine, model) for model in unchanged}
    titles = set()
    for lang in LANGUAGES:
        answer = client.request(method, path, json=body, headers={**headers, "Accept-Language": lang})
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        document = answer.json()
        assert document["status"] == status and document["title"] and document["detail"]
        if problem is not None:
            assert document["type"] == problem
        titles.add((document["title"], document["detail"]))
    assert len(titles) == 3, titles  # a different text in each language
    assert {model: _count(engine, model) for model in unchanged} == before


@pytest.fixture
def exchange_id(client: TestClient, world: World) -> int:
    return exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)


def test_messages_to_an_exchange_one_is_not_part_of_are_not_found(
    client: TestClient, world: World, db: Engine, exchange_id: int
) -> None:
    for path in (f"/v1/exchanges/{exchange_id}/messages", "/v1/exchanges/999999/messages"):
        _refused_in_every_language(
            client,
            db,
            method="POST",
            path=path,
            headers=world.dave.headers,
            body={"text": "Hallo"},
            status=404,
            unchanged=(Message, Notification),
        )
    # The other antenna's moderator does not see it either.
    assert client.get(f"/v1/exchanges/{exchange_id}/messages", headers=world.mod_jette.headers).status_code == 404
    assert client.get(f"/v1/exchanges/{exchange_id}/messages", headers=world.dave.headers).status_code == 404


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 2001])
def test_empty_or_too_long_messages_are_refused(
    client: TestClient, world: World, db: Engine, exchange_id: int, text: str
) -> None:
    _refused_in_every_language(
        client,
        db,
        method="POST",
        path=f"/v1/exchanges/{exchange_id}/messages",
        headers=world.alice.headers,
        body={"text": text},
        status=422,
        unchanged=(Message, Notification),
    )
    ok = client.post(f"/v1/exchanges/{exchange_id}/messages", json={"text": "x" * 2000}, headers=world.alice.headers)
    assert ok.status_code == 201, ok.text


def test_a_meeting_in_the_past_is_refused(client: TestClient, world: World, db: Engine, exchange_id: int) -> None:
    for starts_at in ((utcnow() - timedelta(minutes=5)).isoformat(), "2020-01-01T10:00:00+01:00"):
        _refused_in_every_language(
            client,
            db,
            method="PUT",
            path=f"/v1/exchanges/{exchange_id}/meeting",
            headers=world.alice.headers,
            body={"starts_at": starts_at, "place": "Aan de kerk"},
            status=422,
            unchanged=(Meeting, Notification),
            problem="urn:buurtbank:problem:meeting:in_past",
        )
    # Without an offset the time means nothing: refused too; and a partner without an address cannot host.
    naive = client.put(
        f"/v1/exchanges/{exchange_id}/meeting",
        json={"starts_at": "2099-01-01T10:00:00", "place": "Aan de kerk"},
        headers=world.alice.headers,
    )
    assert naive.status_code == 422
    tomorrow = (utcnow() + timedelta(days=1)).isoformat()
    no_address = client.put(
        f"/v1/exchanges/{exchange_id}/meeting",
        json={"starts_at": tomorrow, "place": "antenna_partner"},
        headers=world.alice.headers,
    )
    assert no_address.status_code == 422 and no_address.json()["type"].endswith("meeting:no_partner_address")
    # Nobody but the two members plans it.
    for who in (world.dave, world.mod_molenbeek):
        answer = client.put(
            f"/v1/exchanges/{exchange_id}/meeting", json={"starts_at": tomorrow, "place": "Hier"}, headers=who.headers
        )
        assert answer.status_code == 404
    assert _count(db, Meeting) == 0


def test_a_device_of_an_unknown_platform_or_a_malformed_token_is_refused(
    client: TestClient, world: World, db: Engine
) -> None:
    for body in (
        {"platform": "carrier-pigeon", "token": "ExponentPushToken[abc]"},
        {"platform": "expo", "token": "not-an-expo-token"},
        {"platform": "expo", "token": ""},
    ):
        _refused_in_every_language(
            client,
            db,
            method="POST",
            path="/v1/me/devices",
            headers=world.alice.headers,
            body=body,
            status=422,
            unchanged=(Device,),
        )
    added = client.post(
        "/v1/me/devices", json={"platform": "expo", "token": "ExponentPushToken[abc]"}, headers=world.alice.headers
    )
    assert added.status_code == 201
    device_id = added.json()["id"]
    assert client.delete(f"/v1/me/devices/{device_id}", headers=world.bob.headers).status_code == 404
    assert client.delete(f"/v1/me/devices/{device_id}", headers=world.alice.headers).status_code == 204
    assert client.get("/v1/me/devices", headers=world.alice.headers).json() == []


def test_a_report_about_something_one_cannot_see_is_not_found(
    client: TestClient, world: World, db: Engine, exchange_id: int
) -> None:
    request_id = post_request(client, world.dave, slug="jette")
    for about, subject in (
        ("member", world.dave.id),
        ("member", 999_999),
        ("listing", request_id),
        ("exchange", exchange_id),
        ("proposal", 999_999),
    ):
        _refused_in_every_language(
            client,
            db,
            method="POST",
            path="/v1/reports",
            headers=world.carol.headers if about == "exchange" else world.alice.headers,
            body={"about": about, "id": subject, "reason": "Dit voelt niet goed"},
            status=404,
            unchanged=(Report, Notification),
        )


def test_reports_reach_the_antennas_moderators_who_close_them_audited(
    client: TestClient, world: World, db: Engine, exchange_id: int
) -> None:
    filed = client.post(
        "/v1/reports",
        json={"about": "exchange", "id": exchange_id, "reason": "Hij kwam niet opdagen en was onbeleefd"},
        headers=world.bob.headers,
    )
    assert filed.status_code == 201, filed.text
    report = filed.json()
    assert report["antenna"] == "molenbeek" and report["reported"]["id"] == world.alice.id
    assert report["status"] == "open"
    kinds = [n["kind"] for n in client.get("/v1/me/notifications", headers=world.mod_molenbeek.headers).json()["items"]]
    assert kinds[0] == "report_filed"
    # Members cannot read the queue; the other antenna's moderator cannot read or close it.
    assert client.get("/v1/antennas/molenbeek/reports", headers=world.bob.headers).status_code == 403
    assert client.get("/v1/antennas/molenbeek/reports", headers=world.mod_jette.headers).status_code == 403
    close = {"note": "Gesprek gehad met beide leden"}
    assert (
        client.post(f"/v1/reports/{report['id']}/close", json=close, headers=world.mod_jette.headers).status_code == 404
    )
    queue = client.get("/v1/antennas/molenbeek/reports?status=open", headers=world.mod_molenbeek.headers).json()
    assert [r["id"] for r in queue["items"]] == [report["id"]]
    closed = client.post(f"/v1/reports/{report['id']}/close", json=close, headers=world.mod_molenbeek.headers)
    assert closed.status_code == 200 and closed.json()["close_note"] == close["note"]
    again = client.post(f"/v1/reports/{report['id']}/close", json=close, headers=world.mod_molenbeek.headers)
    assert again.status_code == 409
    assert (
        client.get("/v1/antennas/molenbeek/reports?status=open", headers=world.mod_molenbeek.headers).json()["items"]
        == []
    )
    trail = client.get("/v1/antennas/molenbeek/audit", headers=world.mod_molenbeek.headers).json()["items"]
    assert any(e["action"] == "report.close" for e in trail)
    with Session(db) as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "report.close")).all()
        assert entry.detail["note"] == close["note"] and entry.subject_member_id == world.alice.id


def test_a_block_stops_responses_messages_and_meetings_both_ways(
    client: TestClient, world: World, db: Engine, exchange_id: int
) -> None:
    alice, bob = world.alice, world.bob
    blocked = client.post("/v1/me/blocks", json={"member_id": alice.id}, headers=bob.headers)
    assert blocked.status_code == 201, blocked.text
    assert client.get("/v1/me/blocks", headers=bob.headers).json()[0]["member"]["id"] == alice.id
    # Neither may write or plan; the moderator still may.
    for who in (alice, bob):
        answer = client.post(f"/v1/exchanges/{exchange_id}/messages", json={"text": "Hallo?"}, headers=who.headers)
        assert answer.status_code == 403, answer.text
        meeting = client.put(
            f"/v1/exchanges/{exchange_id}/meeting",
            json={"starts_at": (utcnow() + timedelta(days=2)).isoformat(), "place": "Hier"},
            headers=who.headers,
        )
        assert meeting.status_code == 403
    assert (
        client.post(
            f"/v1/exchanges/{exchange_id}/messages", json={"text": "Alles goed?"}, headers=world.mod_molenbeek.headers
        ).status_code
        == 201
    )
    # Neither can respond to the other's listings.
    bobs_request = post_request(client, bob)
    assert client.post(f"/v1/requests/{bobs_request}/respond", headers=alice.headers).status_code == 403
    offer = client.post(
        "/v1/offers",
        json={"antenna": "molenbeek", "category": "shopping", "title": "Ik doe boodschappen"},
        headers=alice.headers,
    )
    assert offer.status_code == 201, offer.text
    assert client.post(f"/v1/offers/{offer.json()['id']}/respond", headers=bob.headers).status_code == 403
    # Blocking oneself, or someone one has nothing to do with, is refused; lifting the block restores contact.
    assert client.post("/v1/me/blocks", json={"member_id": bob.id}, headers=bob.headers).status_code == 422
    assert client.post("/v1/me/blocks", json={"member_id": world.dave.id}, headers=bob.headers).status_code == 404
    assert client.delete(f"/v1/me/blocks/{alice.id}", headers=bob.headers).status_code == 204
    assert client.delete(f"/v1/me/blocks/{alice.id}", headers=bob.headers).status_code == 404
    assert _count(db, Block) == 0
    again = client.post(f"/v1/exchanges/{exchange_id}/messages", json={"text": "Sorry!"}, headers=alice.headers)
    assert again.status_code == 201


def test_members_see_why_a_membership_or_a_proposal_was_rejected(client: TestClient, world: World) -> None:
    reason = "Je woont buiten de wijk van deze antenne"
    [membership] = [m for m in client.get("/v1/me", headers=world.carol.headers).json()["memberships"]]
    rejected = client.post(
        f"/v1/antennas/molenbeek/memberships/{membership['id']}/reject",
        json={"reason": reason},
        headers=world.mod_molenbeek.headers,
    )
    assert rejected.status_code == 200, rejected.text
    mine = client.get("/v1/me", headers=world.carol.headers).json()["memberships"]
    assert mine == [{"id": membership["id"], "antenna": "molenbeek", "status": "rejected", "reason": reason}]
    [note] = client.get("/v1/me/notifications", headers={**world.carol.headers, "Accept-Language": "fr"}).json()[
        "items"
    ]
    assert note["kind"] == "membership_decided" and reason in note["message"] and "Motif" in note["message"]

    request_id = post_request(client, world.bob)
    proposal = client.post(f"/v1/requests/{request_id}/respond", headers=world.alice.headers).json()
    why = "Bob heeft al hulp van een vrijwilliger"
    assert (
        client.post(
            f"/v1/proposals/{proposal['id']}/reject", json={"reason": why}, headers=world.mod_molenbeek.headers
        ).status_code
        == 200
    )
    [seen] = [p for p in client.get("/v1/me/proposals", headers=world.alice.headers).json()["items"]]
    assert seen["state"] == "rejected" and seen["reason"] == why
    latest = client.get("/v1/me/notifications", headers=world.alice.headers).json()["items"][0]
    assert latest["kind"] == "proposal_rejected" and why in latest["message"]


def test_erased_members_messages_become_a_neutral_marker(
    client: TestClient, world: World, db: Engine, exchange_id: int
) -> None:
    client.post(
        f"/v1/exchanges/{exchange_id}/messages", json={"text": "Mijn nummer is 0470"}, headers=world.alice.headers
    )
    client.post(f"/v1/exchanges/{exchange_id}/messages", json={"text": "Dank je"}, headers=world.bob.headers)
    assert client.delete("/v1/me", headers=world.alice.headers).status_code == 204
    for lang, marker in (("nl", "verwijderd"), ("fr", "supprimé"), ("en", "removed")):
        items = client.get(
            f"/v1/exchanges/{exchange_id}/messages", headers={**world.bob.headers, "Accept-Language": lang}
        ).json()["items"]
        assert items[0]["removed"] is True and items[0]["author"] is None and marker in items[0]["text"]
        assert items[1]["text"] == "Dank je"
    with Session(db) as session:
        assert "0470" not in str([m.text for m in session.exec(select(Message)).all()])


def test_quiet_hours_default_to_the_brussels_night_and_can_be_changed(client: TestClient, world: World) -> None:
    headers = world.alice.headers
    assert client.get("/v1/me/quiet-hours", headers=headers).json() == {
        "start": "22:00",
        "end": "08:00",
        "timezone": "Europe/Brussels",
    }
    changed = client.put("/v1/me/quiet-hours", json={"start": "21:30", "end": "07:00"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["start"] == "21:30"
    assert client.get("/v1/me/quiet-hours", headers=world.bob.headers).json()["start"] == "22:00"
    for body in ({"start": "25:00", "end": "07:00"}, {"start": "21:00", "end": "07:00", "timezone": "Mars/Olympus"}):
        answer = client.put("/v1/me/quiet-hours", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
    assert client.get("/v1/me/quiet-hours", headers=headers).json()["start"] == "21:30"
