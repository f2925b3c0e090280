"""Imports every table module so SQLModel.metadata is complete (Alembic and test set-up use this)."""

from sqlmodel import SQLModel

from stats import tables as stats_tables  # noqa: F401  (the statistics' feature home)
from store import (  # noqa: F401
    antennas,
    audit,
    background,
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
)

metadata = SQLModel.metadata
