"""PostgreSQL advisory locks, for "one at a time across processes" where no row exists to lock.

Transaction-level only (pg_advisory_xact_lock): the lock ends with the transaction, so no code path can
forget to release it. On SQLite there is nothing to take: it serialises writers (BEGIN IMMEDIATE, see
buurtbank.db), so the functions below are no-ops there.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks (Python's hash() differs per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def try_advisory_xact_lock(session: Session, name: str) -> bool:
    """PostgreSQL only (elsewhere True): held until the transaction ends; False when another holds it."""
    if not _on_postgresql(session):
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}).scalar_one())


def advisory_xact_lock(session: Session, name: str) -> None:
    """PostgreSQL only: wait for the lock, held until the transaction ends. SQLite serialises writers anyway."""
    if _on_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
