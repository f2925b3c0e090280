"""Exchanges: help agreed by both members, confirmed by both, settled once on the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, exists, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel, col, select

from domain.exchanges import ExchangeState, Party
from store.antennas import Antenna
from store.base import enum_column, id_window, read_columns, row_id, utc_field
from store.deferred import defer_write
from store.driver import EntityColumns, entity_columns
from store.members import Member
from store.push import Device


class Exchange(SQLModel, table=True):
    __tablename__ = "exchanges"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", unique=True)
    antenna_id: int = Field(foreign_key="antennas.id", index=True)
    helper_id: int = Field(foreign_key="members.id", index=True)
    receiver_id: int = Field(foreign_key="members.id", index=True)
    category: str = Field(max_length=40, index=True)
    request_id: int | None = Field(default=None, foreign_key="help_requests.id")
    offer_id: int | None = Field(default=None, foreign_key="offers.id")
    state: ExchangeState = enum_column(ExchangeState, default=ExchangeState.PLANNED, index=True)
    helper_minutes: int | None = None
    receiver_minutes: int | None = None
    settled_minutes: int | None = None
    disputed_by: Party | None = enum_column(Party, default=None)
    cancelled_by: Party | None = enum_column(Party, default=None)
    note: str | None = Field(default=None, max_length=500)
    resolved_by: int | None = Field(default=None, foreign_key="members.id")
    paid_by_pool: bool = False
    planned_at: datetime = utc_field(index=True)
    state_since: datetime = utc_field()
    settled_at: datetime | None = utc_field(nullable=True, default_now=False, index=True)
    reminded_at: datetime | None = utc_field(nullable=True, default_now=False)


# What a change of state writes (domain.exchanges.Exchange's fields, and when it settled): every change writes
# all of them, so the statement has one shape, built once (PostgreSQL then prepares it once per connection).
STATE_COLUMNS = (
    "state",
    "state_since",
    "helper_minutes",
    "receiver_minutes",
    "settled_minutes",
    "note",
    "disputed_by",
    "cancelled_by",
    "settled_at",
)
_TABLE = Exchange.__table__  # type: ignore[attr-defined]  # SQLModel's table, set by table=True
_WRITE_STATE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("exchange_id"))
    .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in STATE_COLUMNS})
)


def write_state(session: Session, row: Exchange, values: dict[str, Any]) -> None:
    """Store an exchange's new state (every column of STATE_COLUMNS) in one UPDATE past the ORM, sent with the
    transaction's next statement (store.deferred; the row is locked), and give the row those values as its
    stored ones: nothing is left for the ORM's flush, whose unit of work cost more than the statement (a
    confirmation is the service's hottest write)."""
    defer_write(session, _WRITE_STATE, {"exchange_id": row_id(row), **values})
    for name, value in values.items():
        set_committed_value(row, name, value)


def get_exchange(session: Session, exchange_id: int) -> Exchange | None:
    return session.get(Exchange, exchange_id)


def get_exchange_for_update(session: Session, exchange_id: int) -> Exchange | None:
    return session.exec(
        select(Exchange).where(Exchange.id == exchange_id).with_for_update().execution_options(populate_existing=True)
    ).first()


@dataclass(frozen=True, slots=True)
class LockedExchange:
    """An exchange row-locked for a change, with what its answer shows besides the row itself."""

    exchange: Exchange
    antenna: Antenna
    meeting: Any  # store.meetings.Meeting | None (that module imports this one)
    names: dict[int, tuple[str, float | None, float | None]]  # both parties: (display name, lat, lon)
    with_devices: frozenset[int]  # the parties with a push device (whose notifications queue deliveries)


_HELPER, _RECEIVER = aliased(Member), aliased(Member)


