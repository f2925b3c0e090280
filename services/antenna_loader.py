"""Loads antenna declarations into the database: idempotent, an edited file updates its antenna."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.antenna_config import AntennaConfig
from store.antennas import Antenna, get_antenna_by_slug
from store.base import utcnow


@dataclass(frozen=True, slots=True)
class LoadReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def load_antennas(session: Session, configs: list[AntennaConfig]) -> LoadReport:
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for config in configs:
        declared = config.model_dump(mode="json")
        antenna = get_antenna_by_slug(session, config.slug)
        if antenna is None:
            session.add(Antenna(slug=config.slug, name_nl=config.name_nl, name_fr=config.name_fr, config=declared))
            created.append(config.slug)
        elif antenna.config != declared or antenna.name_nl != config.name_nl or antenna.name_fr != config.name_fr:
            antenna.name_nl, antenna.name_fr, antenna.config = config.name_nl, config.name_fr, declared
            antenna.loaded_at = utcnow()
            session.add(antenna)
            updated.append(config.slug)
        else:
            unchanged.append(config.slug)
    session.flush()
    return LoadReport(created=created, updated=updated, unchanged=unchanged)
