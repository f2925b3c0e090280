"""Engines and sessions. Nothing is created at import time: entry points build an engine from Settings."""

from __future__ import annotations

import select
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Session, create_engine

# How many connections one process keeps. All of them are kept open once made (no "overflow" beyond the
# pool): with an overflow, every request above the pool's size opened a new connection and closed it
# again when done, which on SQLite is a connect, five pragmas and a parse of the whole schema at the
# first statement (~1 ms each time), and on PostgreSQL a new server process. The API lets in only as many
# requests at once as these connections can serve (api.middleware.default_concurrency).
POSTGRES_POOL_SIZE = 30
SQLITE_POOL_SIZE = 15


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if make_url(url).get_backend_name() != "sqlite":
        # Both listeners below look at psycopg's connection; another driver keeps the pool's own check (a
        # round trip per checkout) and plain transactions.
        psycopg_driver = make_url(url).get_driver_name() == "psycopg"
        engine = create_engine(
            url, echo=echo, pool_pre_ping=not psycopg_driver, pool_size=POSTGRES_POOL_SIZE, max_overflow=0
        )
        if psycopg_driver:
            _drop_closed_connections(engine)
            _read_first_without_a_transaction(engine)
        return engine
    in_memory = make_url(url).database in (None, "", ":memory:")  # one connection per thread: no pool size
    pool: dict[str, Any] = {} if in_memory else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 0}
    engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
    _serialise_sqlite_writes(engine)
    return engine


# Connections of the event loop's engine (loop_engine): a request holds one only while it runs or commits, and
# one process runs a few requests at once (api.middleware's turns); a request beyond these waits for one on
# the event loop, without holding up the others.
LOOP_POOL_SIZE = 12
_LOOP_ENGINE = "_buurtbank_loop_engine"


def loop_engine(engine: Engine) -> Engine | None:
    """The engine of the API's page reads and short writes on PostgreSQL (psycopg), which run on the event
    loop: the same database through psycopg's asyncio connections, made once per engine. None for SQLite
    (its page reads run on the event loop as they are, its writes may wait for its lock) and another driver.

    Its Session is the ordinary synchronous one and the services' code is unchanged: api.deps runs the route
    inside `sqlalchemy.util.greenlet_spawn` (what SQLAlchemy's AsyncSession does), and every wait on the
    server (a statement, a row lock, the commit) suspends that greenlet and lets the loop serve other
    requests meanwhile. No hand-over to a worker thread and back, and no worker threads taking the GIL from
    the event loop: under load those cost as much CPU as a page read's own work (docs/performance.md). The
    same listeners as make_engine's (a dead pooled connection replaced at checkout; READ_FIRST, through
    read_first(), reads without a transaction until the first write). Only inside greenlet_spawn: outside
    one, its first statement raises.
    """
    url = engine.url
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    made: Engine | None = engine.__dict__.get(_LOOP_ENGINE)
    if made is None:
        asynchronous = create_async_engine(
            url.set(drivername="postgresql+psycopg_async"), echo=engine.echo, pool_size=LOOP_POOL_SIZE, max_overflow=0
        )
        made = engine.__dict__[_LOOP_ENGINE] = asynchronous.sync_engine
        _drop_closed_connections(made)
        _read_first_without_a_transaction(made)
    return made


def _drop_closed_connections(engine: Engine) -> None:
    """A pooled connection the server closed (a restart, pg_terminate_backend, an idle time-out) is replaced
    at checkout, without the round trip of pool_pre_ping's SELECT 1 on every checkout.

    An idle connection in the pool is sent nothing by the server, except when it goes away: then its
    socket has the server's last message and the end of the stream waiting. So a socket that is readable
    (or already closed) at checkout belongs to a dead connection: SQLAlchemy's DisconnectionError makes the
    pool throw it away and hand out a fresh one. A connection lost silently (no FIN from the other end)
    still fails its first statement; SQLAlchemy then invalidates it and the pool's older connections.
    """

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection: Any, _record: Any, proxy: Any) -> None:  # DB-API objects: untyped
        # psycopg's own connection (for loop_engine's, the AsyncConnection under SQLAlchemy's adapter)
        if _closed_by_server(proxy.driver_connection):
            raise DisconnectionError("the server closed this pooled connection")


