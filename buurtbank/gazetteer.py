"""The offline gazetteer, read from the file shipped with the package (the domain gets it handed in).

domain/data/brussels_postcodes.csv (licences in domain/data/ATTRIBUTION.md) is read once per process;
domain/geo.py turns its rows into postcode areas and does everything else without touching a file.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from domain import geo

GAZETTEER_PATH = Path(geo.__file__).resolve().parent / "data" / "brussels_postcodes.csv"  # shipped with domain


@cache
def load_gazetteer(path: Path = GAZETTEER_PATH) -> geo.Gazetteer:
    """Postcode -> area, read once per path."""
    with path.open(newline="", encoding="utf-8") as handle:
        return geo.gazetteer_from_rows(csv.DictReader(handle), source=path.name)


def known_postcodes() -> frozenset[str]:
    return frozenset(load_gazetteer())


def postcode_centroid(code: str) -> geo.LatLon:
    """The centroid of a Brussels postcode; InvalidInput(field="postcode") for any other."""
    return geo.postcode_centroid(load_gazetteer(), code)


def gazetteer_geocoder() -> geo.GazetteerGeocoder:
    """Offline geocoding over the shipped gazetteer."""
    return geo.GazetteerGeocoder(load_gazetteer())
