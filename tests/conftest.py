"""Test set-up: one real database per test session (SQLite file, or a fresh PostgreSQL database).

Run on PostgreSQL with BUURTBANK_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test:
the suite creates its own database next to `test` and drops it at the end, so parallel runs do not
collide. Tables are created from the metadata (tests may; the app never does) and emptied after each
test; tests/services/test_migrations.py checks that the Alembic migrations build the same schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.app import create_app
from buurtbank.antenna_files import load_antenna_dir
from buurtbank.db import make_engine
from buurtbank.settings import Environment, Settings
from domain.antenna_config import AntennaConfig
from services import passwords
from services.antenna_loader import load_antennas
from store.metadata import metadata
from tests.databases import on_postgres, throwaway_postgres
from tests.fakes import FakeGeocoder

ROOT = Path(__file__).resolve().parent.parent
ANTENNAS_DIR = ROOT / "antennas"


# The files whose tests take the longest (pytest --durations): started first, so that with several processes
# (scripts/test runs -n 2 --dist worksteal) no process is left alone with a long test at the end while the
# other is idle. Only the order changes; a file missing from the list just runs in its usual place.
LONG_RUNNING = (
    "tests/api/test_contract.py",
    "tests/console/test_browser.py",
    "tests/services/test_serve_workers.py",
    "tests/api/test_typescript_client.py",
    "tests/api/test_authorisation_matrix.py",
    "tests/services/test_stats_releases.py",
    "tests/domain/test_ledger_properties.py",
    "tests/domain/test_stats_dp.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_RUNNING.index(path) if path in LONG_RUNNING else len(LONG_RUNNING)

    items.sort(key=rank)  # stable: within a file, and for all other files, the collected order is kept


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


def _no_fsync_per_commit(engine: Engine) -> None:
    """The suite's SQLite file need not survive a power cut: in WAL mode, synchronous=NORMAL syncs at
    checkpoints instead of at every commit (about 4 ms each here). Transactions and locks are unchanged."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: the throw-away database has synchronous_commit off (tests/databases.py)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    _no_fsync_per_commit(eng)
    metadata.create_all(eng)
    yield eng
    eng.dispose()


def _empty_tables(engine: Engine) -> None:
    """Delete every row, children first, and (PostgreSQL) restart the id sequences, as a fresh database has.

    DELETE, not TRUNCATE: a test leaves a few rows, and PostgreSQL's TRUNCATE of some 30 tables costs about
    a second (new files for every table) where deleting those rows costs a few milliseconds."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        if engine.dialect.name == "postgresql":
            sequences = conn.execute(text("SELECT oid::regclass::text FROM pg_class WHERE relkind = 'S'")).scalars()
            for sequence in list(sequences):
                conn.execute(text("SELECT setval(:sequence, 1, false)"), {"sequence": sequence})


@pytest.fixture(scope="session")
def antenna_configs() -> list[AntennaConfig]:
    """The real antenna files, read and validated once per session (loading them stays per test)."""
    return load_antenna_dir(ANTENNAS_DIR)


@pytest.fixture
def db(engine: Engine, antenna_configs: list[AntennaConfig]) -> Iterator[Engine]:
    """A clean database for one test: loaded with the real antenna files, emptied afterwards."""
    with Session(engine) as session:
        load_antennas(session, antenna_configs)
        session.commit()
    try:
        yield engine
    finally:
        _empty_tables(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    with Session(db, expire_on_commit=False) as s:
        yield s


def suite_settings(database_url: str) -> Settings:
    """The settings every app of the suite runs with."""
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
def settings(database_url: str) -> Settings:
    return suite_settings(database_url)


@pytest.fixture
def client(db: Engine, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, engine=db, geocoder=FakeGeocoder())
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
