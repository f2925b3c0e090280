"""Benchmark of a full matching round at Brussels scale. Prints numbers; not a test.

    python bench/matching.py            # >= 50k members, 20k open requests, 40k offers, ten antennas
    python bench/matching.py --small    # a tenth of that, for a quick look

The instance is synthetic but shaped like the real antennas: their postcodes, radius, languages and
circles come from antennas/*.toml, members live around their postcode centroids
(domain/data/brussels_postcodes.csv, else /work/shared/data/...), jittered and then coarsened to a
~100 m grid, with background mixes that follow each antenna's languages. It prints
1. the time of a round per antenna (build tables, candidates, scores, pruned min-cost flow, explanations)
   and in total;
2. the round's objective against the exact optimum of the same instance without candidate pruning;
3. a brute-force baseline: geopy.distance.distance on every (request, offer) pair of a subsample,
   extrapolated to all pairs of every antenna, as a speed-up ratio. The baseline only measures
   distances, not scores or the assignment, so the ratio flatters the baseline.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geopy.distance import distance as geopy_distance  # noqa: E402

from domain.antenna_config import AntennaConfig  # noqa: E402
from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS  # noqa: E402
from domain.categories import CATEGORIES  # noqa: E402
from domain.matching.model import Background, MemberProfile, Offer, OpenRequest, RoundInputs  # noqa: E402
from domain.matching.round import run_round  # noqa: E402

SEED = 20250301
COARSEN_DEGREES = 0.001  # the stored location grid (~110 m N-S, ~70 m E-W)
JITTER_M = 700.0

# Which regions of origin the antenna's extra languages hint at, to shape each antenna's mix.
LANGUAGE_ORIGINS: dict[str, tuple[str, ...]] = {
    "ar": ("Maghreb", "Middle East"),
    "tr": ("Turkey",),
    "ti": ("Sub-Saharan Africa",),
    "ln": ("Sub-Saharan Africa",),
    "es": ("EU", "Latin America"),
    "pt": ("EU", "Latin America"),
    "it": ("EU",),
    "pl": ("EU",),
    "ro": ("EU",),
    "en": ("North America and Oceania", "Asia"),
}
ORIGIN_LANGUAGES: dict[str, tuple[str, ...]] = {
    "BE": ("fr", "nl"),
    "EU": ("it", "es", "pt", "pl", "ro", "de", "el"),
    "Other Europe": ("ru", "uk", "sq", "sr"),
    "Maghreb": ("ar",),
    "Middle East": ("ar", "fa", "ku"),
    "Turkey": ("tr",),
    "Sub-Saharan Africa": ("ln", "sw", "ti", "wo"),
    "Latin America": ("es", "pt"),
    "Asia": ("zh", "hi", "ur", "vi"),
    "North America and Oceania": ("en",),
}
CATEGORY_WEIGHTS = {
    "visits_company": 14,
    "transport": 10,
    "shopping": 12,
    "paperwork": 12,
    "language_practice": 8,
    "digital_help": 12,
    "small_repairs": 9,
    "gardening": 5,
    "cooking": 5,
    "accompanying": 7,
    "translation": 6,
}


@dataclass(frozen=True, slots=True)
class Antenna:
    config: AntennaConfig
    centroids: np.ndarray
    """(k, 2) lat/lon of the antenna's postcodes."""


