"""Imports every table module so SQLModel.metadata is complete (Alembic and test set-up use this)."""

from sqlmodel import SQLModel

from store import antennas, audit, background, listings, login_failures, members, memberships  # noqa: F401

metadata = SQLModel.metadata
