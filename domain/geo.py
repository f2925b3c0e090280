"""Where members are, as coarsely as matching allows: the offline gazetteer, coarsening and distances.

Privacy rule: nothing in this module hands out a precise address. Every point that comes from a member's
text (geocoding: offline here, over the network in buurtbank.geocoding) goes through `coarsen()`, which
snaps it to a grid of about 250 m and refuses points outside the Brussels-Capital Region. Postcode
centroids are public reference data, not addresses, and are returned as they are.

The gazetteer is handed in: buurtbank/gazetteer.py reads the shipped file (domain/data/brussels_postcodes.csv,
described with its licences in domain/data/ATTRIBUTION.md) and builds it with gazetteer_from_rows().
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import numpy as np
from geopy.distance import geodesic
from numpy.typing import ArrayLike, NDArray

from domain.errors import InvalidInput

LatLon = tuple[float, float]

# The Brussels-Capital Region's bounding box (every gazetteer centroid lies inside it), widened by a small
# margin so that a point on the region's edge is not refused because of rounding in a geocoder.
BBOX_MARGIN_DEG = 0.005
LAT_MIN, LAT_MAX = 50.76 - BBOX_MARGIN_DEG, 50.92 + BBOX_MARGIN_DEG
LON_MIN, LON_MAX = 4.24 - BBOX_MARGIN_DEG, 4.49 + BBOX_MARGIN_DEG

# Coarsening grid, in degrees, sized for Brussels' latitude (about 50.85 N) so that a cell is roughly
# 250 m x 250 m: one degree of latitude is about 111.2 km, so 0.00225 deg ~ 250 m; one degree of longitude is
# 111.3 km x cos(50.85 deg) ~ 70.3 km, so 0.00355 deg ~ 250 m. A point is replaced by its cell's centre, so
# the shown point is at most half a diagonal (~177 m) from the real one. A fixed grid in degrees (rather than
# a projection) is good enough over a region 18 km across and keeps the cells identical for every caller.
GRID_LAT_DEG = 0.00225
GRID_LON_DEG = 0.00355

# Mean Earth radius (IUGG), for the spherical bulk formula. Against the WGS84 ellipsoid it is off by at most
# ~0.3 % at Brussels' latitude (east-west distances), which is fine for ranking candidates.
EARTH_RADIUS_KM = 6371.0088

# Upper bounds (exclusive, km) of the distance bands shown to members instead of exact distances.
DISTANCE_BANDS: tuple[tuple[float, str], ...] = (
    (0.5, "under_500m"),
    (1.0, "500m_1km"),
    (2.0, "1_2km"),
    (5.0, "2_5km"),
)
FARTHEST_BAND = "over_5km"


# --- the gazetteer -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Municipality:
    nis: str
    name_fr: str
    name_nl: str


@dataclass(frozen=True, slots=True)
class PostcodeArea:
    postcode: str
    locality_fr: str
    locality_nl: str
    municipalities: tuple[Municipality, ...]
    centroid: LatLon


Gazetteer = Mapping[str, PostcodeArea]


def gazetteer_from_rows(rows: Iterable[Mapping[str, str]], *, source: str) -> Gazetteer:
    """Postcode -> area from the gazetteer's rows (read by buurtbank/gazetteer.py). Rows of a postcode
    spanning two municipalities merge into one entry; `source` names the data in an error."""
    areas: dict[str, PostcodeArea] = {}
    for row in rows:
        code = row["postcode"].strip()
        centroid = (float(row["lat"]), float(row["lon"]))
        municipality = Municipality(
            nis=row["municipality_nis"].strip(),
            name_fr=row["municipality_fr"].strip(),
            name_nl=row["municipality_nl"].strip(),
        )
        known = areas.get(code)
        if known is None:
            areas[code] = PostcodeArea(
                postcode=code,
                locality_fr=row["locality_fr"].strip(),
                locality_nl=row["locality_nl"].strip(),
                municipalities=(municipality,),
                centroid=centroid,
            )
            continue
        # One centroid per postcode: a second row may only add a municipality. A disagreement means the
        # data file was edited wrongly, and matching would silently depend on row order.
        if known.centroid != centroid:
            raise ValueError(f"{source}: postcode {code} has two different centroids")
        areas[code] = PostcodeArea(
            postcode=code,
            locality_fr=known.locality_fr,
            locality_nl=known.locality_nl,
            municipalities=(*known.municipalities, municipality),
            centroid=known.centroid,
        )
    # Read-only: the mapping is shared by every caller.
    return MappingProxyType(areas)


def postcode_centroid(gazetteer: Gazetteer, code: str) -> LatLon:
    """The postcode's approximate centroid; InvalidInput(field="postcode") if not a Brussels postcode."""
    area = gazetteer.get(code.strip())
    if area is None:
        raise InvalidInput("error.location.outside_brussels", field="postcode", postcode=code)
    return area.centroid


# --- coarsening and distances ------------------------------------------------------------------------------


def in_brussels(lat: float, lon: float) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def coarsen(lat: float, lon: float) -> LatLon:
    """Snap a point to the centre of its ~250 m grid cell; InvalidInput(field="location") outside Brussels."""
    # math.isfinite first: NaN compares False with everything and would slip through the box test.
    if not (math.isfinite(lat) and math.isfinite(lon) and in_brussels(lat, lon)):
        raise InvalidInput("error.location.outside_brussels", field="location", lat=lat, lon=lon)
    cell_lat = math.floor(lat / GRID_LAT_DEG)
    cell_lon = math.floor(lon / GRID_LON_DEG)
    # Rounded to 6 decimals (~0.1 m) so that equal cells give equal floats, whatever the float noise.
    return (round((cell_lat + 0.5) * GRID_LAT_DEG, 6), round((cell_lon + 0.5) * GRID_LON_DEG, 6))