def load_antennas() -> list[Antenna]:
    local = ROOT / "domain" / "data" / "brussels_postcodes.csv"
    path = local if local.exists() else Path("/work/shared/data/brussels_postcodes.csv")
    with path.open(encoding="utf-8") as fh:
        centroid = {row["postcode"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(fh)}
    antennas = []
    for toml_file in sorted((ROOT / "antennas").glob("*.toml")):
        config = AntennaConfig.model_validate(tomllib.loads(toml_file.read_text(encoding="utf-8")))
        points = np.array([centroid[p] for p in config.area.postcodes if p in centroid])
        antennas.append(Antenna(config=config, centroids=points))
    return antennas


def _origin_weights(config: AntennaConfig) -> np.ndarray:
    weights = {o: 1.0 for o in ORIGINS}
    weights["BE"] = 14.0
    weights["EU"] = 5.0
    for lang in config.languages:
        for origin in LANGUAGE_ORIGINS.get(lang, ()):
            weights[origin] += 3.0
    w = np.array([weights[o] for o in ORIGINS])
    return w / w.sum()


def _locations(rng: np.random.Generator, antenna: Antenna, n: int) -> tuple[np.ndarray, np.ndarray]:
    which = rng.integers(0, len(antenna.centroids), n)
    base = antenna.centroids[which]
    north = rng.normal(0, JITTER_M, n) / 111_195.0
    east = rng.normal(0, JITTER_M, n) / (111_195.0 * np.cos(np.radians(base[:, 0])))
    lat = np.round((base[:, 0] + north) / COARSEN_DEGREES) * COARSEN_DEGREES
    lon = np.round((base[:, 1] + east) / COARSEN_DEGREES) * COARSEN_DEGREES
    return lat, lon


def _slots(rng: np.random.Generator, *, flexible_share: float, low: int, high: int) -> frozenset[str]:
    if rng.random() < flexible_share:
        return frozenset()
    count = int(rng.integers(low, high + 1))
    return frozenset(AVAILABILITY_SLOTS[i] for i in rng.choice(len(AVAILABILITY_SLOTS), count, replace=False))


def _background(rng: np.random.Generator, config: AntennaConfig, origin_p: np.ndarray) -> Background:
    origin = str(rng.choice(ORIGINS, p=origin_p))
    home = ORIGIN_LANGUAGES[origin]
    langs = {str(rng.choice(home))}
    if origin != "BE":
        langs.add("fr" if rng.random() < 0.75 else "nl")
    elif rng.random() < 0.25:
        langs.add("nl" if "fr" in langs else "fr")
    if rng.random() < 0.3:
        langs.add("en")
    circles = [c.key for c in config.circles]
    # Circles follow origin: people come in through their own community more often than not.
    circle = circles[ORIGINS.index(origin) % len(circles)] if rng.random() < 0.5 else str(rng.choice(circles))
    age = str(rng.choice(AGE_BANDS, p=[0.14, 0.34, 0.26, 0.18, 0.08]))
    return Background(
        languages=frozenset(langs) if rng.random() < 0.8 else None,
        origin=origin if rng.random() < 0.7 else None,
        age_band=age if rng.random() < 0.85 else None,
        circle=circle if circles and rng.random() < 0.75 else None,
    )


def build_instance(
    rng: np.random.Generator, antenna: Antenna, *, members: int, requests: int, offers: int, first_id: int
) -> RoundInputs:
    config = antenna.config
    origin_p = _origin_weights(config)
    ids = np.arange(first_id, first_id + members)
    profiles = []
    for mid in ids:
        newcomer = rng.random() < 0.35
        profiles.append(
            MemberProfile(
                int(mid),
                _background(rng, config, origin_p),
                completed_exchanges=0 if newcomer else int(rng.poisson(5)),
                minutes_given=int(rng.gamma(1.5, 200)),
                minutes_received=int(rng.gamma(1.5, 200)),
                open_load=int(rng.choice([0, 1, 2], p=[0.72, 0.23, 0.05])),
                paused=bool(rng.random() < 0.03),
            )
        )
    cat_keys = [c.key for c in CATEGORIES]
    cat_p = np.array([CATEGORY_WEIGHTS[k] for k in cat_keys], dtype=float)
    cat_p /= cat_p.sum()
    now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    r_lat, r_lon = _locations(rng, antenna, requests)
    requesters = rng.choice(ids, requests)
    r_cat = rng.choice(cat_keys, requests, p=cat_p)
    open_requests = [
        OpenRequest(
            first_id + i,
            int(requesters[i]),
            str(r_cat[i]),
            float(r_lat[i]),
            float(r_lon[i]),
            _slots(rng, flexible_share=0.3, low=2, high=6),
            now - timedelta(hours=int(rng.integers(0, 24 * 30))),
        )
        for i in range(requests)
    ]
    o_lat, o_lon = _locations(rng, antenna, offers)
    # Fewer helpers than offers: some members offer several kinds of help.
    helpers = rng.choice(ids[: max(1, int(members * 0.55))], offers)
    o_cat = rng.choice(cat_keys, offers, p=cat_p)
    standing_offers = [
        Offer(
            first_id + i,
            int(helpers[i]),
            str(o_cat[i]),
            float(o_lat[i]),
            float(o_lon[i]),
            _slots(rng, flexible_share=0.25, low=3, high=8),
        )
        for i in range(offers)
    ]
    exclusions = {(int(a), int(b)) for a, b in rng.choice(ids, (requests // 10, 2))}
    return RoundInputs.build(requests=open_requests, offers=standing_offers, members=profiles, exclusions=exclusions)


def geopy_baseline_seconds_per_pair(rng: np.random.Generator, inputs: RoundInputs, *, pairs: int) -> float:
    side = int(np.sqrt(pairs))
    reqs = [inputs.requests[i] for i in rng.choice(len(inputs.requests), side, replace=False)]
    offs = [inputs.offers[i] for i in rng.choice(len(inputs.offers), side, replace=False)]
    start = time.perf_counter()
    near = 0
    for r in reqs:
        for o in offs:
            # What a naive matcher does: measure every pair, keep those within the radius.
            near += geopy_distance((r.lat, r.lon), (o.lat, o.lon)).m <= 2000.0
    return (time.perf_counter() - start) / (len(reqs) * len(offs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tenth of the Brussels-scale instance")
    args = parser.parse_args()
    scale = 0.1 if args.small else 1.0
    total_members, total_requests, total_offers = int(50_000 * scale), int(20_000 * scale), int(40_000 * scale)

    rng = np.random.default_rng(SEED)
    antennas = load_antennas()
    n = len(antennas)
    print(f"instance: {n} antennas, {total_members} members, {total_requests} open requests, {total_offers} offers")
    started = time.perf_counter()
    instances = [
        build_instance(
            rng,
            a,
            members=total_members // n,
            requests=total_requests // n,
            offers=total_offers // n,
            first_id=1 + k * 1_000_000,
        )
        for k, a in enumerate(antennas)
    ]
    print(f"built the synthetic instance in {time.perf_counter() - started:.1f} s (not part of the round)\n")

    header = f"{'antenna':<22}{'radius':>7}{'requests':>9}{'cands':>10}{'props':>7}{'unmatched':>10}"
    header += f"{'mean m':>8}{'bridging':>9}{'round s':>9}{'exact s':>9}{'ratio':>9}"
    print(header)
    round_total = exact_total = 0.0
    objective = optimum = 0.0
    for antenna, inputs in zip(antennas, instances, strict=True):
        cfg = antenna.config
        t0 = time.perf_counter()
        result = run_round(inputs, cfg.matching, radius_km=cfg.area.radius_km)
        t1 = time.perf_counter()
        exact = run_round(inputs, cfg.matching, radius_km=cfg.area.radius_km, top_k=None).objective
        t2 = time.perf_counter()
        round_total += t1 - t0
        exact_total += t2 - t1
        objective += result.objective
        optimum += exact
        s = result.summary
        print(
            f"{cfg.slug:<22}{cfg.area.radius_km:>6.1f}k{s.requests_seen:>9}{s.candidates:>10}{s.proposals:>7}"
            f"{s.unmatched:>10}{s.mean_distance_m:>8.0f}{s.bridging_share:>9.1%}{t1 - t0:>9.2f}{t2 - t1:>9.2f}"
            f"{result.objective / exact:>9.5f}"
        )
    print(f"\nfull round, all antennas: {round_total:.2f} s (target < 5 s)")
    print(f"exact optimum without pruning: {exact_total:.2f} s")
    print(f"objective {objective:.1f} / optimum {optimum:.1f} = {objective / optimum:.5f} (target >= 0.995)")

    per_pair = geopy_baseline_seconds_per_pair(rng, instances[0], pairs=40_000 if not args.small else 10_000)
    all_pairs = sum(len(i.requests) * len(i.offers) for i in instances)
    city_pairs = total_requests * total_offers
    print(f"\nbrute force geopy.distance.distance: {per_pair * 1e6:.1f} us per pair (measured on a subsample)")
    print(
        f"  all pairs within each antenna: {all_pairs:,} pairs -> {all_pairs * per_pair:,.0f} s extrapolated, "
        f"speed-up of our round x{all_pairs * per_pair / round_total:,.0f}"
    )
    print(
        f"  all pairs across the city:     {city_pairs:,} pairs -> {city_pairs * per_pair:,.0f} s extrapolated, "
        f"speed-up x{city_pairs * per_pair / round_total:,.0f}"
    )


if __name__ == "__main__":
    main()
