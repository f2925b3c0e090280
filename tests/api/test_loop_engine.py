"""PostgreSQL's page reads on the event loop (buurtbank.db.loop_engine, api.deps.page_read): the route's
ordinary Session runs in a greenlet over psycopg's asyncio connections, its waits on the server awaited, so
the loop serves other requests meanwhile; and it is still one unit of work."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from time import sleep
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session

from api.deps import SessionDep, page_read
from buurtbank.db import LOOP_POOL_SIZE, loop_engine, make_engine
from tests.databases import on_postgres
from tests.event_loops import run_to_end

pytestmark = pytest.mark.skipif(not on_postgres(), reason="psycopg's asyncio connections: PostgreSQL only")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine of its own (so a page reads' pool of its own), and a table to read and write."""
    made = make_engine(database_url)
    with made.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS page_reads_probe"))
        conn.execute(text("CREATE TABLE page_reads_probe (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO page_reads_probe VALUES (1), (2), (3)"))
    yield made
    with made.begin() as conn:
        conn.execute(text("DROP TABLE page_reads_probe"))
    made.dispose()


class _Seen:
    """What the page reads saw: their thread, and how many were inside a wait on the server at once."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.waiting = 0
        self.most_waiting = 0


def _app(engine: Engine, seen: _Seen) -> FastAPI:
    app = FastAPI()
    app.state.engine = engine
    app.state.loop_engine = loop_engine(engine)

    @page_read
    def total(session: SessionDep, write: int = 0, fail: bool = False, wait: float = 0) -> dict[str, Any]:
        seen.threads.add(threading.get_ident())
        if wait:
            connection = session.connection()  # (may wait for one of the pool's connections)
            seen.waiting += 1
            seen.most_waiting = max(seen.most_waiting, seen.waiting)
            connection.execute(text("SELECT pg_sleep(:s)"), {"s": wait})
            seen.waiting -= 1
        if write:  # a page read that writes after all: from here on one transaction, committed at the end
            session.connection().execute(text("INSERT INTO page_reads_probe VALUES (:n)"), {"n": write})
        if fail:
            session.connection().execute(text("SELECT * FROM no_such_table"))
        found = session.connection().execute(text("SELECT sum(n), count(*), pg_backend_pid() FROM page_reads_probe"))
        n, rows, pid = found.one()
        return {"total": n, "rows": rows, "pid": pid, "bind": session.get_bind().url.drivername}

    app.add_api_route("/total", total, methods=["GET"])
    return app


def _stored(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return sorted(n for (n,) in session.connection().execute(text("SELECT n FROM page_reads_probe")))


def test_a_page_read_runs_on_the_event_loop_through_psycopgs_asyncio_connections(engine: Engine) -> None:
    seen = _Seen()
    with TestClient(_app(engine, seen)) as client:
        loop_thread = client.portal.call(threading.get_ident)  # type: ignore[union-attr]  # open inside `with`
        answer = client.get("/total")
    assert answer.json() == {"total": 6, "rows": 3, "pid": answer.json()["pid"], "bind": "postgresql+psycopg_async"}
    assert seen.threads == {loop_thread}


def test_a_page_read_that_writes_commits_its_write_and_one_that_fails_writes_nothing(engine: Engine) -> None:
    with TestClient(_app(engine, _Seen())) as client:
        assert client.get("/total", params={"write": 4}).json()["total"] == 10
        assert _stored(engine) == [1, 2, 3, 4]
        with pytest.raises(ProgrammingError):  # SQLAlchemy's error, as on the worker threads' engine
            client.get("/total", params={"write": 5, "fail": True})
        assert _stored(engine) == [1, 2, 3, 4]  # rolled back with the request
        assert client.get("/total").json()["total"] == 10  # and its connection is fine for the next read


def test_more_page_reads_than_connections_wait_on_the_loop_and_all_answer(engine: Engine) -> None:
    seen = _Seen()
    app = _app(engine, seen)
    many = LOOP_POOL_SIZE + 4

    async def read_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/total", params={"wait": 0.2}) for _ in range(many)))
        return [answer.json()["total"] for answer in answers]

    assert run_to_end(read_all()) == [6] * many
    assert len(seen.threads) == 1  # all on the event loop's thread
    # Their waits on the server overlapped (the loop was not held), never more than the pool's connections.
    assert 1 < seen.most_waiting <= LOOP_POOL_SIZE


def test_a_page_reads_connection_the_server_closed_is_replaced(engine: Engine) -> None:
    with TestClient(_app(engine, _Seen())) as client:
        pid = client.get("/total").json()["pid"]  # the pooled asyncio connection it read through
        with engine.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        while _alive(engine, pid):  # (once gone, its goodbye is on the socket: checkout sees it)
            sleep(0.01)
        answers = [client.get("/total").json() for _ in range(LOOP_POOL_SIZE + 1)]
    assert all(answer["total"] == 6 for answer in answers)
    assert pid not in {answer["pid"] for answer in answers}


def _alive(engine: Engine, pid: int) -> bool:
    with engine.begin() as conn:  # a transaction per look: pg_stat_activity is read once per transaction
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar())
