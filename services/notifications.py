"""Members' notifications: writing them (with their push deliveries), reading them, marking them read, and
rendering them in a language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlmodel import Session

from buurtbank.i18n import has_message, translate
from domain.categories import category
from domain.errors import NotFound
from services.actors import Actor
from store import notifications as store
from store.base import row_id, utcnow
from store.notifications import Notification, NotificationKind, get_notification, list_member_notifications
from store.push import devices_of_members, queue_deliveries

BRUSSELS = ZoneInfo("Europe/Brussels")


def _when(value: object, lang: str) -> str:
    if not isinstance(value, str):
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return format_datetime(moment, "EEEE d MMMM, HH:mm", tzinfo=BRUSSELS, locale=lang)


def render(notification: Notification, lang: str) -> str:
    """The message in `lang`. Payloads hold ids, keys and times; a `variant` picks a form of the message."""
    payload = notification.payload
    key = str(payload.get("category", ""))
    found = category(key)
    label = str(getattr(found, lang, found.en)) if found is not None else key
    message_key = f"notification.{notification.kind.value}"
    variant = payload.get("variant")
    if isinstance(variant, str) and has_message(f"{message_key}.{variant}", "en"):
        message_key = f"{message_key}.{variant}"
    params = {name: value for name, value in payload.items() if isinstance(value, str | int)}
    return translate(message_key, lang, **{**params, "category": label, "when": _when(payload.get("starts_at"), lang)})


@dataclass(frozen=True, slots=True)
class Note:
    """One notification to write (see notify_all)."""

    member_id: int
    kind: NotificationKind
    subject_id: int | None
    payload: dict[str, object]


def notify_all(
    session: Session, notes: list[Note], *, now: datetime | None = None, with_devices: frozenset[int] | None = None
) -> list[int]:
    """Writes several notifications and queues their pushes (one delivery per device of the member): the
    devices of all their members are read in one query, the notifications and the deliveries written in
    one statement each. Their ids, in the notes' order.

    `with_devices`: which of these members have a device, when the caller read it already in this
    transaction (store.exchanges.lock_exchange_with_antenna); only theirs are then looked up."""
    return _write(session, notes, now=now, with_devices=with_devices, ids_wanted=True)


def tell_all(session: Session, notes: list[Note], *, with_devices: frozenset[int] | None = None) -> None:
    """notify_all for a caller that needs no ids: when none of the members has a push device, the notifications
    go with the transaction's next statement or its commit (store.deferred), not in a round trip of their own."""
    _write(session, notes, now=None, with_devices=with_devices, ids_wanted=False)


def _write(
    session: Session, notes: list[Note], *, now: datetime | None, with_devices: frozenset[int] | None, ids_wanted: bool
) -> list[int]:
    at = now or utcnow()
    members = {n.member_id for n in notes}
    devices = devices_of_members(session, members if with_devices is None else members & with_devices)
    rows: list[dict[str, object]] = [
        {"member_id": n.member_id, "kind": n.kind, "subject_id": n.subject_id, "payload": n.payload, "created_at": at}
        for n in notes
    ]
    if not ids_wanted and not any(devices.get(n.member_id) for n in notes):
        store.defer_notifications(session, rows)
        return []
    ids = store.insert_notifications(session, rows)
    deliveries = [
        (notification_id, row_id(device), note.member_id)
        for notification_id, note in zip(ids, notes, strict=True)
        for device in devices.get(note.member_id, [])
    ]
    queue_deliveries(session, deliveries, due_at=at)
    return ids


def notify(
    session: Session,
    *,
    member_id: int,
    kind: NotificationKind,
    subject_id: int | None,
    payload: dict[str, object],
    now: datetime | None = None,
) -> int:
    """Writes one notification and queues its push to each of the member's devices (see notify_all); its id."""
    return notify_all(session, [Note(member_id, kind, subject_id, payload)], now=now)[0]


def my_notifications(
    session: Session, actor: Actor, *, unread_only: bool, before_id: int | None, limit: int
) -> list[Notification]:
    return list_member_notifications(
        session, member_id=actor.member_id, unread_only=unread_only, before_id=before_id, limit=limit
    )


def unread_count(session: Session, actor: Actor) -> int:
    return store.unread_count(session, actor.member_id)


def mark_all_read(session: Session, actor: Actor) -> int:
    marked = store.mark_all_read(session, member_id=actor.member_id, now=utcnow())
    session.flush()
    return marked


def mark_read(session: Session, actor: Actor, *, notification_id: int) -> Notification:
    row = get_notification(session, notification_id)
    if row is None or row.member_id != actor.member_id:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        session.flush()
    return row
