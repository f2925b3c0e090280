"""The health check's one query: the database answers."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def ping_database(session: Session) -> None:
    """Runs `SELECT 1`; raises (and the health check fails) when the database does not answer."""
    session.execute(text("SELECT 1"))