@cache
def _lock_with_antenna() -> tuple[Any, tuple[EntityColumns[Exchange], EntityColumns[Antenna], EntityColumns[Any]]]:
    """The statement of lock_exchange_with_antenna (columns, read past the ORM: store.driver) and the entities
    its columns begin with, built once (store.meetings imports this module, so on first use, not at import)."""
    from store.meetings import Meeting

    entities = (entity_columns(Exchange), entity_columns(Antenna), entity_columns(Meeting))
    statement = (
        sa_select(
            *(column for read in entities for column in read.columns),
            col(_HELPER.display_name),
            col(_HELPER.location_lat),
            col(_HELPER.location_lon),
            col(_RECEIVER.display_name),
            col(_RECEIVER.location_lat),
            col(_RECEIVER.location_lon),
            exists().where(col(Device.member_id) == Exchange.helper_id),
            exists().where(col(Device.member_id) == Exchange.receiver_id),
        )
        .join(Antenna, col(Antenna.id) == Exchange.antenna_id)
        .join(_HELPER, col(_HELPER.id) == Exchange.helper_id)
        .join(_RECEIVER, col(_RECEIVER.id) == Exchange.receiver_id)
        .outerjoin(Meeting, col(Meeting.exchange_id) == Exchange.id)
        .where(col(Exchange.id) == bindparam("exchange_id"))
        .with_for_update(of=Exchange)
    )
    return statement, entities


def lock_exchange_with_antenna(session: Session, exchange_id: int) -> LockedExchange | None:
    """The exchange, row-locked (FOR UPDATE OF exchanges only: the ledger's lock order is unchanged), with its
    antenna, its meeting and both parties' names (what the answer shows), and which parties have a push
    device (so notifying them needs no device query when neither has one), in one statement past the ORM
    (store.driver; its objects are the session's, read fresh).
    Members are never deleted (erasure keeps an anonymous row), so the inner joins lose no exchange."""
    statement, (exchanges, antennas, meetings) = _lock_with_antenna()
    rows = read_columns(session, statement, {"exchange_id": exchange_id})
    if not rows:
        return None
    found = rows[0]
    row = exchanges.entity(session, found, 0)
    antenna = antennas.entity(session, found, len(exchanges.names))
    start = len(exchanges.names) + len(antennas.names)
    meeting = meetings.entity(session, found, start) if found[start] is not None else None
    people = found[start + len(meetings.names) :]
    names = {row.helper_id: (people[0], people[1], people[2]), row.receiver_id: (people[3], people[4], people[5])}
    with_devices = frozenset(m for m, has in ((row.helper_id, people[6]), (row.receiver_id, people[7])) if has)
    return LockedExchange(exchange=row, antenna=antenna, meeting=meeting, names=names, with_devices=with_devices)


def list_member_exchanges(
    session: Session,
    *,
    member_id: int,
    state: ExchangeState | None,
    before_id: int | None,
    limit: int,
    after_id: int | None = None,
) -> list[Exchange]:
    query = select(Exchange).where((Exchange.helper_id == member_id) | (Exchange.receiver_id == member_id))
    if state is not None:
        query = query.where(Exchange.state == state)
    return list(session.exec(id_window(query, Exchange.id, before_id=before_id, after_id=after_id, limit=limit)))


def list_antenna_exchanges(
    session: Session,
    *,
    antenna_id: int,
    state: ExchangeState | None,
    before_id: int | None,
    limit: int,
    after_id: int | None = None,
) -> list[Exchange]:
    query = select(Exchange).where(Exchange.antenna_id == antenna_id)
    if state is not None:
        query = query.where(Exchange.state == state)
    return list(session.exec(id_window(query, Exchange.id, before_id=before_id, after_id=after_id, limit=limit)))


def exchanges_still_planned(session: Session, *, antenna_id: int, planned_at_or_before: datetime) -> list[Exchange]:
    """The antenna's exchanges still planned that were planned at or before the given moment."""
    return list(
        session.exec(
            select(Exchange).where(
                Exchange.antenna_id == antenna_id,
                Exchange.state == ExchangeState.PLANNED,
                Exchange.planned_at <= planned_at_or_before,
            )
        )
    )


def planned_exchange_ids_of_member(session: Session, *, antenna_id: int, member_id: int) -> list[int]:
    """Ids, ascending, of the antenna's planned exchanges the member is a party of (the lock order)."""
    party = (Exchange.helper_id == member_id) | (Exchange.receiver_id == member_id)
    query = select(Exchange.id).where(Exchange.antenna_id == antenna_id, Exchange.state == ExchangeState.PLANNED, party)
    return sorted(i for i in session.exec(query) if i is not None)


def exchanges_involving(session: Session, member_id: int) -> list[Exchange]:
    """Every exchange a member is the helper or the receiver of, whatever its state, oldest first."""
    query = select(Exchange).where((Exchange.helper_id == member_id) | (Exchange.receiver_id == member_id))
    return list(session.exec(query.order_by(col(Exchange.id))))
