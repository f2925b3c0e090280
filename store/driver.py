"""Statements past SQLAlchemy's execution: compiled once, sent through the driver's cursor, answered as tuples.

For the statements of every confirmation (the service's hottest write) and of the pages' reads
(store.base.read_columns), on PostgreSQL. SQLAlchemy's execution of a statement (its cache key, execution
context, result metadata from the cursor's description, the ORM's loading of entities) costs more of the API
process's CPU than the driver's: the exchange's lock, a statement of 42 columns, took 484 microseconds through
the Session and 157 through psycopg's cursor.

What SQLAlchemy does that matters is kept: the statement is compiled by the dialect (one statement to read,
whatever the database), its bound values and results go through the column types' own processors (enums,
UTC datetimes, JSON), the Connection's before_execute and before_cursor_execute events are dispatched
(store.deferred sends the writes waiting before it, buurtbank.db's READ_FIRST opens the transaction, tests
count the statements), and a driver error is raised as SQLAlchemy's (IntegrityError and the rest, the
connection invalidated when it is gone). On SQLite (in-process, no round trip to save) the statement runs
through SQLAlchemy's execution.

A statement here is built once (at module level, or once per shape with functools.cache), with bound
parameters (an IN list goes as one array: `= ANY(%(ids)s)`), and selects columns, not ORM entities:
`EntityColumns` makes the row objects the services use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection, Dialect, exc, inspect
from sqlalchemy.orm import Mapper, make_transient_to_detached
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import instance_dict, set_committed_value
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import Compiled, SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

_Processor = Callable[[Any], Any]
_Entity = TypeVar("_Entity")


@dataclass(frozen=True, slots=True)
class DriverStatement:
    sql: str  # in the driver's paramstyle (pyformat: %(name)s)
    compiled: Compiled
    binds: dict[str, _Processor]  # the bound parameters' type conversions, as SQLAlchemy applies them
    lists: frozenset[str]  # the expanding parameters (an IN list), sent as one array each
    statement: Executable
    # The result columns' conversions, in the order selected: found with the first answer (a numeric type's
    # conversion depends on the type the server answers with), so this list holds one entry once answered
    # (two threads answering first may both add theirs: the same conversions).
    results: list[tuple[_Processor | None, ...]]


_compiled: dict[tuple[int, str], DriverStatement] = {}
_COMPILED_MAX = 4096  # statements built once number in the hundreds: past this, one is built per call (a bug)
# SQLAlchemy renders an IN list when the statement runs, one parameter per element; past its execution the
# list goes as one array instead (one statement text whatever the list's length, prepared once).
_IN_LIST = re.compile(r"(NOT )?IN \(__\[POSTCOMPILE_(\w+)\]\)")


def _as_array(match: re.Match[str]) -> str:
    return f"<> ALL(%({match[2]})s)" if match[1] else f"= ANY(%({match[2]})s)"


def compiled_for(statement: Executable, dialect: Dialect) -> DriverStatement:
    """`statement` compiled by `dialect` for the driver, once (cached by the statement, which is never rebuilt)."""
    found = _compiled.get((id(statement), dialect.name))
    if found is not None:
        return found
    compiled = cast(SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect))  # a clause's compiler
    sql = _IN_LIST.sub(_as_array, compiled.string)
    if "POSTCOMPILE" in sql or dialect.paramstyle != "pyformat":
        raise ValueError("a statement past SQLAlchemy's execution needs bound parameters or IN lists of them")
    binds: dict[str, _Processor] = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            binds[name] = processor
    lists = frozenset(name for name, bind in compiled.binds.items() if bind.expanding)
    found = DriverStatement(sql, compiled, binds, lists, statement, [])
    if len(_compiled) < _COMPILED_MAX:  # (past it, still answered: compiled again per call, memory bounded)
        _compiled[(id(statement), dialect.name)] = found  # holds the statement: its id is not reused while cached
    return found


def driver_values(compiled: DriverStatement, params: Mapping[str, Any]) -> dict[str, Any]:
    """The statement's bound values filled in from `params` and converted by their types, for the driver; an
    IN list as a list of converted elements (psycopg sends it as an array)."""
    values: dict[str, Any] = dict(compiled.compiled.construct_params(params) or {})  # the statement's binds
    for name in compiled.lists:
        if name in values:
            processor = compiled.binds.get(name)
            values[name] = [processor(v) for v in values[name]] if processor else list(values[name])
    for name, processor in compiled.binds.items():
        if name in values and name not in compiled.lists:
            values[name] = processor(values[name])
    return values


def driver_rows(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows `statement` answers (a SELECT, or a write with RETURNING), run in the connection's transaction."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement, dict(params))]
    compiled = compiled_for(statement, connection.dialect)
    found = send(connection, compiled, driver_values(compiled, params), fetch=True)
    processors = compiled.results[0]
    if not any(processors):
        return found
    return [tuple(p(v) if p is not None else v for p, v in zip(processors, row, strict=True)) for row in found]


def driver_execute(connection: Connection, statement: Executable, params: Mapping[str, Any]) -> None:
    """Run a write without RETURNING in the connection's transaction."""
    if connection.dialect.name != "postgresql":
        connection.execute(statement, dict(params))
        return
    compiled = compiled_for(statement, connection.dialect)
    send(connection, compiled, driver_values(compiled, params), fetch=False)


