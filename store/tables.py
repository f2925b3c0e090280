"""Imports every table module so SQLModel.metadata is complete (Alembic and test set-up use this)."""

from sqlmodel import SQLModel

from store import (  # noqa: F401
    accounts,
    antennas,
    audit,
    background,
    conversations,
    exchanges,
    feedback,
    idempotency,
    job_runs,
    ledger,
    listings,
    login_failures,
    match_runs,
    meetings,
    members,
    memberships,
    notifications,
    proposals,
    push,
    safety,
    stats_cache,
    stats_indexes,
)

metadata = SQLModel.metadata
