"""Bursts, oversized bodies and the headers every answer carries (issue 9, points 5, 8 and 15)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from api.app import create_app
from buurtbank import db as buurtbank_db
from buurtbank.settings import Settings
from tests.api.helpers import World
from tests.event_loops import run_to_end
from tests.fakes import FakeGeocoder

PROBLEM = "application/problem+json"
MIB = 1024 * 1024


def _small_pool_engine(url: str, *, size: int) -> Engine:
    """The app's engine with a small pool and a short time-out, so starving it shows in seconds, not 30 s."""
    if make_url(url).get_backend_name() == "sqlite":
        sqlite = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=sqlite, pool_size=size, max_overflow=0, pool_timeout=3)
        buurtbank_db._serialise_sqlite_writes(engine)  # the same connection set-up as the service's
        return engine
    return create_engine(url, pool_size=size, max_overflow=0, pool_timeout=3)


@pytest.fixture
def small_pool(db: Engine, database_url: str) -> Iterator[Engine]:
    engine = _small_pool_engine(database_url, size=4)
    yield engine
    engine.dispose()


async def _burst(app: object, *, requests: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        return await asyncio.gather(*(client.request(m, path, headers=h) for m, path, h in requests))


def test_a_burst_larger_than_the_pool_is_queued_not_failed(
    client: TestClient, world: World, small_pool: Engine, settings: Settings
) -> None:
    # Signed-in reads run several sync steps (token, actor, route) on the thread pool while holding a
    # connection: without a bound, 40 threads wait for 4 connections whose requests wait for a thread.
    app = create_app(settings, engine=small_pool, geocoder=FakeGeocoder())
    people = [world.alice, world.bob, world.dave, world.carol]
    requests = [("GET", "/v1/me", people[i % 4].headers) for i in range(60)]
    requests += [("GET", "/v1/antennas", {}) for _ in range(30)] + [("GET", "/v1/health", {}) for _ in range(30)]
    answers = run_to_end(_burst(app, requests=requests))
    statuses = sorted({a.status_code for a in answers})
    assert statuses == [200], [a.text for a in answers if a.status_code != 200][:3]


def _held_app(settings: Settings, engine: Engine, **limits: object) -> object:
    return create_app(settings.model_copy(update=limits), engine=engine, geocoder=FakeGeocoder())


async def _while_one_request_holds_the_only_slot(app: object, second: str) -> tuple[httpx.Response, httpx.Response]:
    """A first request streams its body slowly and keeps the only slot; then `second` is asked."""
    release = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield b"username=a%40example.org&"
        await release.wait()
        yield b"password=x"

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
        first = asyncio.create_task(
            client.post(
                "/v1/auth/token",
                content=slow_body(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )
        await asyncio.sleep(0.2)
        try:
            answer = await client.get(second, headers={"Accept-Language": "nl"})
        finally:
            release.set()
        return await first, answer


def test_a_full_queue_answers_503_with_retry_after(db: Engine, settings: Settings) -> None:
    app = _held_app(settings, db, max_concurrent_requests=1, request_queue_size=0, busy_retry_after_seconds=3)
    first, second = run_to_end(_while_one_request_holds_the_only_slot(app, "/v1/antennas"))
    assert second.status_code == 503
    assert second.headers["retry-after"] == "3"
    assert second.headers["content-type"].startswith(PROBLEM)
    assert second.json()["type"] == "urn:buurtbank:problem:service_busy"
    assert "3 seconden" in second.json()["detail"]
    assert first.status_code == 401  # the held request itself was served


def test_a_request_that_waits_too_long_for_its_turn_answers_503(db: Engine, settings: Settings) -> None:
    app = _held_app(settings, db, max_concurrent_requests=1, request_queue_size=10, request_queue_timeout_seconds=0.1)
    _, second = run_to_end(_while_one_request_holds_the_only_slot(app, "/v1/health"))
    assert second.status_code == 503 and "retry-after" in second.headers


def test_the_docs_are_not_held_up_by_a_busy_api(db: Engine, settings: Settings) -> None:
    app = _held_app(settings, db, max_concurrent_requests=1, request_queue_size=0)
    _, second = run_to_end(_while_one_request_holds_the_only_slot(app, "/openapi.json"))
    assert second.status_code == 200


def test_a_body_over_the_limit_is_refused_from_its_length(client: TestClient, world: World) -> None:
    answer = client.post(
        "/v1/requests",
        content=b"{" + b" " * (MIB + 10) + b"}",
        headers={**world.alice.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["type"] == "urn:buurtbank:problem:body_too_large"


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_read_whole(client: TestClient, world: World) -> None:
    sent = 0
    chunk = b" " * (64 * 1024)

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(200):  # 12.5 MiB, without a Content-Length
            sent += 1
            yield chunk

    async def post(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)  # streams the body to the app as it is produced
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as streaming:
            headers = {**world.alice.headers, "Content-Type": "application/json"}
            return await streaming.post(path, content=body(), headers=headers)

    for path in ("/v1/requests", "/v1/auth/token", "/v1/me/ledger/donations"):
        sent = 0
        answer = run_to_end(post(path))
        assert "content-length" not in answer.request.headers
        assert answer.status_code == 413, (path, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert answer.json()["type"] == "urn:buurtbank:problem:body_too_large"
        assert sent <= 20, f"{sent} chunks were read before refusing"


def test_a_body_under_the_limit_still_works(client: TestClient, world: World) -> None:
    answer = client.post(
        "/v1/requests",
        json={"antenna": "molenbeek", "category": "paperwork", "title": "Brief lezen", "description": "x" * 1900},
        headers=world.alice.headers,
    )
    assert answer.status_code == 201, answer.text


def test_nosniff_everywhere_and_no_store_on_private_answers(client: TestClient, world: World) -> None:
    for path, headers in (("/v1/antennas", {}), ("/v1/health", {}), ("/nowhere", {}), ("/docs", {})):
        assert client.get(path, headers=headers).headers["x-content-type-options"] == "nosniff", path
    assert "no-store" not in client.get("/v1/antennas").headers.get("cache-control", "")
    token = client.post("/v1/auth/token", data={"username": world.alice.email, "password": "correct horse battery"})
    assert token.status_code == 200 and token.headers["cache-control"] == "no-store"
    for path in ("/v1/me", "/v1/me/export"):
        answer = client.get(path, headers=world.alice.headers)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store", path
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_has_a_content_security_policy(client: TestClient) -> None:
    answer = client.get("/docs")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_405_names_every_allowed_method(client: TestClient, world: World) -> None:
    answer = client.put("/v1/me", headers=world.alice.headers)
    assert answer.status_code == 405
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert {m.strip() for m in answer.headers["allow"].split(",")} >= {"GET", "PATCH", "DELETE"}
    assert {m.strip() for m in client.delete("/v1/antennas").headers["allow"].split(",")} == {"GET"}


def test_cors_answers_no_origin_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/v1/antennas", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = client.get("/v1/antennas", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_answers_only_the_listed_origins(db: Engine, settings: Settings) -> None:
    app = create_app(
        settings.model_copy(update={"cors_origins": ["https://app.buurtbank.example"]}),
        engine=db,
        geocoder=FakeGeocoder(),
    )
    with TestClient(app) as listed:
        ok = listed.get("/v1/antennas", headers={"Origin": "https://app.buurtbank.example"})
        assert ok.headers["access-control-allow-origin"] == "https://app.buurtbank.example"
        other = listed.get("/v1/antennas", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = listed.options(
            "/v1/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers
