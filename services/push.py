"""The push sender: takes the due deliveries from the outbox, holds those in the member's quiet hours until
they end, sends the rest through the platform's provider, and records what became of each (sent, retried
later with back-off, given up, or dropped with the device the provider rejected)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from domain import push as rules
from domain.errors import InvalidInput, NotFound
from domain.push import Outcome
from services.actors import Actor
from services.notifications import render
from services.push_providers import PushMessage, PushProvider, valid_token
from store.base import utcnow
from store.members import members_by_id
from store.notifications import notifications_by_id
from store.push import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_TIMEZONE,
    DeliveryState,
    Device,
    Platform,
    PushDelivery,
    QuietHours,
    devices_by_id,
    due_deliveries,
    find_device,
    get_device,
    pending_for_device,
    quiet_hours_of,
)

BATCH = 200
TITLE = "BuurtBank"


@dataclass(frozen=True, slots=True)
class Quiet:
    start: time
    end: time
    timezone: str


def register_device(session: Session, actor: Actor, *, platform: Platform, token: str) -> Device:
    """Registering a token again moves it to this member (a shared phone) and changes nothing else."""
    cleaned = token.strip()
    if not cleaned or not valid_token(platform, cleaned):
        raise InvalidInput("error.device.token", field="body.token")
    existing = find_device(session, platform=platform, token=cleaned)
    if existing is not None:
        existing.member_id = actor.member_id
        session.add(existing)
        session.flush()
        return existing
    device = Device(member_id=actor.member_id, platform=platform, token=cleaned, created_at=utcnow())
    session.add(device)
    session.flush()
    return device


def remove_device(session: Session, actor: Actor, *, device_id: int) -> None:
    device = get_device(session, device_id)
    if device is None or device.member_id != actor.member_id:
        raise NotFound()
    _forget(session, device, state=DeliveryState.DROPPED, reason="device removed")


def _forget(session: Session, device: Device, *, state: DeliveryState, reason: str) -> None:
    assert device.id is not None
    for delivery in pending_for_device(session, device.id):
        delivery.state, delivery.last_error = state, reason
        session.add(delivery)
    session.delete(device)
    session.flush()


def quiet_hours(session: Session, actor: Actor) -> Quiet:
    row = quiet_hours_of(session, [actor.member_id]).get(actor.member_id)
    if row is None:
        return Quiet(start=DEFAULT_QUIET_START, end=DEFAULT_QUIET_END, timezone=DEFAULT_TIMEZONE)
    return Quiet(start=row.start_time, end=row.end_time, timezone=row.timezone)


def set_quiet_hours(session: Session, actor: Actor, *, start: time, end: time, timezone: str) -> Quiet:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput("error.quiet_hours.timezone", field="body.timezone") from exc
    row = quiet_hours_of(session, [actor.member_id]).get(actor.member_id) or QuietHours(
        member_id=actor.member_id, start_time=start, end_time=end
    )
    row.start_time, row.end_time, row.timezone = start.replace(tzinfo=None), end.replace(tzinfo=None), timezone
    session.add(row)
    session.flush()
    return Quiet(start=row.start_time, end=row.end_time, timezone=row.timezone)


def _quiet_until(row: QuietHours | None, now: datetime) -> datetime | None:
    start, end, zone = (
        (row.start_time, row.end_time, row.timezone)
        if row
        else (DEFAULT_QUIET_START, DEFAULT_QUIET_END, DEFAULT_TIMEZONE)
    )
    ends = rules.quiet_until(now.astimezone(ZoneInfo(zone)), start=start, end=end)
    return ends.astimezone(UTC) if ends is not None else None


def send_due(session: Session, *, providers: Mapping[Platform, PushProvider], now: datetime) -> dict[str, int]:
    """One pass of the sender; returns how many deliveries ended in each way (and how many were held)."""
    counts: dict[str, int] = defaultdict(int)
    deliveries = due_deliveries(session, now=now, limit=BATCH)
    notifications = notifications_by_id(session, sorted({d.notification_id for d in deliveries}))
    devices = devices_by_id(session, sorted({d.device_id for d in deliveries}))
    members = members_by_id(session, sorted({d.member_id for d in deliveries}))
    quiet = quiet_hours_of(session, sorted({d.member_id for d in deliveries}))
    batches: dict[Platform, list[tuple[PushDelivery, PushMessage]]] = defaultdict(list)
    for delivery in deliveries:
        device = devices.get(delivery.device_id)
        notification = notifications.get(delivery.notification_id)
        member = members.get(delivery.member_id)
        if device is None or notification is None or member is None or member.erased_at is not None:
            _end(session, delivery, DeliveryState.DROPPED, "device or notification gone")
            counts["dropped"] += 1
            continue
        held_until = _quiet_until(quiet.get(delivery.member_id), now)
        if held_until is not None:
            delivery.due_at = held_until
            session.add(delivery)
            counts["held"] += 1
            continue
        if notification.read_at is not None:
            _end(session, delivery, DeliveryState.SENT, "read before it was pushed")
            counts["skipped_read"] += 1
            continue
        message = PushMessage(
            token=device.token,
            title=TITLE,
            body=render(notification, member.language),
            data={"notification_id": notification.id, "kind": notification.kind.value, **notification.payload},
        )
        batches[device.platform].append((delivery, message))
    for platform, batch in batches.items():
        provider = providers.get(platform)
        if provider is None:
            for delivery, _ in batch:
                _end(session, delivery, DeliveryState.FAILED, f"no provider for {platform.value}")
                counts["failed"] += 1
            continue
        outcomes = provider.send([message for _, message in batch])
        for (delivery, _), outcome in zip(batch, outcomes, strict=True):
            counts[_record(session, delivery, outcome, devices, now=now)] += 1
    session.flush()
    return dict(counts)


def _end(session: Session, delivery: PushDelivery, state: DeliveryState, error: str | None) -> None:
    delivery.state, delivery.last_error = state, error
    session.add(delivery)


def _record(
    session: Session, delivery: PushDelivery, outcome: Outcome, devices: dict[int, Device], *, now: datetime
) -> str:
    delivery.attempts += 1
    if outcome is Outcome.SENT:
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, now, None
        session.add(delivery)
        return "sent"
    if outcome is Outcome.DROP_TOKEN:
        device = devices.pop(delivery.device_id, None)
        _end(session, delivery, DeliveryState.DROPPED, "token rejected by the provider")
        if device is not None:
            _forget(session, device, state=DeliveryState.DROPPED, reason="token rejected by the provider")
        return "dropped"
    if outcome is Outcome.RETRY:
        retry_at = rules.next_after_failure(delivery.attempts, now=now)
        if retry_at is not None:
            delivery.due_at, delivery.last_error = retry_at, "provider unavailable, retrying"
            session.add(delivery)
            return "retried"
    _end(session, delivery, DeliveryState.FAILED, "given up")
    return "failed"
