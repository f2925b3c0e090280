"""Confirmation reminders and the planned meeting: none before the two have met, and the reminder names the
time they met."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from scheduler import jobs
from store.base import utcnow
from store.meetings import Meeting
from tests.api.exchange_helpers import exchange_between
from tests.api.helpers import World

DAY = 24 * 60


def _reminders(client: TestClient, who_headers: dict[str, str]) -> list[dict[str, object]]:
    items = client.get("/v1/me/notifications", headers={**who_headers, "Accept-Language": "en"}).json()["items"]
    return [n for n in items if n["kind"] == "confirm_reminder"]


def test_the_reminder_waits_for_the_meeting_and_names_its_time(client: TestClient, world: World, db: Engine) -> None:
    exchange_id = exchange_between(client, helper=world.alice, receiver=world.bob, moderator=world.mod_molenbeek)
    start = utcnow()
    meeting_at = (start + timedelta(days=5)).replace(second=0, microsecond=0)
    with Session(db) as session:
        session.add(
            Meeting(
                exchange_id=exchange_id,
                starts_at=meeting_at,
                place="Aan de kerk",
                proposed_by=world.alice.id,
                proposed_at=start,
                accepted_at=start,
            )
        )
        session.commit()

    # Four days on, the usual moment for a reminder: they have not met yet, so nobody is asked to confirm.
    assert jobs.confirm_reminders(db, interval_minutes=DAY, now=start + timedelta(days=4)) == {
        "confirm_reminders": 0,
        "proposal_reminders": 0,
    }
    assert _reminders(client, world.bob.headers) == []
    # After the meeting: both are asked, and the message says which meeting.
    after = jobs.confirm_reminders(db, interval_minutes=DAY, now=start + timedelta(days=6))
    assert after == {"confirm_reminders": 2, "proposal_reminders": 0}
    [reminder] = _reminders(client, world.bob.headers)
    local = meeting_at.astimezone(ZoneInfo("Europe/Brussels"))
    assert local.strftime("%H:%M") in str(reminder["message"]) and str(local.day) in str(reminder["message"])
    assert reminder["payload"]["starts_at"] == meeting_at.isoformat()  # type: ignore[index]
