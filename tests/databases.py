"""Which database the suite runs on, and throw-away databases next to it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def base_url() -> str | None:
    """BUURTBANK_TEST_DATABASE_URL, or None for the default (a SQLite file per test session)."""
    return os.environ.get("BUURTBANK_TEST_DATABASE_URL") or None


def on_postgres() -> bool:
    url = base_url()
    return url is not None and make_url(url).get_backend_name() == "postgresql"


@contextmanager
def throwaway_postgres(*, prefix: str) -> Iterator[str]:
    """A new, empty database on the suite's PostgreSQL server, dropped afterwards (so runs never collide)."""
    base = base_url()
    assert base is not None and on_postgres()
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database need not survive a power cut: commits do not wait for the WAL to reach the
        # disk (about 10 ms each on the reference machine). Locking, isolation and visibility are unchanged,
        # and every connection to it has this, also those of the servers a test starts as subprocesses.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
