"""Writes sent with the next statement: a write whose answer nobody reads (an exchange's new state, a request's
status, a notification without a push device, an idempotency key's kept answer) waits in the session until
the transaction sends anything else, and then goes with it in one round trip.

On PostgreSQL the waiting writes become data-modifying CTEs of one statement (`WITH w0 AS (UPDATE ...), w1 AS
(INSERT ...) UPDATE ...`), sent before whatever statement comes next (a query, the ORM's flush, a statement past
the ORM) or, at the latest, just before the commit; a rollback drops them. They run on one snapshot, so none of
them may read what another writes, nor write the same row: each is a plain INSERT of new rows or an UPDATE by
primary key of a row the transaction has locked or only it changes. On SQLite (in-process: a statement costs no
round trip) a write is executed at once.

One statement instead of several saves the Python around each execution and the round trip (bench/ledger.py:
a confirmation's writes were three to five statements of their own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, event
from sqlalchemy.orm import ORMExecuteState, SessionTransaction, UOWTransaction
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session

_WAITING = "buurtbank.deferred_writes"  # the key in Session.info: list of (_Compiled, processed parameters)
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str  # in the driver's paramstyle (pyformat: %(name)s)
    compiled: Compiled
    processors: dict[str, Callable[[Any], Any]]  # the bound parameters' type conversions, as SQLAlchemy applies them
    statement: UpdateBase


_compiled: dict[tuple[int, str], _Compiled] = {}
_composed: dict[tuple[int, ...], str] = {}


def _compile(statement: UpdateBase, dialect: Dialect) -> _Compiled:
    found = _compiled.get((id(statement), dialect.name))
    if found is not None:
        return found
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string or dialect.paramstyle != "pyformat":
        raise ValueError("a deferred write needs plain bound parameters (no expanding IN) and pyformat")
    processors: dict[str, Callable[[Any], Any]] = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    found = _Compiled(compiled.string, compiled, processors, statement)
    _compiled[(id(statement), dialect.name)] = found  # holds the statement: its id is not reused while cached
    return found


def defer_write(session: Session, statement: UpdateBase, params: Mapping[str, Any]) -> None:
    """Run `statement` (an INSERT or UPDATE without RETURNING, built once at module level with bound parameters) in
    the session's transaction, with the next statement the session sends, or before its commit."""
    connection = session.connection()  # begun in the transaction the write belongs to
    dialect = connection.dialect
    if dialect.name != "postgresql":
        connection.execute(statement, params)
        return
    compiled = _compile(statement, dialect)
    values = dict(compiled.compiled.construct_params(dict(params)) or {})
    for name, processor in compiled.processors.items():
        if name in values:
            values[name] = processor(values[name])
    session.info.setdefault(_WAITING, []).append((compiled, values))


def send_deferred(session: OrmSession, connection: Connection | None = None) -> None:
    """Send the waiting writes, as one statement (see the module's docstring), on the session's connection."""
    waiting = session.info.pop(_WAITING, None)
    if not waiting:
        return
    if connection is None:
        connection = session.connection()
    if len(waiting) == 1:
        compiled, values = waiting[0]
        connection.exec_driver_sql(compiled.sql, values)
        return
    key = tuple(id(compiled) for compiled, _ in waiting)
    sql = _composed.get(key)
    if sql is None:
        parts = [_PLACEHOLDER.sub(rf"%(w{n}_\1)s", compiled.sql) for n, (compiled, _) in enumerate(waiting)]
        ctes = ", ".join(f"w{n} AS ({part})" for n, part in enumerate(parts[:-1]))
        sql = _composed[key] = f"WITH {ctes} {parts[-1]}"
    params = {f"w{n}_{name}": value for n, (_, values) in enumerate(waiting) for name, value in values.items()}
    connection.exec_driver_sql(sql, params)


def has_deferred(session: OrmSession) -> bool:
    return bool(session.info.get(_WAITING))


def _before_execute(state: ORMExecuteState) -> None:
    if state.session.info.get(_WAITING):
        send_deferred(state.session)


def _before_flush(session: OrmSession, _flush: UOWTransaction, _instances: object) -> None:
    if session.info.get(_WAITING):
        send_deferred(session)


def _before_commit(session: OrmSession) -> None:
    if session.info.get(_WAITING):
        send_deferred(session)


def _before_savepoint(session: OrmSession, transaction: SessionTransaction) -> None:
    """Writes waiting when a savepoint begins belong to the transaction around it: sent on its connection before
    the SAVEPOINT (which goes out with the savepoint's first statement), so that rolling back to the savepoint
    undoes only what was written inside it."""
    if transaction.nested and session.info.get(_WAITING) and transaction.parent is not None:
        for connection in transaction.parent.connections:
            send_deferred(session, connection)


def _rolled_back(session: OrmSession, _previous: SessionTransaction) -> None:
    """A rollback, to a savepoint or of the whole transaction, drops the writes waiting (all written after the
    savepoint began: see _before_savepoint)."""
    session.info.pop(_WAITING, None)


event.listen(OrmSession, "do_orm_execute", _before_execute)
event.listen(OrmSession, "before_flush", _before_flush)
event.listen(OrmSession, "before_commit", _before_commit)
event.listen(OrmSession, "after_transaction_create", _before_savepoint)
event.listen(OrmSession, "after_soft_rollback", _rolled_back)
