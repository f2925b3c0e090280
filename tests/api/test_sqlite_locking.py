"""SQLite: reads do not take the write lock, writes still do, and a connection that failed is discarded.

These are properties of the embedded database's transaction handling (buurtbank/db.py); on PostgreSQL
row locks do this work, so the file is skipped there.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from buurtbank.db import READ_FIRST
from store.antennas import Antenna
from store.members import Member
from tests.api.helpers import World
from tests.databases import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="SQLite's locking; PostgreSQL uses row locks")


@contextmanager
def write_lock_held(engine: Engine) -> Iterator[None]:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE, an uncommitted write) meanwhile."""
    with engine.connect() as conn:
        conn.begin()
        conn.execute(text("UPDATE antennas SET name_nl = name_nl"))
        try:
            yield
        finally:
            conn.rollback()


def _lock_is_free(database: str) -> bool:
    """Whether a fresh connection could take the write lock right now (without waiting)."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def test_a_get_is_answered_while_another_request_holds_the_write_lock(
    client: TestClient, world: World, db: Engine
) -> None:
    with write_lock_held(db):
        started = time.monotonic()
        antennas = client.get("/v1/antennas")
        me = client.get("/v1/me", headers=world.alice.headers)
        elapsed = time.monotonic() - started
    assert antennas.status_code == 200 and me.status_code == 200
    # Waiting for the lock would take the 30 s busy timeout (and then fail).
    assert elapsed < 10


def test_a_read_first_transaction_holds_no_lock_until_it_writes(db: Engine) -> None:
    database = db.url.database
    assert database is not None
    with Session(db) as session:
        session.connection(execution_options={READ_FIRST: True})
        assert session.exec(select(Antenna)).first() is not None
        assert _lock_is_free(database)
        session.add(Member(email="reader@example.org", display_name="Reader"))
        session.flush()
        # From its first write on, the transaction holds the lock until it ends.
        assert not _lock_is_free(database)
        session.rollback()
    assert _lock_is_free(database)


def test_a_default_transaction_takes_the_lock_at_its_first_statement(db: Engine) -> None:
    database = db.url.database
    assert database is not None
    with Session(db) as session:
        session.exec(select(Antenna)).first()
        assert not _lock_is_free(database)
        session.rollback()


def test_a_connection_that_raised_operational_error_is_not_reused(db: Engine) -> None:
    with write_lock_held(db):
        with db.connect() as conn:
            conn.execution_options(**{READ_FIRST: True})  # so the PRAGMA runs before the lock is asked
            dbapi_before = conn.connection.dbapi_connection
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            with pytest.raises(OperationalError, match="locked"):
                conn.execute(text("UPDATE antennas SET name_fr = name_fr"))
            assert conn.invalidated
            conn.rollback()
    with db.connect() as conn:
        assert conn.connection.dbapi_connection is not dbapi_before
        assert conn.execute(text("SELECT 1")).scalar() == 1
