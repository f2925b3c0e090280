"""Pure ASGI middleware that keeps the service answering under attack and load.

- `RequestLimits`: refuses bodies over a limit (413) before reading them whole, whether the client sent a
  Content-Length or a chunked body, and bounds how many requests run at once.
- `SecurityHeaders`: nosniff on every answer, no-store on answers that carry personal data or tokens.

Why a concurrency bound: sync routes run on anyio's thread pool (40 threads) and each holds one database
connection from the SQLAlchemy pool (on PostgreSQL 10 + 20 overflow, on SQLite 5 + 10). With more requests
in flight than the pool can serve, threads block in the pool waiting for a connection that requests queued
behind them hold, and after the pool's 30 s time-out they answer 500. Letting in only as many requests as
the pool can serve and queueing the rest in the event loop (where waiting costs a coroutine, not a thread
or a connection) removes that: a request either runs with a connection available, or waits its turn, or,
when the queue is full or its turn does not come in time, is told 503 with Retry-After.

Why, within that bound, only one or two requests run at once: a process runs Python in one thread at a
time (the GIL). With eight requests in eight worker threads, every database call hands the GIL to another
thread and back, and a request cost twice the CPU it costs alone (nearby offers: 2.4 ms alone, 4.4 ms each
with eight at once; bench/api.py, docs/performance.md). So a process lets `max_running` requests run
(SQLite 1, PostgreSQL 2, whose requests also wait on the network) and the next one starts when one ends:
the same work is done sooner by taking turns. A request that commits a write gives its turn to the next one
as it starts committing (the commit waits on the disk or the server, not on Python), and a request still
running after `slow_after_seconds` (a statistics page, an export, a write waiting for SQLite's lock) gives
its turn while it goes on, so one slow request never holds up the quick ones; only `max_concurrent` bounds
how many run then.
Several processes (`buurtbank serve --workers N`) are what uses several cores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int
    max_concurrent: int  # requests running at once (each may hold one database connection)
    max_queued: int  # requests waiting for a slot; beyond that: 503 at once
    queue_timeout_seconds: float  # a request that waits longer for a slot: 503
    retry_after_seconds: int
    max_running: int = 1  # requests taking their turn at once (the rest wait, or start beside a slow one)
    slow_after_seconds: float = 0.010  # a request running this long gives its turn to the next
    # Paths that never touch the database (the API documentation) skip the concurrency bound, and so does the
    # event stream: it stays open for minutes, holding no connection between its short polls.
    unbounded_prefixes: tuple[str, ...] = ("/docs", "/openapi.json", "/v1/me/events")


class BodyTooLarge(HTTPException):
    """Raised inside whatever reads the body, the moment it passes the limit. An HTTPException, so FastAPI
    lets it through its body parsing (anything else becomes a 400) to the error handler, which answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


async def _send_problem(
    scope: Scope, send: Send, status: int, key: str, params: dict[str, Any], headers: dict[str, str]
) -> None:
    response = problem_response(Request(scope), status=status, key=key, params=params, headers=headers)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:  # a problem answer never reads the request
    return {"type": "http.disconnect"}


class RequestLimits:
    def __init__(self, app: ASGIApp, *, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self._slots: asyncio.Semaphore | None = None
        self._turns: asyncio.Semaphore | None = None
        self._waiting = 0

    def _semaphores(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        # Created on first use, inside the server's event loop (not at import or app-construction time).
        if self._slots is None or self._turns is None:
            self._slots = asyncio.Semaphore(self.limits.max_concurrent)
            self._turns = asyncio.Semaphore(min(self.limits.max_running, self.limits.max_concurrent))
        return self._slots, self._turns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_problem(scope, send, 413, "error.body_too_large", {"limit": limit}, {"Connection": "close"})
            return
        if scope["path"].startswith(self.limits.unbounded_prefixes):
            await self._run(scope, receive, send)
            return
        slots, turns = self._semaphores()
        if turns.locked() or slots.locked():
            retry = {"Retry-After": str(self.limits.retry_after_seconds)}
            busy = {"retry_after": self.limits.retry_after_seconds}
            if self._waiting >= self.limits.max_queued:
                await _send_problem(scope, send, 503, "error.service_busy", busy, retry)
                return
            self._waiting += 1
            try:
                async with asyncio.timeout(self.limits.queue_timeout_seconds):
                    await _take_both(turns, slots)
            except TimeoutError:
                await _send_problem(scope, send, 503, "error.service_busy", busy, retry)
                return
            finally:
                self._waiting -= 1
        else:  # both free: taken without awaiting, so nothing can come in between
            await turns.acquire()
            await slots.acquire()
        turn = _Turn(turns)
        scope[TURN] = turn  # given back early by what is about to wait (api.deps.get_session's commit)
        later = asyncio.get_running_loop().call_later(self.limits.slow_after_seconds, turn.give_back)
        try:
            await self._run(scope, receive, send)
        finally:
            later.cancel()
            turn.give_back()
            slots.release()

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.max_body_bytes
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # Read outside the routes' error handling (the handlers normally answer it): answer here.
            if started:
                raise
            await _send_problem(scope, send, 413, "error.body_too_large", {"limit": limit}, {"Connection": "close"})


async def _take_both(turns: asyncio.Semaphore, slots: asyncio.Semaphore) -> None:
    """A turn, then a connection's slot; on cancellation (the queue's time-out) nothing stays taken."""
    await turns.acquire()
    try:
        await slots.acquire()
    except BaseException:
        turns.release()
        raise


# The scope key of the request's turn (a _Turn), for code that is about to wait on the database.
TURN = "buurtbank.turn"


def give_back_turn(scope: Scope) -> None:
    """Let the next request start: this one is about to wait (a commit's write to disk, a lock)."""
    turn = scope.get(TURN)
    if turn is not None:
        turn.give_back()


class _Turn:
    """A request's turn, given back once: when it ends, when it is about to wait on the database, or when it
    turns out slow."""

    __slots__ = ("_turns", "_held")

    def __init__(self, turns: asyncio.Semaphore) -> None:
        self._turns = turns
        self._held = True

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._turns.release()


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, no_store_prefixes: Iterable[str]) -> None:
        self.app = app
        self.no_store_prefixes = tuple(no_store_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        private = path.startswith(self.no_store_prefixes) or any(
            name == b"authorization" for name, _ in scope.get("headers", ())
        )

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if private:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def default_concurrency(pool: Any, *, threads: int = 40, reserve: int = 2) -> int:
    """As many requests as the engine's pool can give a connection to, less a few for the scheduler's jobs,
    and never more than the thread pool runs at once."""
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    capacity = size() + max(int(overflow), 0) if callable(size) else 1
    return max(1, min(capacity - reserve, threads - reserve)) if capacity > reserve else 1


def default_running(engine: Any) -> int:
    """Requests one process runs at once: one on SQLite (its reads never wait), two on PostgreSQL (a
    request waiting on the network lets the other run)."""
    return 1 if engine.dialect.name == "sqlite" else 2
