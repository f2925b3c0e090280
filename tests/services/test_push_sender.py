"""The push sender against a local fake Expo service: quiet hours hold a push until they end, a failing
provider is retried with back-off, a token the provider rejects is dropped with its device."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from domain.errors import InvalidInput
from domain.push import MAX_ATTEMPTS, quiet_until, retry_delay
from scheduler import jobs
from services import push
from services.notifications import notify
from services.push_providers import ExpoProvider, WebPushProvider
from store.members import Member
from store.notifications import NotificationKind
from store.push import DeliveryState, Device, Platform, PushDelivery
from tests.push_fakes import FakeExpo, fake_expo, fake_webpush
from tests.services.matching_helpers import actor

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def expo() -> Iterator[FakeExpo]:
    with fake_expo() as fake:
        yield fake


def _member(session: Session, name: str, language: str = "fr") -> Member:
    row = Member(email=f"{name}@example.org", display_name=name, language=language)
    session.add(row)
    session.flush()
    return row


def _notify(session: Session, member: Member, at: datetime) -> None:
    notify(
        session,
        member_id=member.id,
        kind=NotificationKind.EXCHANGE_PLANNED,
        subject_id=1,
        payload={"exchange_id": 1, "category": "shopping", "role": "helper"},
        now=at,
    )
    session.commit()


def _deliveries(session: Session) -> list[PushDelivery]:
    session.expire_all()
    rows = list(session.exec(select(PushDelivery).order_by(PushDelivery.id)))
    session.commit()  # ends the read: on SQLite every transaction holds the write lock the job needs
    return rows


def test_quiet_hours_hold_a_push_until_morning(session: Session, db: Engine, expo: FakeExpo) -> None:
    member = _member(session, "rosa")
    push.register_device(session, actor(member), platform=Platform.EXPO, token="ExponentPushToken[rosa]")
    late = datetime(2026, 3, 10, 23, 30, tzinfo=BRUSSELS).astimezone(UTC)
    _notify(session, member, late)
    providers = {Platform.EXPO: ExpoProvider(host=expo.host)}

    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=late) == {"held": 1}
    [held] = _deliveries(session)
    assert held.due_at == datetime(2026, 3, 11, 8, 0, tzinfo=BRUSSELS).astimezone(UTC)
    before_eight = datetime(2026, 3, 11, 7, 59, tzinfo=BRUSSELS).astimezone(UTC)
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=before_eight) == {}
    assert expo.received == []
    morning = datetime(2026, 3, 11, 8, 1, tzinfo=BRUSSELS).astimezone(UTC)
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=morning) == {"sent": 1}
    [message] = expo.received
    assert message["to"] == "ExponentPushToken[rosa]" and "Courses" in message["body"]  # her language: French

    # Her own quiet hours (here none at night, but at lunch) replace the default.
    push.set_quiet_hours(session, actor(member), start=time(12, 0), end=time(14, 0), timezone="Europe/Brussels")
    session.commit()
    _notify(session, member, late)
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=late + timedelta(minutes=1)) == {
        "sent": 1
    }


def test_a_failing_provider_is_retried_with_back_off_then_given_up(
    session: Session, db: Engine, expo: FakeExpo
) -> None:
    member = _member(session, "omar")
    push.register_device(session, actor(member), platform=Platform.EXPO, token="ExponentPushToken[omar]")
    # No quiet hours for Omar (equal times), so the retries below are never held for the night.
    push.set_quiet_hours(session, actor(member), start=time(0, 0), end=time(0, 0), timezone="Europe/Brussels")
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=BRUSSELS).astimezone(UTC)
    _notify(session, member, noon)
    providers = {Platform.EXPO: ExpoProvider(host=expo.host)}

    expo.fail_next = 2
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon) == {"retried": 1}
    [first] = _deliveries(session)
    assert (first.attempts, first.due_at) == (1, noon + retry_delay(1))
    # Not due yet: nothing is sent, nothing asked of the provider.
    asked = expo.requests
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon + timedelta(seconds=61)) == {}
    assert expo.requests == asked
    retry_at = noon + retry_delay(1) + timedelta(seconds=1)
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=retry_at) == {"retried": 1}
    [second] = _deliveries(session)
    assert second.attempts == 2 and second.due_at == retry_at + retry_delay(2) and retry_delay(2) > retry_delay(1)
    later = second.due_at + timedelta(seconds=1)
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=later) == {"sent": 1}
    assert [m["to"] for m in expo.received] == ["ExponentPushToken[omar]"]

    # A provider that never recovers: after MAX_ATTEMPTS the delivery is given up, not retried forever.
    _notify(session, member, noon)
    expo.fail_next = 10_000
    now = later
    outcomes = []
    for _ in range(MAX_ATTEMPTS + 2):
        now += timedelta(hours=3)
        outcomes.append(jobs.push_notifications(db, interval_seconds=60, providers=providers, now=now))
    assert outcomes[: MAX_ATTEMPTS - 1] == [{"retried": 1}] * (MAX_ATTEMPTS - 1)
    assert outcomes[MAX_ATTEMPTS - 1] == {"failed": 1}
    assert outcomes[MAX_ATTEMPTS:] == [{}, {}]
    assert _deliveries(session)[-1].state is DeliveryState.FAILED


def test_a_token_the_provider_rejects_is_dropped_with_its_device(session: Session, db: Engine, expo: FakeExpo) -> None:
    member = _member(session, "lea")
    for token in ("ExponentPushToken[old-phone]", "ExponentPushToken[new-phone]"):
        push.register_device(session, actor(member), platform=Platform.EXPO, token=token)
    expo.unregistered.add("ExponentPushToken[old-phone]")
    noon = datetime(2026, 3, 10, 12, 0, tzinfo=BRUSSELS).astimezone(UTC)
    _notify(session, member, noon)
    _notify(session, member, noon)
    providers = {Platform.EXPO: ExpoProvider(host=expo.host)}
    result = jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon)
    assert result == {"sent": 2, "dropped": 2}
    session.expire_all()
    assert [d.token for d in session.exec(select(Device))] == ["ExponentPushToken[new-phone]"]
    session.commit()
    assert [m["to"] for m in expo.received] == ["ExponentPushToken[new-phone]"] * 2
    # A later notification is queued for the remaining device only.
    _notify(session, member, noon)
    assert len([d for d in _deliveries(session) if d.state is DeliveryState.PENDING]) == 1


def test_the_push_job_runs_once_per_slot(session: Session, db: Engine, expo: FakeExpo) -> None:
    member = _member(session, "ines")
    push.register_device(session, actor(member), platform=Platform.EXPO, token="ExponentPushToken[ines]")
    noon = datetime(2026, 3, 10, 12, 0, 5, tzinfo=BRUSSELS).astimezone(UTC)
    _notify(session, member, noon)
    providers = {Platform.EXPO: ExpoProvider(host=expo.host)}
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon) == {"sent": 1}
    _notify(session, member, noon)
    # Another process firing in the same minute skips; the next minute's run sends.
    assert (
        jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon + timedelta(seconds=20)) is None
    )
    assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon + timedelta(minutes=1)) == {
        "sent": 1
    }


@pytest.mark.parametrize(
    ("local", "start", "end", "until"),
    [
        ("23:30", "22:00", "08:00", "next 08:00"),
        ("03:00", "22:00", "08:00", "08:00"),
        ("08:00", "22:00", "08:00", None),
        ("12:30", "12:00", "14:00", "14:00"),
        ("15:00", "12:00", "14:00", None),
        ("23:30", "09:00", "09:00", None),
    ],
)
def test_quiet_until(local: str, start: str, end: str, until: str | None) -> None:
    day = datetime(2026, 3, 10, tzinfo=BRUSSELS)
    now = datetime.combine(day.date(), time.fromisoformat(local), tzinfo=BRUSSELS)
    found = quiet_until(now, start=time.fromisoformat(start), end=time.fromisoformat(end))
    if until is None:
        assert found is None
    else:
        next_day = until.startswith("next ")
        expected_day = day.date() + timedelta(days=1 if next_day else 0)
        expected = datetime.combine(expected_day, time.fromisoformat(until.removeprefix("next ")), tzinfo=BRUSSELS)
        assert found == expected


@dataclass
class Browser:
    """A browser's side of a Web Push subscription: its keys, to read what the push service was given."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes
    endpoint: str

    def token(self) -> str:
        public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        keys = {"p256dh": _b64(public), "auth": _b64(self.auth)}
        return json.dumps({"endpoint": self.endpoint, "keys": keys})

    def read(self, body: bytes) -> dict[str, object]:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))  # type: ignore[no-any-return]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_web_push_is_encrypted_signed_and_drops_expired_subscriptions(session: Session, db: Engine) -> None:
    member = _member(session, "noor", language="nl")
    vapid = Vapid02()
    vapid.generate_keys()
    with fake_webpush() as service:
        kept = Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16), service.base + "kept")
        expired = Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16), service.base + "expired")
        service.gone.add("expired")
        for browser in (kept, expired):
            push.register_device(session, actor(member), platform=Platform.WEBPUSH, token=browser.token())
        noon = datetime(2026, 3, 10, 12, 0, tzinfo=BRUSSELS).astimezone(UTC)
        _notify(session, member, noon)
        providers = {
            Platform.WEBPUSH: WebPushProvider(
                vapid_private_key=vapid.private_pem().decode(), subject="mailto:ops@example.org"
            )
        }
        assert jobs.push_notifications(db, interval_seconds=60, providers=providers, now=noon) == {
            "sent": 1,
            "dropped": 1,
        }
        [(subscription, headers, body)] = service.received
        assert subscription == "kept"
        assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
        message = kept.read(body)
        assert message["title"] == "BuurtBank" and "Boodschappen" in str(message["body"])  # her language: Dutch
    session.expire_all()
    assert [d.token for d in session.exec(select(Device))] == [kept.token()]
    session.commit()


def test_a_web_push_token_must_be_a_subscription(session: Session) -> None:
    member = _member(session, "sam")
    for token in (
        "not json",
        "[]",
        '{"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}}',
        '{"endpoint": "https://x"}',
    ):
        with pytest.raises(InvalidInput):
            push.register_device(session, actor(member), platform=Platform.WEBPUSH, token=token)
