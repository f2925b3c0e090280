"""Requests take turns in a process (api.middleware.RequestLimits): quick ones one after another, a slow one
lets the next start beside it, and the connection bound holds whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import create_engine
from starlette.types import Receive, Scope, Send

from api.middleware import Limits, RequestLimits, default_running, give_back_turn
from tests.event_loops import run_to_end


class Recorder:
    """An ASGI app whose requests each run `work` and record how many ran at once."""

    def __init__(self, work: Callable[[str], Awaitable[None]]) -> None:
        self.work = work
        self.running = 0
        self.most = 0
        self.order: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        self.order.append("start " + scope["path"])
        try:
            await self.work(scope["path"])
        finally:
            self.running -= 1
            self.order.append("end " + scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _limits(**changes: object) -> Limits:
    base = {
        "max_body_bytes": 1024,
        "max_concurrent": 10,
        "max_queued": 100,
        "queue_timeout_seconds": 10.0,
        "retry_after_seconds": 1,
        "max_running": 1,
        "slow_after_seconds": 5.0,
    }
    return Limits(**(base | changes))  # type: ignore[arg-type]  # the test's overrides are Limits' fields


async def _get_all(app: object, paths: list[str]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
        return await asyncio.gather(*(client.get(path) for path in paths))


def test_quick_requests_run_one_after_another() -> None:
    async def quick(_: str) -> None:
        await asyncio.sleep(0.01)  # yields to the event loop: without turns, all eight would be inside at once

    inner = Recorder(quick)
    answers = run_to_end(_get_all(RequestLimits(inner, limits=_limits()), [f"/r{i}" for i in range(8)]))
    assert [a.status_code for a in answers] == [200] * 8
    assert inner.most == 1
    assert all(inner.order[i].startswith("start") and inner.order[i + 1].startswith("end") for i in range(0, 16, 2))


def test_two_running_requests_when_two_turns_are_allowed() -> None:
    async def quick(_: str) -> None:
        await asyncio.sleep(0.02)

    inner = Recorder(quick)
    run_to_end(_get_all(RequestLimits(inner, limits=_limits(max_running=2)), [f"/r{i}" for i in range(6)]))
    assert inner.most == 2


def test_a_slow_request_lets_the_next_one_start_beside_it() -> None:
    # The first request waits for the second to have run: with its turn held to the end, this would never end.
    second_ran = asyncio.Event()

    async def work(path: str) -> None:
        if path == "/slow":
            await asyncio.wait_for(second_ran.wait(), timeout=5)
        else:
            second_ran.set()

    async def scenario() -> list[httpx.Response]:
        app = RequestLimits(inner, limits=_limits(slow_after_seconds=0.05))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
            slow = asyncio.create_task(client.get("/slow"))
            await asyncio.sleep(0.01)  # the slow one has its turn
            quick = await client.get("/quick")
            return [await slow, quick]

    inner = Recorder(work)
    answers = run_to_end(scenario())
    assert [a.status_code for a in answers] == [200, 200]
    assert inner.order == ["start /slow", "start /quick", "end /quick", "end /slow"]


def test_slow_requests_never_run_more_than_the_connection_bound() -> None:
    async def slow(_: str) -> None:
        await asyncio.sleep(0.1)

    inner = Recorder(slow)
    limits = _limits(max_concurrent=3, slow_after_seconds=0.01)
    answers = run_to_end(_get_all(RequestLimits(inner, limits=limits), [f"/r{i}" for i in range(9)]))
    assert [a.status_code for a in answers] == [200] * 9
    assert inner.most == 3


def test_a_request_that_waits_too_long_for_a_turn_answers_503_and_gives_nothing_back_twice() -> None:
    gate = asyncio.Event()

    async def held(path: str) -> None:
        if path == "/held":
            await gate.wait()

    async def scenario() -> tuple[int, int, int]:
        app = RequestLimits(inner, limits=_limits(queue_timeout_seconds=0.05))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
            first = asyncio.create_task(client.get("/held"))
            await asyncio.sleep(0.01)
            refused = await client.get("/waiting")
            gate.set()
            served = await first
            after = await client.get("/after")  # the turn came back once: the next request gets it at once
            return refused.status_code, served.status_code, after.status_code

    inner = Recorder(held)
    assert run_to_end(scenario()) == (503, 200, 200)
    assert inner.most == 1


def test_one_turn_on_sqlite_two_on_postgresql() -> None:
    assert default_running(create_engine("sqlite://")) == 1
    assert default_running(create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")) == 2


def test_a_request_about_to_wait_on_the_database_lets_the_next_one_start() -> None:
    # What get_session does before a commit that waits on the disk or the server (api/deps.py).
    second_ran = asyncio.Event()

    async def work(path: str) -> None:
        if path == "/committing":
            give_back_turn(current_scope[0])
            await asyncio.wait_for(second_ran.wait(), timeout=5)
        else:
            second_ran.set()

    current_scope: list[Scope] = []

    class Keeping(Recorder):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            current_scope.append(scope)
            await super().__call__(scope, receive, send)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=RequestLimits(inner, limits=_limits()))  # slow only after 5 s
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
            first = asyncio.create_task(client.get("/committing"))
            await asyncio.sleep(0.01)
            quick = await client.get("/quick")
            return [await first, quick]

    inner = Keeping(work)
    assert [a.status_code for a in run_to_end(scenario())] == [200, 200]
    assert inner.order == ["start /committing", "start /quick", "end /quick", "end /committing"]
    give_back_turn({})  # outside RequestLimits (a test app, the CLI): nothing to give back
