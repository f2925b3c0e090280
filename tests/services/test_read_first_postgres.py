"""READ_FIRST on PostgreSQL: a GET's reads run outside a transaction (no BEGIN/COMMIT round trips), and its
first write, savepoint or row lock opens one transaction that ends with the request as before."""

from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from buurtbank.db import read_first
from store.members import Member


@pytest.fixture
def pg(db: Engine) -> Engine:
    if db.dialect.name != "postgresql":
        pytest.skip(
            "PostgreSQL's transactions (the SQLite run tests its write lock in tests/api/test_sqlite_locking.py)"
        )
    return db


def _server_side(session: Session) -> TransactionStatus:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    return TransactionStatus(dbapi.info.transaction_status)


def _members(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Member)).one())


def test_reads_hold_no_transaction_and_a_write_opens_one_that_rolls_back_whole(pg: Engine) -> None:
    before = _members(pg)
    with Session(read_first(pg)) as session:
        session.exec(select(func.count()).select_from(Member)).one()
        assert _server_side(session) is TransactionStatus.IDLE  # no BEGIN was sent
        session.add(Member(email="first@example.org", display_name="First"))
        session.flush()
        assert _server_side(session) is TransactionStatus.INTRANS
        session.add(Member(email="second@example.org", display_name="Second"))
        session.flush()
        session.rollback()
    assert _members(pg) == before  # both writes were one transaction


def test_a_write_after_reads_commits_with_the_session(pg: Engine) -> None:
    before = _members(pg)
    with Session(read_first(pg)) as session:
        session.exec(select(func.count()).select_from(Member)).one()
        session.add(Member(email="kept@example.org", display_name="Kept"))
        session.commit()
    assert _members(pg) == before + 1


@pytest.mark.parametrize(
    "statement",
    ["SELECT id FROM members FOR UPDATE", "SELECT pg_advisory_xact_lock(42)", "SAVEPOINT before_anything"],
)
def test_locks_and_savepoints_are_taken_inside_a_transaction(pg: Engine, statement: str) -> None:
    with Session(read_first(pg)) as session:
        session.execute(text(statement))
        assert _server_side(session) is TransactionStatus.INTRANS  # the lock lasts until the request ends
        session.rollback()


def test_the_pool_hands_out_connections_in_transaction_mode_again(pg: Engine) -> None:
    with Session(read_first(pg)) as session:
        session.exec(select(func.count()).select_from(Member)).one()
        session.commit()
    with Session(pg) as plain:  # a write request: its reads are already inside its transaction
        plain.exec(select(func.count()).select_from(Member)).one()
        assert _server_side(plain) is TransactionStatus.INTRANS
        plain.rollback()
