from __future__ import annotations

import math

import numpy as np
import pytest

from buurtbank.gazetteer import known_postcodes, load_gazetteer, postcode_centroid
from domain import geo
from domain.errors import InvalidInput
from domain.geo import (
    GRID_LAT_DEG,
    GRID_LON_DEG,
    GazetteerGeocoder,
    Geocoder,
    coarsen,
    distance_band,
    distance_km,
    haversine_km,
    pairwise_km,
)

GRAND_PLACE = (50.8467, 4.3525)


def offset(point: tuple[float, float], *, north_m: float, east_m: float) -> tuple[float, float]:
    """A point moved by metres (flat-earth approximation, plenty for a few hundred metres)."""
    lat, lon = point
    return (lat + north_m / 111_195, lon + east_m / (111_195 * math.cos(math.radians(lat))))


# --- gazetteer ---------------------------------------------------------------------------------------------


def test_gazetteer_has_the_22_brussels_postcodes_once_each() -> None:
    gazetteer = load_gazetteer()
    assert len(gazetteer) == 22
    assert known_postcodes() == frozenset(gazetteer)
    municipalities = {m.nis for area in gazetteer.values() for m in area.municipalities}
    assert len(municipalities) == 19  # the region's 19 municipalities


def test_a_postcode_spanning_two_municipalities_keeps_one_centroid() -> None:
    etterbeek = load_gazetteer()["1040"]
    assert {m.nis for m in etterbeek.municipalities} == {"21004", "21005"}
    assert etterbeek.centroid == (50.83685, 4.38951)


def test_postcode_centroid() -> None:
    assert postcode_centroid("1080") == (50.85436, 4.32278)
    assert postcode_centroid(" 1020 ") == (50.88339, 4.34871)


@pytest.mark.parametrize("code", ["9999", "1999", "abcd", ""])
def test_unknown_postcode(code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        postcode_centroid(code)
    assert info.value.field == "postcode"


def _row(postcode: str, lat: str, nis: str, locality: str) -> dict[str, str]:
    return {
        "postcode": postcode, "lat": lat, "lon": "4.35", "municipality_nis": nis, "municipality_fr": f"Commune {nis}",
        "municipality_nl": f"Gemeente {nis}", "locality_fr": locality, "locality_nl": locality,
    }  # fmt: skip


def test_the_gazetteer_is_built_from_rows_handed_in() -> None:
    """The domain reads no file: the rows come from buurtbank/gazetteer.py (here: from the test)."""
    gazetteer = geo.gazetteer_from_rows(
        [_row("1000", "50.85", "21004", "Bruxelles"), _row("1000", "50.85", "21005", "Bruxelles")], source="test"
    )
    assert list(gazetteer) == ["1000"] and len(gazetteer["1000"].municipalities) == 2
    assert geo.postcode_centroid(gazetteer, " 1000 ") == (50.85, 4.35)
    assert GazetteerGeocoder(gazetteer).postcode_for("Grand-Place, Bruxelles") == "1000"
    with pytest.raises(InvalidInput):
        geo.postcode_centroid(gazetteer, "1080")  # Brussels, but not in this gazetteer
    with pytest.raises(ValueError, match="test: postcode 1000 has two different centroids"):
        geo.gazetteer_from_rows([_row("1000", "50.85", "1", "A"), _row("1000", "50.86", "2", "A")], source="test")


def test_gazetteer_centroids_are_inside_the_region() -> None:
    for area in load_gazetteer().values():
        coarsen(*area.centroid)  # raises if outside


# --- coarsening --------------------------------------------------------------------------------------------


def test_coarsen_is_idempotent_and_snaps_to_the_grid() -> None:
    snapped = coarsen(*GRAND_PLACE)
    assert coarsen(*snapped) == snapped
    # A cell centre sits half a step off the grid lines.
    assert (snapped[0] / GRID_LAT_DEG) % 1 == pytest.approx(0.5, abs=1e-3)
    assert (snapped[1] / GRID_LON_DEG) % 1 == pytest.approx(0.5, abs=1e-3)


def test_grid_cells_are_about_250_m() -> None:
    lat = 50.85
    assert distance_km((lat, 4.35), (lat + GRID_LAT_DEG, 4.35)) == pytest.approx(0.25, rel=0.02)
    assert distance_km((lat, 4.35), (lat, 4.35 + GRID_LON_DEG)) == pytest.approx(0.25, rel=0.02)


def test_snapped_point_stays_within_180_m() -> None:
    rng = np.random.default_rng(7)
    lats = rng.uniform(50.78, 50.90, 2000)
    lons = rng.uniform(4.27, 4.46, 2000)
    worst = max(distance_km((la, lo), coarsen(la, lo)) for la, lo in zip(lats, lons, strict=True))
    assert worst < 0.180


def test_points_50_m_apart_usually_snap_together() -> None:
    rng = np.random.default_rng(11)
    together = 0
    trials = 2000
    for _ in range(trials):
        start = (rng.uniform(50.80, 50.88), rng.uniform(4.30, 4.42))
        bearing = rng.uniform(0, 2 * math.pi)
        other = offset(start, north_m=50 * math.cos(bearing), east_m=50 * math.sin(bearing))
        together += coarsen(*start) == coarsen(*other)
    # For a 250 m cell and a 50 m step the expected share is about 75 %.
    assert together / trials > 0.65


def test_two_points_far_apart_stay_apart() -> None:
    assert coarsen(*GRAND_PLACE) != coarsen(*offset(GRAND_PLACE, north_m=400, east_m=0))


@pytest.mark.parametrize(
    "point",
    [
        (50.9, 4.7),  # Leuven direction
        (51.2194, 4.4025),  # Antwerp
        (48.8566, 2.3522),  # Paris
        (50.70, 4.35),  # south of the region
        (math.nan, 4.35),
        (50.85, math.inf),
    ],
)
def test_points_outside_brussels_are_refused(point: tuple[float, float]) -> None:
    with pytest.raises(InvalidInput) as info:
        coarsen(*point)
    assert info.value.field == "location"


def test_the_region_edge_is_accepted() -> None:
    coarsen(50.76, 4.24)
    coarsen(50.92, 4.49)


# --- distances ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("km", "band"),
    [
        (0.0, "under_500m"),
        (0.499, "under_500m"),
        (0.5, "500m_1km"),
        (0.99, "500m_1km"),
        (1.0, "1_2km"),
        (1.99, "1_2km"),
        (2.0, "2_5km"),
        (4.99, "2_5km"),
        (5.0, "over_5km"),
        (42.0, "over_5km"),
    ],
)
def test_distance_band(km: float, band: str) -> None:
    assert distance_band(km) == band


