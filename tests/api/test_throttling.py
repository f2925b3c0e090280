"""Throttling of guesses: per login name, per client address, under concurrency; 429 says when to retry;
an unknown name costs the same hash work as a known one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from buurtbank.settings import Settings
from domain.errors import TooManyAttempts
from services import accounts, throttle
from tests.api.helpers import PASSWORD, World, register
from tests.fakes import FakeGeocoder


@pytest.fixture
def strict(db: Engine, settings: Settings) -> Iterator[TestClient]:
    """A service with small per-client limits, to see them bite."""
    tight = settings.model_copy(update={"client_max_failures": 8, "client_max_registrations": 3})
    with TestClient(create_app(tight, engine=db, geocoder=FakeGeocoder()), raise_server_exceptions=False) as c:
        yield c


def _guess(client: TestClient, username: str, password: str = "wrong password") -> int:
    return client.post("/v1/auth/token", data={"username": username, "password": password}).status_code


def test_a_refusal_says_when_to_come_back(client: TestClient, settings: Settings) -> None:
    register(client, "eva@example.org")
    for _ in range(settings.login_max_failures):
        assert _guess(client, "eva@example.org") == 401
    refused = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": PASSWORD})
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= settings.login_window_minutes * 60
    assert refused.json()["status"] == 429


def test_password_spraying_from_one_client_is_throttled(strict: TestClient) -> None:
    for n in range(3):
        register(strict, f"member{n}@example.org")
    statuses = [_guess(strict, f"member{n % 3}@example.org", f"guess number {n}") for n in range(8)]
    assert statuses == [401] * 8  # never more than the limit per name (5): 3 names, 8 guesses
    assert _guess(strict, "someone.else@example.org") == 429  # the client is over its limit for any name
    assert _guess(strict, "member0@example.org", PASSWORD) == 429


def test_a_right_password_does_not_count_against_the_client(strict: TestClient) -> None:
    register(strict, "eva@example.org")
    for _ in range(20):
        assert _guess(strict, "eva@example.org", PASSWORD) == 200


def test_registrations_per_client_are_limited(strict: TestClient) -> None:
    for n in range(3):
        register(strict, f"new{n}@example.org")
    answer = strict.post(
        "/v1/auth/register", json={"email": "new3@example.org", "password": PASSWORD, "display_name": "New"}
    )
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0


def test_guessing_a_members_login_code_is_throttled(client: TestClient, world: World, settings: Settings) -> None:
    enrolled = client.post(
        "/v1/antennas/molenbeek/members", json={"display_name": "Jef"}, headers=world.mod_molenbeek.headers
    ).json()
    number, code = enrolled["member_number"], enrolled["login_code"]
    for n in range(settings.login_max_failures):
        assert _guess(client, number, f"AAAA-AAA{n + 2}") == 401
    assert _guess(client, number.lower(), code) == 429  # the right code too, and however the number is typed


def test_guessing_a_reset_code_is_throttled(client: TestClient, world: World, settings: Settings) -> None:
    issued = client.post(
        f"/v1/antennas/molenbeek/members/{world.alice.id}/reset-code", headers=world.mod_molenbeek.headers
    ).json()
    body = {"username": "alice@example.org", "new_password": "a fresh long sentence"}
    for n in range(settings.login_max_failures):
        answer = client.post("/v1/auth/reset", json={**body, "code": f"BBBB-BBB{n + 2}"})
        assert answer.status_code == 422
    answer = client.post("/v1/auth/reset", json={**body, "code": issued["code"]})
    assert answer.status_code == 429 and "Retry-After" in answer.headers


def test_concurrent_guesses_never_check_more_than_the_limit(db: Engine, client: TestClient) -> None:
    """30 simultaneous wrong guesses for one e-mail, each in its own transaction as the route runs them."""
    register(client, "eva@example.org")
    checked: list[bool] = []
    refused: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(30)
    limit = throttle.Limit(throttle.name_key("login", "eva@example.org"), 5, timedelta(minutes=15))

    def guess(n: int) -> None:
        with Session(db, expire_on_commit=False) as session:
            start.wait()
            try:
                throttle.count_attempt(session, [limit])
                session.commit()
            except TooManyAttempts:
                session.commit()
                with lock:
                    refused.append(True)
                return
            outcome = accounts.authenticate(session, username="eva@example.org", password=f"wrong {n}")
            session.commit()
            with lock:
                checked.append(outcome.member is None)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(checked) == 5 and all(checked)
    assert len(refused) == 25


def test_an_unknown_name_costs_the_same_hash_work(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled = client.post(
        "/v1/antennas/molenbeek/members", json={"display_name": "Jef"}, headers=world.mod_molenbeek.headers
    ).json()
    calls: list[int] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash_: str | bytes, password: str | bytes) -> bool:
        calls.append(1)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    def hashes_for(username: str) -> int:
        calls.clear()
        assert _guess(client, username) == 401
        return len(calls)

    assert hashes_for("nobody@example.org") == hashes_for("alice@example.org") == 1
    unknown_number = "MOL-0000" if enrolled["member_number"] != "MOL-0000" else "MOL-0001"
    assert hashes_for(unknown_number) == hashes_for(enrolled["member_number"]) == 2