def send(
    connection: Connection, compiled: DriverStatement | str, values: dict[str, Any], *, fetch: bool
) -> list[tuple[Any, ...]]:
    """Send a compiled statement (or SQL in pyformat) with driver values through the connection's cursor, as
    Connection.execute would: its events first, the driver's error raised as SQLAlchemy's."""
    sql = compiled if isinstance(compiled, str) else compiled.sql
    statement = None if isinstance(compiled, str) else compiled.statement
    connection.dispatch.before_execute(connection, statement, (), values, {})
    fairy = connection.connection  # begun: the transaction this statement belongs to
    # The DB-API connection: psycopg's own, or (buurtbank.db.loop_engine) SQLAlchemy's adapter of psycopg's
    # asyncio connection, whose cursor waits on the server inside the request's greenlet.
    cursor = fairy.dbapi_connection.cursor()  # type: ignore[union-attr]  # a live connection has one
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
        cursor.execute(sql, values)
        rows = cast(list[tuple[Any, ...]], cursor.fetchall()) if fetch else []  # (psycopg's and the adapter's: lists)
        if fetch and not isinstance(compiled, str) and not compiled.results:
            compiled.results.append(_result_processors(connection.dialect, compiled.statement, cursor.description))
    except connection.dialect.loaded_dbapi.Error as error:
        raise _as_sqlalchemy(connection, error, sql, values, cursor) from error
    finally:
        cursor.close()
    return rows


def _result_processors(dialect: Dialect, statement: Executable, description: Any) -> tuple[_Processor | None, ...]:
    columns = list(getattr(statement, "exported_columns", ()))
    if len(columns) != len(description):
        raise ValueError("a statement past SQLAlchemy's execution answers the columns it selects")
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, read.type_code)
        for column, read in zip(columns, description, strict=True)
    )


def _as_sqlalchemy(connection: Connection, error: Any, sql: str, values: Any, cursor: Any) -> Any:
    dialect = connection.dialect
    disconnected = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if disconnected and not connection.invalidated:
        connection.invalidate(error)
    wrapped = exc.DBAPIError.instance(
        sql, values, error, dialect.loaded_dbapi.Error, connection_invalidated=disconnected, dialect=dialect
    )
    return wrapped


@dataclass(frozen=True, slots=True)
class EntityColumns(Generic[_Entity]):
    """An ORM class's table columns, to select past the ORM, and their attribute names, to make its objects."""

    cls: type[_Entity]
    mapper: Mapper[_Entity]
    columns: tuple[Any, ...]  # the mapped table's Column objects, in the table's order
    names: tuple[str, ...]
    key_names: tuple[str, ...]  # the primary key's attributes

    def entity(self, session: OrmSession, row: Sequence[Any], start: int = 0) -> _Entity:
        """The session's object of the values `row` holds from `start` on (this class's columns, in order), as
        loading with populate_existing gives it: the object the session holds for that row, its stored values
        replaced, or a new persistent one; either way with nothing to flush."""
        values = dict(zip(self.names, row[start : start + len(self.names)], strict=True))
        key = self.mapper.identity_key_from_primary_key(tuple(values[name] for name in self.key_names))
        held = session.identity_map.get(key)
        if held is not None:
            for name, value in values.items():
                set_committed_value(held, name, value)
            return held
        instance: _Entity = self.mapper.class_manager.new_instance()
        instance_dict(instance).update(values)  # as loading fills a new object: its stored values
        make_transient_to_detached(instance)  # its identity, all loaded
        session.add(instance)  # persistent, clean
        return instance


def entity_columns(cls: type[_Entity]) -> EntityColumns[_Entity]:
    mapper = inspect(cls)
    columns = tuple(mapper.local_table.columns)
    names = tuple(mapper.get_property_by_column(column).key for column in columns)
    keys = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
    return EntityColumns(cls, mapper, columns, names, keys)
