"""Writes sent together: a write whose answer nobody reads (an exchange's new state, a request's status, a
notification without a push device, an idempotency key's kept answer) waits on the transaction's connection
until the transaction sends its next statement or commits; then all the waiting writes go as one statement.

On PostgreSQL that statement's writes are data-modifying CTEs (`WITH w0 AS (UPDATE ...), w1 AS (INSERT ...)
UPDATE ...`), sent before whatever statement comes next (a query, the ORM's flush, a statement past the ORM,
a SAVEPOINT) or, at the latest, just before the commit; a rollback drops them. They run on one snapshot, so none of
them may read what another writes, nor write the same row: each is a plain INSERT of new rows or an UPDATE by
primary key of a row the transaction has locked or only it changes. On SQLite (in-process: a statement costs no
round trip) a write is executed at once.

One statement instead of several saves the Python around each execution and the round trip (bench/ledger.py:
a confirmation's writes were three to five statements of their own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.dml import Update, UpdateBase
from sqlmodel import Session

from store.driver import compiled_for, driver_values, send

_WAITING = "buurtbank.deferred_writes"  # the key in Connection.info: list of (DriverStatement, driver values)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_composed: dict[tuple[int, ...], str] = {}


def defer_write(session: Session, statement: UpdateBase, params: Mapping[str, Any]) -> None:
    """Run `statement` (an INSERT or UPDATE without RETURNING, built once at module level with bound parameters) in
    the session's transaction, with the next statement the session sends, or before its commit."""
    connection = session.connection()  # begun in the transaction the write belongs to
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(statement, params)
        return
    compiled = compiled_for(statement, dialect)  # store.driver: compiled once, sent past SQLAlchemy's execution
    values = driver_values(compiled, params)
    waiting = connection.info.get(_WAITING)
    if waiting and isinstance(statement, Update) and any(other is compiled for other, _ in waiting):
        send_deferred(connection)  # two UPDATEs of one row in one statement: PostgreSQL would apply only one
    connection.info.setdefault(_WAITING, []).append((compiled, values))


def send_deferred(connection: Connection) -> None:
    """Send the writes waiting on `connection`, as one statement (see the module's docstring)."""
    waiting = connection.info.pop(_WAITING, None)
    if not waiting:
        return
    if len(waiting) == 1:
        compiled, values = waiting[0]
        send(connection, compiled, values, fetch=False)
        return
    key = tuple(id(compiled) for compiled, _ in waiting)
    sql = _composed.get(key)
    if sql is None:
        parts = [_PLACEHOLDER.sub(rf"%(w{n}_\1)s", compiled.sql) for n, (compiled, _) in enumerate(waiting)]
        ctes = ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts[:-1]))
        sql = _composed[key] = f"WITH {ctes} {parts[-1]}"
    params = {f"w{n}_{name}": value for n, (_, values) in enumerate(waiting) for name, value in values.items()}
    send(connection, sql, params, fetch=False)


def has_deferred(session: OrmSession) -> bool:
    """Whether writes wait on the session's connection (for tests)."""
    transaction = session.get_transaction()
    return transaction is not None and any(c.info.get(_WAITING) for c in transaction.connections)


# The hooks. Every statement on a connection goes through Connection.execute (the ORM's queries and flushes,
# statements past the ORM, SAVEPOINT and RELEASE SAVEPOINT, exec_driver_sql), so before_execute sends what is
# waiting before anything else, and a savepoint begins after the writes of the transaction around it. Rolling
# back, to a savepoint or altogether, drops what is waiting: all of it was written after the last statement.
# The commit is not a statement: the Session's before_commit sends them then. These are Connection events
# rather than the Session's do_orm_execute and before_flush, which would cost every ORM execution an
# ORMExecuteState.


def _before_execute(connection: Connection, *_: object) -> None:
    if not connection.invalidated and connection.info.get(_WAITING):
        send_deferred(connection)


def _drop(connection: Connection, *_: object) -> None:
    # An invalidated connection's DBAPI connection is discarded, its info (and what waited there) with it.
    if not connection.invalidated and connection.info.get(_WAITING):
        del connection.info[_WAITING]


def _before_commit(session: OrmSession) -> None:
    transaction = session.get_transaction()
    if transaction is not None:
        for connection in transaction.connections:
            if connection.info.get(_WAITING):
                send_deferred(connection)


event.listen(Engine, "before_execute", _before_execute)
event.listen(Engine, "begin", _drop)  # nothing from an earlier transaction on this pooled connection
event.listen(Engine, "rollback", _drop)
event.listen(Engine, "rollback_savepoint", _drop)
event.listen(OrmSession, "before_commit", _before_commit)
