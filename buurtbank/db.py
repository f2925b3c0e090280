"""Engines and sessions. Nothing is created at import time: entry points build an engine from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
    _serialise_sqlite_writes(engine)
    return engine


def _serialise_sqlite_writes(engine: Engine) -> None:
    """SQLite's default deferred transactions let two writers read the same balance, then one fails late.

    Taking the write lock at BEGIN (BEGIN IMMEDIATE) makes each transaction see a stable database, the
    embedded equivalent of PostgreSQL's row locks. WAL keeps readers outside transactions unblocked.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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
