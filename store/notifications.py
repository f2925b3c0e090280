"""Notifications: short messages the service leaves for a member (reminders), read in the app."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, bindparam, insert
from sqlmodel import Field, Session, SQLModel, col, delete, func, select, update

from store.base import core_connection, enum_column, read_columns, utc_field
from store.deferred import defer_write


class NotificationKind(StrEnum):
    CONFIRM_REMINDER = "confirm_reminder"
    PROPOSAL_WAITING = "proposal_waiting"
    EXCHANGE_CANCELLED_LEFT = "exchange_cancelled_left"  # the other party left the antenna
    # The events between two neighbours (services/events.py writes them with the event itself).
    PROPOSAL_TO_ANSWER = "proposal_to_answer"
    PROPOSAL_ACCEPTED = "proposal_accepted"
    PROPOSAL_DECLINED = "proposal_declined"
    PROPOSAL_REJECTED = "proposal_rejected"
    EXCHANGE_PLANNED = "exchange_planned"
    MESSAGE = "message"
    MEETING_PROPOSED = "meeting_proposed"
    MEETING_ACCEPTED = "meeting_accepted"
    MEETING_REMINDER = "meeting_reminder"
    CONFIRM_NEEDED = "confirm_needed"
    EXCHANGE_SETTLED = "exchange_settled"
    EXCHANGE_DISPUTED = "exchange_disputed"
    EXCHANGE_RESOLVED = "exchange_resolved"
    EXCHANGE_CANCELLED = "exchange_cancelled"
    MEMBERSHIP_DECIDED = "membership_decided"
    REPORT_FILED = "report_filed"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    kind: NotificationKind = enum_column(NotificationKind, default=NotificationKind.CONFIRM_REMINDER)
    # What the notification is about (an exchange or proposal id, by kind): lets a job see it already wrote one.
    subject_id: int | None = Field(default=None, index=True)
    # Ids and counts only, never free text or anyone's personal data: the message is rendered per language.
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = utc_field(index=True)
    read_at: datetime | None = utc_field(nullable=True, default_now=False)


# What a new notification is written with (read_at stays empty until the member reads it).
NEW_COLUMNS = ("member_id", "kind", "subject_id", "payload", "created_at")


_notifications = Notification.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True
# Built once; run with one parameter set per notification (sent together), ids answered in that order.
_INSERT = (
    insert(_notifications)
    .values({name: bindparam(name, type_=_notifications.c[name].type) for name in NEW_COLUMNS})
    .returning(_notifications.c.id, sort_by_parameter_order=True)
)


# The same INSERT without RETURNING, for notifications whose ids nobody needs: sent with the next statement.
_INSERT_UNSEEN = insert(_notifications).values(
    {name: bindparam(name, type_=_notifications.c[name].type) for name in NEW_COLUMNS}
)


def defer_notifications(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write notifications (each a dict of NEW_COLUMNS) with the transaction's next statement or its commit
    (store.deferred), for a caller that needs no ids."""
    for row in rows:
        defer_write(session, _INSERT_UNSEEN, row)


def insert_notifications(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Write notifications (each a dict of NEW_COLUMNS) in one statement on the session's connection, past
    the ORM's unit of work; their ids, in the order given."""
    if not rows:
        return []
    if len(rows) == 1:  # one parameter set: executed as such, without the batching and ordering of several
        return [int(core_connection(session).execute(_INSERT, rows[0]).scalar_one())]
    return [int(found[0]) for found in core_connection(session).execute(_INSERT, rows)]


def list_member_notifications(
    session: Session, *, member_id: int, unread_only: bool, before_id: int | None, limit: int
) -> list[Notification]:
    query = select(Notification).where(Notification.member_id == member_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    if before_id is not None:
        query = query.where(col(Notification.id) < before_id)
    return list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit)))


def recently_notified(
    session: Session, *, kind: NotificationKind, subject_ids: list[int], since: datetime
) -> set[tuple[int, int]]:
    """(member id, subject id) pairs that already got a `kind` notification since `since`."""
    if not subject_ids:
        return set()
    rows = session.exec(
        select(Notification.member_id, Notification.subject_id).where(
            Notification.kind == kind,
            col(Notification.subject_id).in_(subject_ids),
            Notification.created_at >= since,
        )
    )
    return {(int(m), int(s)) for m, s in rows if s is not None}


# Built once, on the table's columns: a plain Core statement whose cache key is computed once.
_UNREAD_COUNT = select(func.count()).where(
    _notifications.c.member_id == bindparam("member_id"), _notifications.c.read_at.is_(None)
)


def unread_count(session: Session, member_id: int) -> int:
    return int(read_columns(session, _UNREAD_COUNT, {"member_id": member_id})[0][0])


def mark_all_read(session: Session, *, member_id: int, now: datetime) -> int:
    result = session.exec(
        update(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))  # type: ignore[arg-type,union-attr]
        .values(read_at=now)
    )
    return int(result.rowcount or 0)


def notifications_after(session: Session, *, member_id: int, after_id: int, limit: int) -> list[Notification]:
    """Oldest first: what a member's event stream has not sent yet."""
    query = select(Notification).where(col(Notification.member_id) == member_id, col(Notification.id) > after_id)
    return list(session.exec(query.order_by(col(Notification.id)).limit(limit)))


def latest_notification_id(session: Session, member_id: int) -> int:
    found = session.exec(select(func.max(Notification.id)).where(Notification.member_id == member_id)).one()
    return int(found or 0)


def get_notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def notifications_by_id(session: Session, ids: list[int]) -> dict[int, Notification]:
    if not ids:
        return {}
    return {n.id: n for n in session.exec(select(Notification).where(Notification.id.in_(ids)))}  # type: ignore[union-attr,misc]


def notifications_of(session: Session, member_id: int) -> list[Notification]:
    """All of a member's notifications, oldest first."""
    query = select(Notification).where(Notification.member_id == member_id).order_by(col(Notification.id))
    return list(session.exec(query))


def delete_notifications_of(session: Session, member_id: int) -> None:
    session.execute(delete(Notification).where(col(Notification.member_id) == member_id))
