"""Engines and sessions. Nothing is created at import time: entry points build an engine from Settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlmodel import Session, create_engine


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    _serialise_sqlite_writes(engine)
    return engine


# Execution option for a connection whose transaction should not take SQLite's write lock up front.
READ_FIRST = "buurtbank_read_first"
_PENDING = "buurtbank_write_lock_pending"
_READ_PREFIXES = ("SELECT", "WITH", "PRAGMA", "EXPLAIN")


def _serialise_sqlite_writes(engine: Engine) -> None:
    """SQLite's default deferred transactions let two writers read the same balance, then one fails late.

    Taking the write lock at BEGIN (BEGIN IMMEDIATE) makes each transaction see a stable database, the
    embedded equivalent of PostgreSQL's row locks. WAL keeps readers outside transactions unblocked.

    A connection opened with the READ_FIRST execution option (the API does so for GET requests) starts
    no transaction and takes no lock: its reads run one statement at a time, each on the latest committed
    data (what PostgreSQL's READ COMMITTED gives), and concurrent reads never queue behind writers. If such
    a transaction turns out to write after all (an audit row, a statistics cache entry), BEGIN IMMEDIATE is
    issued before its first write or savepoint, so the writes themselves are still serialised. Everything
    that moves credits or changes a state is a POST/PATCH/DELETE and takes the lock at its first statement.

    A connection that raised OperationalError ("database is locked", a disk error) is thrown away rather
    than handed to the next request in an unknown state.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:  # a DB-API connection: untyped
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # The embedded database is read in large scans by the statistics: a 64 MiB page cache and memory
        # mapping keep those pages in memory instead of going through the file layer for each one.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_FIRST):
            connection.info[_PENDING] = True
            return
        connection.info.pop(_PENDING, None)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ARG001  # SQLAlchemy's listener signature
        if connection.info.get(_PENDING) and not statement.lstrip().upper().startswith(_READ_PREFIXES):
            connection.info.pop(_PENDING)
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        if not connection.invalidated:  # (an invalidated connection's info would try to reconnect)
            connection.info.pop(_PENDING, None)

    @event.listens_for(engine, "handle_error")
    def _discard_failed_connection(context: ExceptionContext) -> None:
        if isinstance(context.original_exception, sqlite3.OperationalError):
            context.is_disconnect = True  # the pool invalidates this connection, and only this one
            context.invalidate_pool_on_disconnect = False


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back otherwise. For jobs and the CLI."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
