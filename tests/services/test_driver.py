"""Statements past SQLAlchemy's execution (store.driver) answer what the ORM would, as the session's objects.

The rows come back with the column types' conversions (enums, UTC datetimes, JSON, floats, NULLs), the objects
are the session's own (the one it holds for a row, refreshed; else a new clean persistent one), the events of
an execution are dispatched (waiting writes go first, the statements are counted), and a driver error is
raised as SQLAlchemy's, a lost connection invalidated, the session usable again after a rollback.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam, exc, insert, inspect, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from domain.exchanges import ExchangeState, Party
from services.factories import Factory
from store.accounts import AuthSession, member_of_live_session
from store.antennas import Antenna
from store.base import core_connection, row_id, utcnow
from store.deferred import defer_write
from store.driver import compiled_for, driver_execute, driver_rows, entity_columns
from store.exchanges import Exchange, lock_exchange_with_antenna
from store.meetings import Meeting
from store.members import Member
from tests.api.helpers import statements_sent
from tests.databases import on_postgres

_EXCHANGES = Exchange.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at runtime only


def _columns(row: Any) -> dict[str, Any]:
    return {attribute.key: getattr(row, attribute.key) for attribute in inspect(type(row)).column_attrs}


def _planned(db: Engine) -> tuple[int, int, int]:
    with Session(db) as session:
        build = Factory(session)
        helper = build.member("hanne@example.org", name="Hanne")
        receiver = build.member("rachid@example.org", name="Rachid")
        exchange = build.planned_exchange(helper=helper, receiver=receiver)
        session.commit()
        return row_id(exchange), row_id(helper), row_id(receiver)


def _orm_reading(db: Engine, cls: type[Any], key: object) -> dict[str, Any]:
    with Session(db) as session:
        found = session.get(cls, key)
        assert found is not None
        return _columns(found)


def test_the_exchanges_lock_answers_what_the_orm_loads(db: Engine) -> None:
    exchange_id, helper_id, receiver_id = _planned(db)
    with Session(db) as session:  # every kind of column set: enums, a note, a UTC datetime, a NULL
        values = {"state": ExchangeState.DISPUTED, "disputed_by": Party.RECEIVER, "note": "één 'twee' %(drie)s"}
        session.execute(update(_EXCHANGES).where(_EXCHANGES.c.id == exchange_id).values(**values, settled_at=utcnow()))
        session.add(Meeting(exchange_id=exchange_id, starts_at=utcnow(), place="Aan de kerk", proposed_by=helper_id))
        session.commit()
    exchange, meeting = _orm_reading(db, Exchange, exchange_id), _orm_reading(db, Meeting, exchange_id)
    antenna = _orm_reading(db, Antenna, exchange["antenna_id"])
    with Session(db) as session:
        found = lock_exchange_with_antenna(session, exchange_id)
        assert found is not None
        assert _columns(found.exchange) == exchange
        assert found.exchange.state is ExchangeState.DISPUTED and found.exchange.disputed_by is Party.RECEIVER
        assert found.exchange.settled_at is not None and found.exchange.settled_at.utcoffset() is not None
        assert found.meeting is not None and _columns(found.meeting) == meeting
        assert _columns(found.antenna) == antenna
        assert found.antenna.declaration().slug == found.antenna.slug  # its JSON read back as a dict
        assert set(found.names) == {helper_id, receiver_id}
        assert all(isinstance(lat, float) for _, lat, _ in found.names.values())


def test_the_objects_are_the_sessions_own_and_clean(db: Engine) -> None:
    exchange_id, _, _ = _planned(db)
    with Session(db, expire_on_commit=False) as session:
        held = session.get(Exchange, exchange_id)
        assert held is not None and held.state is ExchangeState.PLANNED
        session.commit()  # the session still holds it, as it was
        with Session(db) as other:  # changed behind the session's back
            other.execute(update(_EXCHANGES).where(_EXCHANGES.c.id == exchange_id).values(note="later"))
            other.commit()
        found = lock_exchange_with_antenna(session, exchange_id)
        assert found is not None and found.exchange is held and held.note == "later"  # refreshed, as populate_existing
        assert found.antenna in session and found.antenna is session.get(Antenna, held.antenna_id)
        assert not session.dirty and not session.new
        with statements_sent(db) as sent:
            session.flush()
        assert sent == []  # nothing to write for objects read past the ORM


def test_the_callers_check_answers_the_member_the_orm_loads(db: Engine) -> None:
    _, helper_id, _ = _planned(db)
    with Session(db) as session:
        live = AuthSession(member_id=helper_id, expires_at=utcnow().replace(year=2099))
        session.add(live)
        session.commit()
        session_id = row_id(live)
    expected = _orm_reading(db, Member, helper_id)
    with Session(db) as session:
        member = member_of_live_session(session, session_id=session_id, member_id=helper_id, now=utcnow())
        assert member is not None and member in session
        assert _columns(member) == expected
        assert member_of_live_session(session, session_id=session_id, member_id=helper_id + 1, now=utcnow()) is None


def test_a_write_waiting_is_sent_before_a_statement_past_the_orm(db: Engine) -> None:
    exchange_id, _, _ = _planned(db)
    note = update(_EXCHANGES).where(_EXCHANGES.c.id == bindparam("exchange_id")).values(note=bindparam("note"))
    read = sa_select(_EXCHANGES.c.note).where(_EXCHANGES.c.id == bindparam("exchange_id"))
    with Session(db) as session:
        defer_write(session, note, {"exchange_id": exchange_id, "note": "waiting"})
        with statements_sent(db) as sent:
            rows = driver_rows(core_connection(session), read, {"exchange_id": exchange_id})
        assert rows == [("waiting",)]
        assert len(sent) == (2 if on_postgres() else 1)  # the waiting write, then the read (counted as others are)


def test_a_driver_error_is_sqlalchemys_and_the_session_goes_on(db: Engine) -> None:
    exchange_id, _, _ = _planned(db)
    row = _orm_reading(db, Exchange, exchange_id)
    with Session(db) as session:
        again = insert(_EXCHANGES).values(id=bindparam("id"), **{k: bindparam(k) for k in row if k != "id"})
        params = dict(row)  # the same id and proposal: the primary key refuses it
        with pytest.raises(exc.IntegrityError):
            driver_execute(core_connection(session), again, params)
        session.rollback()
        assert driver_rows(core_connection(session), sa_select(_EXCHANGES.c.id), {}) == [(exchange_id,)]


def test_in_lists_go_as_arrays_of_converted_elements(db: Engine) -> None:
    exchange_id, helper_id, receiver_id = _planned(db)
    states = sa_select(_EXCHANGES.c.id).where(_EXCHANGES.c.state.in_(bindparam("states", expanding=True)))
    not_these = sa_select(col(Member.id)).where(col(Member.id).not_in(bindparam("ids", expanding=True)))
    with Session(db) as session:
        connection = core_connection(session)
        assert driver_rows(connection, states, {"states": [ExchangeState.PLANNED, ExchangeState.SETTLED]}) == [
            (exchange_id,)
        ]  # enums converted one by one, as SQLAlchemy's own expansion converts them
        assert driver_rows(connection, states, {"states": [ExchangeState.SETTLED]}) == []
        assert driver_rows(connection, states, {"states": []}) == []  # an empty list matches no row
        everyone = {row[0] for row in driver_rows(connection, not_these, {"ids": []})}
        assert {helper_id, receiver_id} <= everyone
        others = {row[0] for row in driver_rows(connection, not_these, {"ids": [helper_id]})}
        assert others == everyone - {helper_id}
    if on_postgres():
        assert "= ANY(" in compiled_for(states, db.dialect).sql and "<> ALL(" in compiled_for(not_these, db.dialect).sql


@pytest.mark.skipif(not on_postgres(), reason="a server connection to lose")
def test_a_lost_connection_is_invalidated_and_the_next_transaction_gets_another(db: Engine) -> None:
    exchange_id, _, _ = _planned(db)
    read = sa_select(_EXCHANGES.c.id)
    with Session(db) as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(exc.OperationalError) as raised:
            driver_rows(core_connection(session), read, {})
        assert raised.value.connection_invalidated
        session.rollback()
        assert driver_rows(core_connection(session), read, {}) == [(exchange_id,)]


def test_entity_columns_name_every_mapped_column() -> None:
    read = entity_columns(Exchange)
    assert read.names == tuple(column.name for column in _EXCHANGES.columns) and read.key_names == ("id",)
