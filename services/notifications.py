"""Members' notifications: reading them, marking them read, and rendering them in a language."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from buurtbank.i18n import translate
from domain.categories import category
from domain.errors import NotFound
from services.actors import Actor
from store.base import utcnow
from store.notifications import Notification, NotificationKind, list_member_notifications


def render(notification: Notification, lang: str) -> str:
    key = str(notification.payload.get("category", ""))
    found = category(key)
    label = str(getattr(found, lang, found.en)) if found is not None else key
    return translate(f"notification.{notification.kind.value}", lang, category=label)


def notify(
    session: Session,
    *,
    member_id: int,
    kind: NotificationKind,
    subject_id: int | None,
    payload: dict[str, object],
    now: datetime | None = None,
) -> Notification:
    row = Notification(
        member_id=member_id, kind=kind, subject_id=subject_id, payload=payload, created_at=now or utcnow()
    )
    session.add(row)
    return row


def my_notifications(
    session: Session, actor: Actor, *, unread_only: bool, before_id: int | None, limit: int
) -> list[Notification]:
    return list_member_notifications(
        session, member_id=actor.member_id, unread_only=unread_only, before_id=before_id, limit=limit
    )


def mark_read(session: Session, actor: Actor, *, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.member_id != actor.member_id:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
        session.add(row)
        session.flush()
    return row
