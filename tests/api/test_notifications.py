"""A member's notifications over HTTP: listed newest first in their language, marked read, private."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.notifications import notify
from store.notifications import NotificationKind
from tests.api.helpers import World


def _notify(engine: Engine, member_id: int, kind: NotificationKind, subject_id: int) -> None:
    with Session(engine) as session:
        notify(
            session,
            member_id=member_id,
            kind=kind,
            subject_id=subject_id,
            payload={"exchange_id": subject_id, "category": "shopping", "role": "helper"},
        )
        session.commit()


def test_a_member_reads_their_notifications_and_marks_one_read(client: TestClient, world: World, db: Engine) -> None:
    _notify(db, world.alice.id, NotificationKind.CONFIRM_REMINDER, 7)
    _notify(db, world.alice.id, NotificationKind.PROPOSAL_WAITING, 8)
    _notify(db, world.bob.id, NotificationKind.CONFIRM_REMINDER, 9)

    answer = client.get("/v1/me/notifications", headers={**world.alice.headers, "Accept-Language": "fr"})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    # The oldest is the moderator's approval of her membership (written with the decision).
    assert [n["kind"] for n in items] == ["proposal_waiting", "confirm_reminder", "membership_decided"]
    assert "Courses" in items[1]["message"]
    assert items[1]["payload"]["exchange_id"] == 7 and items[1]["read_at"] is None
    nl = client.get("/v1/me/notifications", headers={**world.alice.headers, "Accept-Language": "nl"}).json()
    assert nl["items"][1]["message"] != items[1]["message"]

    page = client.get("/v1/me/notifications?limit=1", headers=world.alice.headers).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/v1/me/notifications?limit=1&cursor={page['next_cursor']}", headers=world.alice.headers)
    assert [n["kind"] for n in rest.json()["items"]] == ["confirm_reminder"]

    first_id = items[1]["id"]
    read = client.post(f"/v1/me/notifications/{first_id}/read", headers=world.alice.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = client.get("/v1/me/notifications?unread=true", headers=world.alice.headers).json()["items"]
    assert [n["kind"] for n in unread] == ["proposal_waiting", "membership_decided"]

    # Someone else's notification is not found, and lists are private.
    assert client.post(f"/v1/me/notifications/{first_id}/read", headers=world.bob.headers).status_code == 404
    assert [
        n["payload"].get("exchange_id")
        for n in client.get("/v1/me/notifications", headers=world.bob.headers).json()["items"]
    ] == [9, None]
    assert client.get("/v1/me/notifications").status_code == 401
