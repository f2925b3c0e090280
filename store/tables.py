"""Imports every table module so SQLModel.metadata is complete (Alembic and test set-up use this)."""

from sqlmodel import SQLModel

from store import (  # noqa: F401
    antennas,
    audit,
    background,
    console_sessions,
    exchanges,
    idempotency,
    job_runs,
    ledger,
    listings,
    login_failures,
    match_runs,
    members,
    memberships,
    notifications,
    proposals,
    stats_cache,
    stats_indexes,
)

metadata = SQLModel.metadata
