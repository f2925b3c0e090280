"""Imports every table module so SQLModel.metadata is complete (Alembic and test set-up use this)."""

from sqlmodel import SQLModel

from stats import tables as stats_tables  # noqa: F401  (the statistics' feature home)
from store import (  # noqa: F401
    accounts,
    antennas,
    audit,
    background,
    console_sessions,
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
)

metadata = SQLModel.metadata
