"""Test set-up: one real database per test session (SQLite file, or a fresh PostgreSQL database).

Run on PostgreSQL with BUURTBANK_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test:
the suite creates its own database next to `test` and drops it at the end, so parallel runs do not
collide. Tables are created from the metadata (tests may; the app never does) and emptied after each
test; tests/services/test_migrations.py checks that the Alembic migrations build the same schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from buurtbank.antenna_files import load_antenna_dir
from buurtbank.db import make_engine
from buurtbank.settings import Environment, Settings
from services import passwords
from services.antenna_loader import load_antennas
from store.metadata import metadata
from tests.databases import on_postgres, throwaway_postgres
from tests.fakes import FakeGeocoder

ROOT = Path(__file__).resolve().parent.parent
ANTENNAS_DIR = ROOT / "antennas"


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> None:
    """The test environment's argon2 costs for every test, also those that hash without an app."""
    passwords.configure(**Settings(environment=Environment.TEST).password_hashing()._asdict())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not on_postgres():
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'buurtbank-test.db'}"
        return
    with throwaway_postgres(prefix="buurtbank_test") as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    metadata.create_all(eng)
    yield eng
    eng.dispose()


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """A clean database for one test: loaded with the real antenna files, emptied afterwards."""
    with Session(engine) as session:
        load_antennas(session, load_antenna_dir(ANTENNAS_DIR))
        session.commit()
    try:
        yield engine
    finally:
        _empty_tables(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        antennas_dir=ANTENNAS_DIR,
        login_max_failures=5,
        scheduler_enabled=False,
        events_max_seconds=0.5,  # an event stream ends soon, so a client reading it to the end returns
    )


@pytest.fixture
def client(db: Engine, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, engine=db, geocoder=FakeGeocoder())
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