@pytest.mark.parametrize("km", [-0.1, math.nan, math.inf])
def test_distance_band_refuses_non_distances(km: float) -> None:
    with pytest.raises(ValueError):
        distance_band(km)


def test_distance_km_between_known_places() -> None:
    # Grand-Place to Molenbeek's centroid: a bit over 2 km.
    assert 1.8 < distance_km(GRAND_PLACE, postcode_centroid("1080")) < 2.4
    assert distance_km(GRAND_PLACE, GRAND_PLACE) == 0


def test_haversine_agrees_with_geodesic_within_half_a_percent() -> None:
    rng = np.random.default_rng(3)
    a = np.column_stack([rng.uniform(50.77, 50.91, 300), rng.uniform(4.25, 4.48, 300)])
    b = np.column_stack([rng.uniform(50.77, 50.91, 300), rng.uniform(4.25, 4.48, 300)])
    fast = haversine_km(a, b)
    assert fast.shape == (300,)
    for pa, pb, km in zip(a, b, fast, strict=True):
        exact = distance_km(tuple(pa), tuple(pb))
        if exact > 0.05:  # relative error is meaningless for near-identical points
            assert abs(km - exact) / exact < 0.005


def test_pairwise_matrix_matches_elementwise() -> None:
    points = [postcode_centroid(code) for code in ("1000", "1020", "1080")]
    matrix = pairwise_km(points, points)
    assert matrix.shape == (3, 3)
    assert np.allclose(np.diag(matrix), 0)
    assert np.allclose(matrix, matrix.T)
    assert matrix[0, 2] == pytest.approx(float(haversine_km(points[0], points[2])))


def test_haversine_rejects_badly_shaped_input() -> None:
    with pytest.raises(ValueError):
        haversine_km([[50.85, 4.35, 0.0]], [[50.85, 4.35, 0.0]])


# --- geocoding ---------------------------------------------------------------------------------------------


def test_gazetteer_geocoder_finds_the_postcode_in_an_address() -> None:
    geocoder: Geocoder = GazetteerGeocoder(load_gazetteer())
    assert geocoder.geocode("Rue X 12, 1080 Molenbeek") == coarsen(*postcode_centroid("1080"))


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("Laken", "1020"),
        ("laeken", "1020"),
        ("LAEKEN", "1020"),
        ("Ixelles", "1050"),
        ("elsene", "1050"),
        ("Sint-Jans-Molenbeek", "1080"),
        ("molenbeek saint jean", "1080"),
        ("Molenbeek", "1080"),
        ("Saint-Josse-ten-Noode", "1210"),
        ("Schaerbeek", "1030"),
        ("Bruxelles", "1000"),
        ("Chaussée de Jette 3, Koekelberg", "1081"),  # the locality, not the street's name
        ("Chaussée de Waterloo 1050, 1180 Uccle", "1180"),  # a house number that looks like a postcode
        ("Woluwé-Saint-Lambert", "1200"),
    ],
)
def test_gazetteer_geocoder_names_and_accents(text: str, postcode: str) -> None:
    geocoder = GazetteerGeocoder(load_gazetteer())
    assert geocoder.postcode_for(text) == postcode
    assert geocoder.geocode(text) == coarsen(*postcode_centroid(postcode))


@pytest.mark.parametrize("text", ["", "Paris", "Rue de la Loi", "9000 Gent"])
def test_gazetteer_geocoder_unknown_text(text: str) -> None:
    assert GazetteerGeocoder(load_gazetteer()).geocode(text) is None
