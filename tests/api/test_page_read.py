"""`api.deps.page_read`: a page read runs on the event loop when its reads wait on nothing (a SQLite read
that took no lock), in a worker thread otherwise, and answers the same either way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.deps import page_read
from buurtbank.db import make_engine, read_first
from store.members import Member


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'pages.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE numbers (n INTEGER)"))
        conn.execute(text("INSERT INTO numbers VALUES (1), (2), (3)"))
    yield engine
    engine.dispose()


async def _loop_thread() -> int:  # an async dependency runs on the event loop
    return threading.get_ident()


def _session(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(read_first(engine) if request.app.state.reading else engine) as made:
        if request.app.state.pending_write:
            made.add(Member(email="pending@example.org", display_name="Pending"))
        yield made
        made.rollback()


@page_read
def _page(
    loop: Annotated[int, Depends(_loop_thread)], session: Annotated[Session, Depends(_session)]
) -> dict[str, object]:
    total = session.connection().execute(text("SELECT sum(n) FROM numbers")).scalar()
    return {"total": total, "on_the_loop": threading.get_ident() == loop}


def _app(engine: Engine, *, reading: bool, pending_write: bool = False) -> FastAPI:
    app = FastAPI()
    app.state.engine, app.state.reading, app.state.pending_write = engine, reading, pending_write
    app.add_api_route("/page", _page, methods=["GET"])
    return app


def test_a_sqlite_read_runs_on_the_event_loop(engine: Engine) -> None:
    answer = TestClient(_app(engine, reading=True)).get("/page")
    assert answer.json() == {"total": 6, "on_the_loop": True}


def test_a_session_that_takes_the_write_lock_reads_in_a_worker_thread(engine: Engine) -> None:
    answer = TestClient(_app(engine, reading=False)).get("/page")
    assert answer.json() == {"total": 6, "on_the_loop": False}


def test_a_session_with_writes_to_flush_reads_in_a_worker_thread(engine: Engine) -> None:
    # (what acting on behalf leaves: its audit row, flushed, taking the write lock, before the next query)
    answer = TestClient(_app(engine, reading=True, pending_write=True)).get("/page")
    assert answer.json() == {"total": 6, "on_the_loop": False}


def test_the_signature_fastapi_sees_is_the_routes() -> None:
    def route(session: Session, limit: int = 50) -> int:
        return limit

    wrapped = page_read(route)
    assert wrapped.__wrapped__ is route  # type: ignore[attr-defined]  # functools.wraps sets it
    assert wrapped.__name__ == "route"
