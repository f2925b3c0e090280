"""The whole journey of two neighbours over HTTP, with each member's notifications checked at every step and
pushed by the scheduler's sender to a local fake Expo service (never the network)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from scheduler import jobs
from services.push_providers import ExpoProvider
from store.antennas import get_antenna_by_slug
from store.base import utcnow
from store.feedback import ExchangeFeedback
from store.push import Platform
from tests.api.exchange_helpers import post_request
from tests.api.helpers import Person, World
from tests.push_fakes import FakeExpo, fake_expo

BRUSSELS = ZoneInfo("Europe/Brussels")


PARTNER_ADDRESS = "Rue Fictive 1, 1080 Molenbeek"


def declare_partner_address(engine: Engine, slug: str, address: str) -> None:
    """As if the antenna's file declared its partner's address ([partner] address = ...)."""
    with Session(engine) as session:
        antenna = get_antenna_by_slug(session, slug)
        assert antenna is not None
        antenna.config = {**antenna.config, "partner": {**antenna.config["partner"], "address": address}}
        session.add(antenna)
        session.commit()


@pytest.fixture
def expo() -> Iterator[FakeExpo]:
    with fake_expo() as fake:
        yield fake


class Sender:
    """Runs the push job as the scheduler would, one slot after another, at midday in Brussels (outside the
    default quiet hours, and after every notification the test wrote)."""

    def __init__(self, engine: Engine, expo: FakeExpo) -> None:
        local = utcnow().astimezone(BRUSSELS)
        noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
        self.now = noon if noon > local else noon + timedelta(days=1)
        self.engine = engine
        self.providers = {Platform.EXPO: ExpoProvider(host=expo.host)}

    def run(self) -> dict[str, int]:
        self.now += timedelta(minutes=1)
        result = jobs.push_notifications(self.engine, interval_seconds=60, providers=self.providers, now=self.now)
        assert result is not None
        return result


class Inbox:
    """What one member has been told so far, over the API and by push."""

    def __init__(self, client: TestClient, who: Person, token: str, expo: FakeExpo) -> None:
        self.client, self.who, self.token, self.expo = client, who, token, expo
        self.seen = {n["id"] for n in self._all()}
        self.pushed = len(expo.to(token))

    def _all(self) -> list[dict[str, object]]:
        answer = self.client.get("/v1/me/notifications?limit=200", headers=self.who.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]  # type: ignore[no-any-return]

    def new(self) -> list[dict[str, object]]:
        fresh = [n for n in reversed(self._all()) if n["id"] not in self.seen]
        self.seen |= {n["id"] for n in fresh}
        return fresh

    def expect(self, *kinds: str) -> list[dict[str, object]]:
        """The member got exactly these new notifications, and each was pushed to their phone."""
        fresh = self.new()
        assert [n["kind"] for n in fresh] == list(kinds), fresh
        pushes = self.expo.to(self.token)[self.pushed :]
        self.pushed += len(pushes)
        assert [p["data"]["notification_id"] for p in pushes] == [n["id"] for n in fresh]
        assert [p["body"] for p in pushes] == [n["message"] for n in fresh]  # rendered in the member's language
        return fresh


def _unread(client: TestClient, who: Person) -> int:
    answer = client.get("/v1/me/notifications/unread-count", headers=who.headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def test_two_neighbours_from_proposal_to_feedback(client: TestClient, world: World, db: Engine, expo: FakeExpo) -> None:
    alice, bob, mod = world.alice, world.bob, world.mod_molenbeek
    alice_token, bob_token = "ExponentPushToken[alice-phone]", "ExponentPushToken[bob-phone]"
    for who, token in ((alice, alice_token), (bob, bob_token)):
        answer = client.post("/v1/me/devices", json={"platform": "expo", "token": token}, headers=who.headers)
        assert answer.status_code == 201, answer.text
    declare_partner_address(db, "molenbeek", PARTNER_ADDRESS)
    sender = Sender(db, expo)
    nl = {"Accept-Language": "nl"}
    a, b = Inbox(client, alice, alice_token, expo), Inbox(client, bob, bob_token, expo)

    # Bob asks for help; Alice offers hers. The moderator has not looked yet: nobody is told anything.
    request_id = post_request(client, bob)
    proposal = client.post(
        f"/v1/requests/{request_id}/respond", json={"message": "Ik help graag"}, headers=alice.headers
    )
    assert proposal.status_code == 201, proposal.text
    proposal_id = proposal.json()["id"]
    sender.run()
    a.expect()
    b.expect()

    # The moderator approves: Bob is asked to answer (Alice said yes by proposing).
    assert client.post(f"/v1/proposals/{proposal_id}/approve", headers=mod.headers).status_code == 200
    assert sender.run()["sent"] == 1
    [ask] = b.expect("proposal_to_answer")
    assert ask["payload"]["proposal_id"] == proposal_id
    a.expect()
    assert _unread(client, bob) == 2  # his membership decision and this one

    # Alice writes before Bob has answered; Bob reads the conversation and is told.
    posted = client.post(
        f"/v1/proposals/{proposal_id}/messages", json={"text": "Dinsdag past mij goed."}, headers=alice.headers
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["mine"] is True and posted.json()["author"]["display_name"] == "Alice"
    sender.run()
    b.expect("message")
    a.expect()
    thread = client.get(f"/v1/proposals/{proposal_id}/messages", headers=bob.headers).json()
    assert [m["text"] for m in thread["items"]] == ["Dinsdag past mij goed."]
    assert thread["items"][0]["mine"] is False

    # Bob accepts: the exchange is planned, and both hear of it.
    accepted = client.post(f"/v1/proposals/{proposal_id}/accept", headers=bob.headers)
    assert accepted.status_code == 200, accepted.text
    exchange_id = accepted.json()["exchange_id"]
    sender.run()
    a.expect("exchange_planned")
    b.expect("exchange_planned")

    # The exchange continues the proposal's conversation; the moderator writes as the antenna.
    from_antenna = client.post(
        f"/v1/exchanges/{exchange_id}/messages", json={"text": "Veel plezier samen!"}, headers={**mod.headers, **nl}
    )
    assert from_antenna.status_code == 201, from_antenna.text
    assert from_antenna.json()["author"] is None and from_antenna.json()["from_antenna"] == "Molenbeek"
    sender.run()
    a.expect("message")
    b.expect("message")
    seen_by_bob = client.get(f"/v1/exchanges/{exchange_id}/messages", headers=bob.headers).json()["items"]
    assert [m["text"] for m in seen_by_bob] == ["Dinsdag past mij goed.", "Veel plezier samen!"]
    assert "Mod" not in str(seen_by_bob)

    # Alice proposes to meet tomorrow; Bob proposes another time; Alice accepts that one.
    first = (utcnow() + timedelta(hours=30)).astimezone(BRUSSELS)
    proposed = client.put(
        f"/v1/exchanges/{exchange_id}/meeting",
        json={"starts_at": first.isoformat(), "place": "Aan de kerk"},
        headers=alice.headers,
    )
    assert proposed.status_code == 200, proposed.text
    sender.run()
    [meeting_note] = b.expect("meeting_proposed")
    assert meeting_note["payload"]["starts_at"]
    a.expect()
    second = (utcnow() + timedelta(hours=20)).astimezone(BRUSSELS).replace(second=0, microsecond=0)
    counter = client.put(
        f"/v1/exchanges/{exchange_id}/meeting",
        json={"starts_at": second.isoformat(), "place": "antenna_partner"},
        headers=bob.headers,
    )
    assert counter.status_code == 200, counter.text
    assert counter.json()["at_antenna_partner"] is True and counter.json()["accepted"] is False
    assert counter.json()["place"] == PARTNER_ADDRESS
    # Bob cannot accept his own proposal.
    own = client.post(f"/v1/exchanges/{exchange_id}/meeting/accept", headers=bob.headers)
    assert own.status_code == 409 and own.json()["type"] == "urn:buurtbank:problem:meeting:own_proposal"
    sender.run()
    a.expect("meeting_proposed")
    b.expect()
    agreed = client.post(f"/v1/exchanges/{exchange_id}/meeting/accept", headers=alice.headers)
    assert agreed.status_code == 200 and agreed.json()["accepted"] is True
    sender.run()
    b.expect("meeting_accepted")
    a.expect()
    shown = client.get(f"/v1/exchanges/{exchange_id}", headers=alice.headers).json()["meeting"]
    assert datetime.fromisoformat(shown["starts_at"]) == second and shown["proposed_by"] == "receiver"

    # The day before, the scheduler reminds both (once, however often it runs).
    assert jobs.meeting_reminders(db, interval_minutes=60, now=utcnow()) == {"meeting_reminders": 1}
    assert jobs.meeting_reminders(db, interval_minutes=60, now=utcnow() + timedelta(hours=1)) == {
        "meeting_reminders": 0
    }
    sender.run()
    [reminder] = a.expect("meeting_reminder")
    b.expect("meeting_reminder")
    when = second.astimezone(BRUSSELS).strftime("%H:%M")
    assert when in reminder["message"]

    # Alice confirms: Bob is asked to; Bob confirms the same minutes: settled, both told.
    assert (
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=alice.headers).status_code
        == 200
    )
    sender.run()
    [needed] = b.expect("confirm_needed")
    assert "60" in needed["message"]
    a.expect()
    assert (
        client.post(f"/v1/exchanges/{exchange_id}/confirm", json={"minutes": 60}, headers=bob.headers).status_code
        == 200
    )
    sender.run()
    a.expect("exchange_settled")
    b.expect("exchange_settled")

    # Feedback: stored for the statistics, shown to nobody.
    feedback = client.post(
        f"/v1/exchanges/{exchange_id}/feedback", json={"thanks": True, "met_someone_new": True}, headers=bob.headers
    )
    assert feedback.status_code == 200, feedback.text
    sender.run()
    a.expect()
    b.expect()
    assert "met_someone_new" not in client.get(f"/v1/exchanges/{exchange_id}", headers=alice.headers).text
    with Session(db) as session:
        [row] = session.exec(select(ExchangeFeedback)).all()
        assert (row.member_id, row.thanks, row.met_someone_new) == (bob.id, True, True)

    # Unread counts, and reading everything at once.
    assert _unread(client, alice) == len(a.seen)
    read = client.post("/v1/me/notifications/read-all", headers=alice.headers)
    assert read.status_code == 200 and read.json()["marked"] == len(a.seen)
    assert _unread(client, alice) == 0
    assert client.get("/v1/me/notifications?unread=true", headers=alice.headers).json()["items"] == []
    assert _unread(client, bob) > 0