def _closed_by_server(driver_connection: Any) -> bool:
    """Whether an idle psycopg connection is closed, or has something (its server's goodbye) to read."""
    if driver_connection.closed:
        return True
    try:
        readable, _, _ = select.select([driver_connection.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):  # no socket any more, or a closed descriptor
        return True
    return bool(readable)


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


def _is_read(statement: str) -> bool:
    head = statement.lstrip().upper()
    return head.startswith(_READ_PREFIXES) and " FOR UPDATE" not in head and " FOR SHARE" not in head


def _read_first_without_a_transaction(engine: Engine) -> None:
    """READ_FIRST on PostgreSQL (psycopg): reads outside a transaction until the first write.

    psycopg opens every transaction with a BEGIN of its own and ends it with a COMMIT or ROLLBACK: two
    round trips to the server besides the queries, for a request that only reads. A connection that starts
    with READ_FIRST (the API's GET requests) runs in autocommit mode instead: each read is its own statement
    on the latest committed data, which is what READ COMMITTED (PostgreSQL's default, ours) gives each
    statement of a transaction anyway. Before its first statement that is not a plain read (a write, a
    SAVEPOINT, a SELECT .. FOR UPDATE, an advisory lock), autocommit is switched off, so that statement
    and everything after it form one transaction, committed or rolled back with the request as before.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_FIRST):
            dbapi = connection.connection.dbapi_connection
            if dbapi is not None and not dbapi.autocommit:
                dbapi.autocommit = True
                connection.info[_PENDING] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]  # noqa: ARG001  # SQLAlchemy's listener signature
        if connection.info.get(_PENDING) and not (_is_read(statement) and "advisory" not in statement):
            connection.info.pop(_PENDING)
            connection.connection.dbapi_connection.autocommit = False  # the write below opens the transaction

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        if not connection.invalidated and connection.info.pop(_PENDING, None):
            dbapi = connection.connection.dbapi_connection
            if dbapi is not None:
                dbapi.autocommit = False  # back as the pool hands connections out


_READING_ENGINE = "_buurtbank_read_first_engine"


def read_first(engine: Engine) -> Engine:
    """The engine whose connections start with READ_FIRST (shares the pool), made once per engine.

    A Session bound to it needs no `session.connection(execution_options=...)` up front, so it can be made
    without taking a connection (the API makes the request's session on the event loop).
    """
    reading: Engine | None = engine.__dict__.get(_READING_ENGINE)
    if reading is None:
        reading = engine.__dict__[_READING_ENGINE] = engine.execution_options(**{READ_FIRST: True})
    return reading


def ends_without_io(session: Session) -> bool:
    """Whether committing or rolling back this session waits on nothing (so it need not leave the event loop).

    True when it holds no transaction, or when it has nothing to flush and its connection started with
    READ_FIRST and never wrote: it read in autocommit mode (SQLite without the write lock, PostgreSQL
    outside a transaction), and there is no transaction in the database to end. Anything else (a write,
    a transaction on PostgreSQL) may wait on the database.
    """
    transaction = session.get_transaction()
    if transaction is None:
        return True
    if not transaction.is_active:  # failed and waiting for its rollback: asking for its connection would raise
        return False
    if session.new or session.deleted or session.dirty:
        return False
    return bool(session.connection().info.get(_PENDING))


def reads_on_the_loop(session: Session) -> bool:
    """Whether this session's next reads may run on the event loop instead of in a worker thread.

    True for a SQLite session that started with READ_FIRST and has not taken the write lock nor anything
    to flush: its reads take no lock and wait for nobody (WAL: readers never wait for writers) and come
    from the page cache, in about the time a hand-over to a worker thread and back costs. A write, which
    may wait up to the busy time-out for SQLite's lock, and anything on PostgreSQL (the network) never run
    on the loop.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or not bind.get_execution_options().get(READ_FIRST):
        return False
    if session.new or session.dirty or session.deleted:
        return False
    transaction = session.get_transaction()
    if transaction is None:
        return True
    return transaction.is_active and bool(session.connection().info.get(_PENDING))


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
