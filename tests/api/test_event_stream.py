"""GET /v1/me/events through a real server (uvicorn on 127.0.0.1): new notifications arrive as events, the
idle stream holds no database connection, it ends by itself, and Last-Event-ID resumes where it stopped."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from buurtbank.settings import Settings
from services.notifications import notify
from store.notifications import NotificationKind
from tests.api.helpers import World
from tests.fakes import FakeGeocoder


@pytest.fixture
def server(db: Engine, settings: Settings) -> Iterator[str]:
    app = create_app(
        settings.model_copy(update={"events_max_seconds": 4.0, "events_poll_seconds": 0.2}),
        engine=db,
        geocoder=FakeGeocoder(),
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@dataclass
class Listener:
    events: list[dict[str, str]] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def _listen(url: str, headers: dict[str, str], listener: Listener) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=20) as answer:
            assert answer.status_code == 200, answer.read()
            assert answer.headers["content-type"].startswith("text/event-stream")
            listener.connected.set()
            event: dict[str, str] = {}
            for line in answer.iter_lines():
                if not line:
                    if event:
                        listener.events.append(event)
                    event = {}
                    continue
                name, _, value = line.partition(":")
                event[name] = value.strip()
    except BaseException as exc:  # reported by the test thread
        listener.error = exc
        listener.connected.set()


def _notify(engine: Engine, member_id: int) -> int:
    with Session(engine) as session:
        notification_id = notify(
            session,
            member_id=member_id,
            kind=NotificationKind.MESSAGE,
            subject_id=1,
            payload={"proposal_id": 1, "category": "shopping", "role": "helper"},
        )
        session.commit()
        return notification_id


def test_new_notifications_arrive_on_the_stream(server: str, world: World, db: Engine) -> None:
    listener = Listener()
    headers = {**world.alice.headers, "Accept-Language": "fr"}
    thread = threading.Thread(target=_listen, args=(f"{server}/v1/me/events", headers, listener))
    started = time.monotonic()
    thread.start()
    assert listener.connected.wait(10) and listener.error is None, listener.error
    time.sleep(0.3)

    # Idle: the stream waits without holding a connection (it checks one out only for a moment per look).
    samples = []
    for _ in range(40):
        samples.append(db.pool.checkedout())  # type: ignore[attr-defined]
        time.sleep(0.025)
    # A stream holding its connection would show 1 in every sample; a look (every 0.2 s) holds one briefly,
    # longer on a loaded machine, so most samples, not nearly all, find none checked out.
    assert samples.count(0) >= len(samples) * 3 // 4, samples

    new_id = _notify(db, world.alice.id)
    _notify(db, world.bob.id)  # someone else's: not on Alice's stream
    thread.join(timeout=15)
    assert not thread.is_alive() and listener.error is None, listener.error
    assert time.monotonic() - started < 10  # it ended by itself (events_max_seconds)

    notifications = [e for e in listener.events if e.get("event") == "notification"]
    assert [int(e["id"]) for e in notifications] == [new_id]
    data = json.loads(notifications[0]["data"])
    assert data["kind"] == "message" and "Courses" in data["message"]
    assert listener.events[-1]["event"] == "end"
    assert db.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_last_event_id_resumes_after_the_last_notification_seen(server: str, world: World, db: Engine) -> None:
    first, second = _notify(db, world.alice.id), _notify(db, world.alice.id)
    listener = Listener()
    _listen(f"{server}/v1/me/events", {**world.alice.headers, "Last-Event-ID": str(first)}, listener)
    assert listener.error is None, listener.error
    assert [int(e["id"]) for e in listener.events if e.get("event") == "notification"] == [second]


def test_the_stream_needs_a_signed_in_member(server: str) -> None:
    answer = httpx.get(f"{server}/v1/me/events", timeout=10)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
