"""Shared column types and the metadata naming convention (stable constraint names for Alembic)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, DateTime, Enum, Executable, TypeDecorator
from sqlmodel import Field, Session, SQLModel, col
from sqlmodel.sql.expression import SelectOfScalar

from store.driver import driver_rows

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def row_id(row: _Stored) -> int:
    """The primary key of a row that is in the database. SQLModel types every `id` as optional (it is None
    until the first flush); this says "stored" once, instead of an assert or a type: ignore at each use."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id


_Row = TypeVar("_Row")


def id_window(
    query: SelectOfScalar[_Row], id_column: Any, *, before_id: int | None, after_id: int | None, limit: int
) -> SelectOfScalar[_Row]:
    """A keyset page of `query` by its id column (see services.paging): newest first below `before_id`; with
    `after_id`, read the other way: the rows just above it, oldest first (a page back, or an oldest-first list)."""
    ids = col(id_column)
    if before_id is not None:
        query = query.where(ids < before_id)
    if after_id is not None:
        return query.where(ids > after_id).order_by(ids).limit(limit)
    return query.order_by(ids.desc()).limit(limit)


def read_columns(session: Session, statement: Executable, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a statement that selects columns (no entities), run in the session's transaction.

    For the hot paths (the pages' reads, a confirmation's checks and row locks): past the ORM and, on
    PostgreSQL, past SQLAlchemy's execution (store.driver: its cache key, execution context and result set-up
    cost more than the driver's work for such small statements). Pending changes are flushed first, as the
    ORM's autoflush would. Pass a statement built once (module level, or once per shape with functools.cache)
    and its parameters.
    """
    return driver_rows(core_connection(session), statement, params)


def core_connection(session: Session) -> Connection:
    """The session's connection in its transaction, for a statement run past the ORM (hot reads and the
    writes of a confirmation): pending changes are flushed first, in the order they were made, as the
    ORM's autoflush would before a query."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns an aware datetime (SQLite drops the offset, PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default_now: bool = True) -> Any:
    """A timestamp column in UTC; `default_now` fills it with the current time when omitted."""
    kwargs: dict[str, Any] = {"sa_type": UTCDateTime, "nullable": nullable, "index": index}
    if default_now:
        kwargs["default_factory"] = utcnow
    else:
        kwargs["default"] = None
    return Field(**kwargs)


def enum_column(enum_cls: type[StrEnum], *, default: StrEnum | None, index: bool = False) -> Any:
    """A status column stored as its lowercase value in a VARCHAR (no native enum: easy to migrate)."""
    return Field(
        default=default,
        index=index,
        nullable=default is None,
        sa_type=Enum(enum_cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e]),
    )
