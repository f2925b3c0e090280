"""Push: members' device tokens, their quiet hours, and the outbox of deliveries; and their queries.

Writing a notification queues one delivery per device of the member in the same transaction (an outbox),
so a notification that is rolled back is never pushed and one that is committed is pushed at least once.
The sender job (services/push.py) takes the due deliveries, sends them, and records the outcome.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import UniqueConstraint, bindparam, insert
from sqlmodel import Field, Session, SQLModel, col, delete, select

from store.base import core_connection, enum_column, utc_field

MAX_TOKEN_LENGTH = 4096
DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(8, 0)
DEFAULT_TIMEZONE = "Europe/Brussels"


class Platform(StrEnum):
    EXPO = "expo"
    WEBPUSH = "webpush"


class Device(SQLModel, table=True):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("platform", "token", name="uq_devices_platform_token"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    platform: Platform = enum_column(Platform, default=Platform.EXPO)
    # An Expo push token, or a Web Push subscription (JSON text: endpoint and keys).
    token: str = Field(max_length=MAX_TOKEN_LENGTH)
    created_at: datetime = utc_field()


class QuietHours(SQLModel, table=True):
    """A member's own quiet hours; without a row the defaults (22:00-08:00, Brussels time) hold."""

    __tablename__ = "quiet_hours"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    start_time: time = Field(description="local time the quiet hours begin")
    end_time: time = Field(description="local time they end (may be the next day)")
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=60)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    DROPPED = "dropped"  # the provider rejected the token; the device is gone


class PushDelivery(SQLModel, table=True):
    __tablename__ = "push_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notifications.id", index=True)
    # No foreign key: a device the provider rejected is deleted, its deliveries stay as a record.
    device_id: int = Field(index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    state: DeliveryState = enum_column(DeliveryState, default=DeliveryState.PENDING, index=True)
    attempts: int = 0
    due_at: datetime = utc_field(index=True)
    sent_at: datetime | None = utc_field(nullable=True, default_now=False)
    last_error: str | None = Field(default=None, max_length=300)


def get_device(session: Session, device_id: int) -> Device | None:
    return session.get(Device, device_id)


def find_device(session: Session, *, platform: Platform, token: str) -> Device | None:
    return session.exec(select(Device).where(Device.platform == platform, Device.token == token)).first()


def devices_of(session: Session, member_id: int) -> list[Device]:
    return list(session.exec(select(Device).where(col(Device.member_id) == member_id).order_by(col(Device.id))))


def devices_of_members(session: Session, member_ids: set[int]) -> dict[int, list[Device]]:
    """The devices of several members (each list in id order), in one query."""
    if not member_ids:
        return {}
    found: dict[int, list[Device]] = {}
    query = select(Device).where(col(Device.member_id).in_(sorted(member_ids))).order_by(col(Device.id))
    for device in session.exec(query):
        found.setdefault(device.member_id, []).append(device)
    return found


def devices_by_id(session: Session, ids: list[int]) -> dict[int, Device]:
    if not ids:
        return {}
    return {d.id: d for d in session.exec(select(Device).where(Device.id.in_(ids)))}  # type: ignore[union-attr,misc]


def quiet_hours_of(session: Session, member_ids: list[int]) -> dict[int, QuietHours]:
    if not member_ids:
        return {}
    rows = session.exec(select(QuietHours).where(col(QuietHours.member_id).in_(member_ids)))
    return {row.member_id: row for row in rows}


def due_deliveries(session: Session, *, now: datetime, limit: int) -> list[PushDelivery]:
    query = (
        select(PushDelivery)
        .where(PushDelivery.state == DeliveryState.PENDING, PushDelivery.due_at <= now)
        .order_by(col(PushDelivery.due_at), col(PushDelivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.exec(query))


def pending_for_device(session: Session, device_id: int) -> list[PushDelivery]:
    return list(
        session.exec(
            select(PushDelivery).where(PushDelivery.device_id == device_id, PushDelivery.state == DeliveryState.PENDING)
        )
    )


def delete_push_data_of(session: Session, member_id: int) -> None:
    session.exec(delete(PushDelivery).where(col(PushDelivery.member_id) == member_id))
    session.exec(delete(Device).where(col(Device.member_id) == member_id))
    session.exec(delete(QuietHours).where(col(QuietHours.member_id) == member_id))


_DELIVERIES = PushDelivery.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True
_QUEUE = insert(_DELIVERIES).values(
    notification_id=bindparam("notification_id"),
    device_id=bindparam("device_id"),
    member_id=bindparam("member_id"),
    state=DeliveryState.PENDING,
    attempts=0,
    due_at=bindparam("due_at", type_=_DELIVERIES.c.due_at.type),
)


def queue_deliveries(session: Session, rows: list[tuple[int, int, int]], *, due_at: datetime) -> None:
    """Queue pending deliveries, each (notification id, device id, member id): one statement, built once and
    sent with every row's parameters together."""
    if not rows:
        return
    params = [{"notification_id": n, "device_id": d, "member_id": m, "due_at": due_at} for n, d, m in rows]
    core_connection(session).execute(_QUEUE, params)
