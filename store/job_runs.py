"""Scheduled job runs, and the claim that makes a job run once per time slot across processes.

A job firing inserts (job, slot) in the same transaction as its work. UNIQUE(job, slot) lets exactly one
insert win, on SQLite and PostgreSQL alike: a second process either waits for the first transaction and
then fails the insert (IntegrityError: skip), or, if the first rolled back, takes the slot and does the
work itself. On PostgreSQL a transaction-level advisory lock (store.locking) is tried first, so a process
that arrives while another one is working skips at once instead of waiting on the unique index.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from store.base import utc_field
from store.locking import try_advisory_xact_lock


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=80, description="e.g. match:molenbeek, expire, confirm_reminders")
    slot: str = Field(max_length=40, description="start of the interval bucket the run belongs to, ISO 8601 UTC")
    started_at: datetime = utc_field()
    finished_at: datetime | None = utc_field(nullable=True, default_now=False)
    host: str = Field(default="", max_length=255)
    pid: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)


def claim_slot(session: Session, *, job: str, slot: str, now: datetime) -> JobRun | None:
    """Claims (job, slot) inside the caller's transaction; None when another process has it or had it."""
    if not try_advisory_xact_lock(session, f"job:{job}:{slot}"):
        return None
    run = JobRun(job=job, slot=slot, started_at=now, host=socket.gethostname()[:255], pid=os.getpid())
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    return run