def distance_km(a: LatLon, b: LatLon) -> float:
    """Geodesic (WGS84) distance, for distances shown to people."""
    return float(geodesic(a, b).km)


def published_km(km: float) -> float:
    """A distance as shown to members, to the half kilometre; filters compare with this, never the exact one."""
    return round(km * 2) / 2


def distance_band(km: float) -> str:
    """The band key shown instead of an exact distance (exact distances of coarse points mislead anyway)."""
    if not math.isfinite(km) or km < 0:
        raise ValueError(f"not a distance: {km!r}")
    for upper, key in DISTANCE_BANDS:
        if km < upper:
            return key
    return FARTHEST_BAND


def haversine_km(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distances between points given as [..., 2] arrays of (lat, lon) degrees; broadcasts.

    For bulk work (candidate search over many members) where geodesic() per pair would be too slow. For an
    n x m matrix pass `a[:, None, :]` and `b[None, :, :]`, or use `pairwise_km`.
    """
    pa = np.radians(np.asarray(a, dtype=np.float64))
    pb = np.radians(np.asarray(b, dtype=np.float64))
    if pa.shape[-1:] != (2,) or pb.shape[-1:] != (2,):
        raise ValueError("points must be arrays whose last axis is (lat, lon)")
    lat1, lon1 = pa[..., 0], pa[..., 1]
    lat2, lon2 = pb[..., 0], pb[..., 1]
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    # clip: rounding can push h a hair above 1 for antipodal points, and arcsin would return NaN.
    km: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return km


def pairwise_km(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """An (n, m) matrix of haversine distances between n points `a` and m points `b`, each (lat, lon)."""
    pa = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    pb = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    return haversine_km(pa[:, None, :], pb[None, :, :])


def distances_km(origin: LatLon | None, points: Sequence[LatLon | None]) -> list[float | None]:
    """Distances from one origin to each point in one numpy pass (a page of listings); None where unknown.

    Haversine, not geodesic: at city scale the two differ by well under the 0.5 km that is ever shown.
    """
    return pair_distances_km([origin] * len(points), points)


def pair_distances_km(a: Sequence[LatLon | None], b: Sequence[LatLon | None]) -> list[float | None]:
    """Distances between a[i] and b[i] for every i in one numpy pass; None where either point is unknown."""
    if len(a) != len(b):
        raise ValueError("a and b must have the same length")
    known = [(i, p, q) for i, (p, q) in enumerate(zip(a, b, strict=True)) if p is not None and q is not None]
    result: list[float | None] = [None] * len(a)
    if known:
        km = haversine_km([p for _, p, _ in known], [q for _, _, q in known])
        for (i, _, _), value in zip(known, km.tolist(), strict=True):
            result[i] = float(value)
    return result


# --- geocoding ---------------------------------------------------------------------------------------------


class Geocoder(Protocol):
    def geocode(self, text: str) -> LatLon | None:
        """A coarsened point inside Brussels for free text (an address, a postcode, a place), or None."""
        ...


def _fold(text: str) -> str:
    """Lower case, no accents, single spaces between words: 'Sint-Jans-Molenbeek' -> 'sint jans molenbeek'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.split(r"[^0-9a-z]+", bare.casefold())).strip()


# Short names people use that the gazetteer does not spell out (added by hand, like the Dutch names).
_EXTRA_NAMES: Mapping[str, str] = {
    "molenbeek": "1080",
    "saint josse": "1210",
    "sint joost": "1210",
    "berchem": "1082",
    "watermael": "1170",
    "boitsfort": "1170",
    "bosvoorde": "1170",
    "brussels": "1000",
    "neder over heembeek": "1120",
    "noh": "1120",
}

_POSTCODE_RE = re.compile(r"(?<!\d)(1\d{3})(?!\d)")


class GazetteerGeocoder:
    """Offline geocoding to a postcode centroid: a Brussels postcode in the text, else a locality name.

    A postcode wins over names because street names often carry a municipality's name ("Chaussée de Jette"
    in Koekelberg). Without a postcode, the name mentioned last wins, as addresses end with the locality;
    a locality name outranks a municipality name that covers several postcodes ("Bruxelles").
    """

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._areas = gazetteer
        self._names = self._name_index(self._areas)

    @staticmethod
    def _name_index(areas: Gazetteer) -> dict[str, str]:
        names: dict[str, str] = {}
        # Municipality names first, so that a locality name with the same spelling overwrites them.
        for area in areas.values():
            for municipality in area.municipalities:
                for name in (municipality.name_fr, municipality.name_nl):
                    names.setdefault(_fold(name), area.postcode)
        for area in areas.values():
            for name in (area.locality_fr, area.locality_nl):
                names[_fold(name)] = area.postcode
        for name, code in _EXTRA_NAMES.items():
            if code in areas:
                names.setdefault(name, code)
        return names

    def postcode_for(self, text: str) -> str | None:
        # The last match: a long road's house number can look like a postcode ("Chaussée de Waterloo 1050,
        # 1180 Uccle"), and in a Belgian address the postcode comes after the number.
        codes = [m.group(1) for m in _POSTCODE_RE.finditer(text) if m.group(1) in self._areas]
        if codes:
            return codes[-1]
        folded = f" {_fold(text)} "
        best: tuple[int, int, str] | None = None  # (end position, length, postcode)
        for name, code in self._names.items():
            position = folded.rfind(f" {name} ")
            if position < 0:
                continue
            candidate = (position + len(name), len(name), code)
            if best is None or candidate > best:
                best = candidate
        return best[2] if best else None

    def geocode(self, text: str) -> LatLon | None:
        code = self.postcode_for(text)
        if code is None:
            return None
        return coarsen(*self._areas[code].centroid)
