"""Antennas as loaded from their declarations, and who moderates them; and their queries."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, bindparam
from sqlmodel import Field, Session, SQLModel, col, delete, select

from domain.antenna_config import AntennaConfig
from store.base import read_columns, utc_field


class Antenna(SQLModel, table=True):
    __tablename__ = "antennas"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True, index=True)
    name_nl: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    # The whole validated declaration, so rules read it back as an AntennaConfig.
    config: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    loaded_at: datetime = utc_field()

    def declaration(self) -> AntennaConfig:
        """The validated declaration, parsed once per load of the antenna (not once per call)."""
        return _parsed_declaration(self.id, self.loaded_at, self.config)


# (antenna id, loaded_at) -> (the config it was parsed from, the parsed declaration). The loader sets a new
# loaded_at with every change; the stored config is compared as well (equal dicts: cheap next to validating),
# so a row changed some other way is re-parsed instead of answering a stale declaration.
_DECLARATIONS: dict[tuple[int | None, datetime], tuple[dict[str, Any], AntennaConfig]] = {}
_DECLARATIONS_MAX = 512


def _parsed_declaration(antenna_id: int | None, loaded_at: datetime, config: dict[str, Any]) -> AntennaConfig:
    key = (antenna_id, loaded_at)
    cached = _DECLARATIONS.get(key)
    if cached is not None and cached[0] == config:
        return cached[1]
    parsed = AntennaConfig.model_validate(config)
    if len(_DECLARATIONS) >= _DECLARATIONS_MAX:
        _DECLARATIONS.clear()  # a handful of antennas: only tests that reload them often ever get here
    _DECLARATIONS[key] = (copy.deepcopy(config), parsed)
    return parsed


class Moderator(SQLModel, table=True):
    __tablename__ = "moderators"

    member_id: int = Field(foreign_key="members.id", primary_key=True)
    antenna_id: int = Field(foreign_key="antennas.id", primary_key=True, index=True)
    assigned_at: datetime = utc_field()


def list_antennas(session: Session) -> list[Antenna]:
    return list(session.exec(select(Antenna).order_by(Antenna.slug)))


def get_antenna(session: Session, antenna_id: int) -> Antenna | None:
    return session.get(Antenna, antenna_id)


def antennas_with_ids(session: Session, antenna_ids: set[int]) -> list[Antenna]:
    return list(session.exec(select(Antenna).where(col(Antenna.id).in_(antenna_ids))))


# Built once (read_columns in store/base.py): asked on most requests that name an antenna.
_ANTENNA_BY_SLUG = select(Antenna).where(col(Antenna.slug) == bindparam("slug"))
_MODERATED_ANTENNA_IDS = select(Moderator.antenna_id).where(col(Moderator.member_id) == bindparam("member_id"))


def get_antenna_by_slug(session: Session, slug: str) -> Antenna | None:
    return session.exec(_ANTENNA_BY_SLUG, params={"slug": slug}).first()


_ANTENNA_ID_BY_SLUG = select(Antenna.id).where(col(Antenna.slug) == bindparam("slug"))


def antenna_id_by_slug(session: Session, slug: str) -> int | None:
    """The id alone, for a route that only filters by the antenna (no ORM row is loaded)."""
    rows = read_columns(session, _ANTENNA_ID_BY_SLUG, {"slug": slug})
    return int(rows[0][0]) if rows else None


def moderated_antenna_ids(session: Session, member_id: int) -> set[int]:
    return {row[0] for row in read_columns(session, _MODERATED_ANTENNA_IDS, {"member_id": member_id})}


def is_moderator(session: Session, *, member_id: int, antenna_id: int) -> bool:
    return session.get(Moderator, (member_id, antenna_id)) is not None


def get_moderator(session: Session, *, member_id: int, antenna_id: int) -> Moderator | None:
    return session.get(Moderator, (member_id, antenna_id))


def antenna_moderator_ids(session: Session, antenna_id: int) -> list[int]:
    query = select(Moderator.member_id).where(Moderator.antenna_id == antenna_id)
    return list(session.exec(query.order_by(col(Moderator.member_id))))


def moderated_slugs(session: Session, member_id: int) -> list[str]:
    """The slugs of the antennas a member moderates, in order."""
    query = select(Antenna.slug).join(Moderator).where(Moderator.member_id == member_id).order_by(Antenna.slug)
    return list(session.exec(query))


def antennas_by_id(session: Session, ids: list[int]) -> dict[int, Antenna]:
    if not ids:
        return {}
    return {a.id or 0: a for a in session.exec(select(Antenna).where(col(Antenna.id).in_(ids)))}


def remove_moderator_roles(session: Session, member_id: int) -> None:
    """The member moderates no antenna any more (erasure)."""
    session.execute(delete(Moderator).where(col(Moderator.member_id) == member_id))
