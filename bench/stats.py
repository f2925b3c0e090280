"""Accuracy of the differentially private statistics releases at the default parameters.

    python bench/stats.py [--repeats 200] [--seed 1]

For synthetic antennas with 50, 200 and 1,000 active members in a quarter (and the same antennas' busiest
month, a third of the quarter's exchanges), it makes the releases the service makes (stats/rules: bounded
contributions, OpenDP noise, the default epsilon and bounds from buurtbank/settings.py) `--repeats` times and
reports, per figure, the median relative error |released - exact| / exact against the exact, unbounded figure
(bounds and noise together), and how often the figure is published rather than withheld as too noisy.

The activity is shaped like a timebank's: most members take part in a few exchanges a quarter (Poisson, mean
4 participations), a few hubs in many more (bounds clip them); partners are mostly neighbours in a ring (local
help) with some long ties; minutes are multiples of 15 between 30 and 180; 70% of members declared a
background; each member posts about one request and one offer.

No database: the release is pure rules, and the queries' correctness is tested elsewhere (tests/).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from buurtbank.settings import Settings  # noqa: E402
from stats.rules import figures as f  # noqa: E402
from stats.rules.backgrounds import BackgroundProfile  # noqa: E402
from stats.rules.bounded import Shared  # noqa: E402
from stats.rules.noise import laplace  # noqa: E402
from stats.rules.windows import window_from_label  # noqa: E402
from stats.service import parameters  # noqa: E402

SIZES = (50, 200, 1000)
ORIGINS = ("BE", "Maghreb", "EU", "Sub-Saharan Africa", "Latin America")
LANGUAGES = ("nl", "fr", "ar", "en", "es", "tr")
AGES = ("18-24", "25-44", "45-64", "65-79")


def synthetic(active: int, *, share: float, rng: random.Random) -> f.WindowData:
    """One antenna's window with `active` members taking part (share: 1 for a quarter, ~1/3 for a month)."""
    pairs: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    hubs = set(rng.sample(range(active), max(1, active // 25)))
    for member in range(active):
        mean = 4 * share * (5 if member in hubs else 1)
        wanted = max(1, _poisson(rng, mean))
        for _ in range(math.ceil(wanted / 2)):
            if rng.random() < 0.8:
                other = (member + rng.choice((-3, -2, -1, 1, 2, 3))) % active
            else:
                other = rng.randrange(active)
            if other == member:
                continue
            giver, receiver = (member, other) if rng.random() < 0.5 else (other, member)
            row = pairs[(giver, receiver)]
            row[0] += 1
            row[1] += 15 * rng.randint(2, 12)
    activity = tuple(f.PairActivity(g, r, n, m) for (g, r), (n, m) in pairs.items())
    profiles = {}
    for member in range(active):
        if rng.random() < 0.7:
            profiles[member] = BackgroundProfile(
                languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                origin=rng.choices(ORIGINS, weights=(50, 20, 15, 10, 5))[0],
                age_band=rng.choice(AGES),
            )
    requests = {m: _poisson(rng, 1.2 * share) for m in range(active)}
    offers = {m: _poisson(rng, 1.0 * share) for m in range(active)}
    matched = [Shared(g, r, 1) for (g, r) in list(pairs)[: sum(requests.values()) // 2]]
    decisions = tuple(
        f.PairDecisions(
            g, r, approved=1 + (n > 1), rejected=int(rng.random() < 0.2), accepted=1, declined=int(rng.random() < 0.3)
        )  # fmt: skip
        for (g, r), (n, _) in pairs.items()
        if rng.random() < 0.6
    )
    pool_in = {m: 30 * rng.randint(1, 4) for m in rng.sample(range(active), active // 10)}
    pool_out = {m: 60 * rng.randint(1, 3) for m in rng.sample(range(active), active // 15)}
    return f.WindowData(
        registered=int(active * 1.6), approved=int(active * 1.4), pairs=activity, offers=offers, requests=requests,
        matched=tuple(matched), decisions=decisions, pool_in=pool_in, pool_out=pool_out, profiles=profiles,
    )  # fmt: skip


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _values(base: dict[f.FigureKey, f.Estimate]) -> dict[tuple[str, str | None], tuple[float | None, bool]]:
    """Every figure's value before withholding, and whether it would be published."""
    published = {(x.measure, x.dimension): x for x in f.figures(base)}
    saved = f.MAX_RELATIVE_HALF_WIDTH, f.MAX_SHARE_WIDTH
    f.MAX_RELATIVE_HALF_WIDTH = f.MAX_SHARE_WIDTH = math.inf
    try:
        raw = {(x.measure, x.dimension): x.value for x in f.figures(base)}
    finally:
        f.MAX_RELATIVE_HALF_WIDTH, f.MAX_SHARE_WIDTH = saved
    return {k: (raw[k], published[k].value is not None) for k in raw if published[k].reason != f.Reason.NOT_RELEASED}


def measure(data: f.WindowData, *, bounds: f.Bounds, epsilon: float, repeats: int) -> dict:
    exact_base = f.exact_values(data)
    exact = _values({k: f.Estimate(float(v), 0.0, 0.0) for k, v in exact_base.items()})
    bounded = f.bounded_values(data, bounds)
    shares = f.epsilon_shares(epsilon)
    errors: dict[tuple[str, str | None], list[float]] = defaultdict(list)
    shown: dict[tuple[str, str | None], int] = defaultdict(int)
    for _ in range(repeats):
        noisy = {
            x.key: f.estimate(laplace(bounded[x.key], sensitivity=f.sensitivity(x, bounds), epsilon=shares[x.key]))
            for x in f.BASE_FIGURES
        }
        for key, (value, published) in _values(noisy).items():
            truth = exact[key][0]
            if truth is None or truth == 0 or value is None:
                continue
            errors[key].append(abs(value - truth) / abs(truth))
            shown[key] += published
    return {key: (statistics.median(errs), shown[key] / repeats, exact[key][0]) for key, errs in errors.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    params = parameters(Settings())
    rng = random.Random(args.seed)
    began = time.perf_counter()
    results = {}
    for label, share in (("2026-Q1", 1.0), ("2026-03", 0.4)):
        window = window_from_label(label)
        for size in SIZES:
            data = synthetic(size, share=share, rng=rng)
            results[(label, size)] = measure(
                data, bounds=params.bounds(window), epsilon=params.epsilon(window), repeats=args.repeats
            )
    print(
        f"epsilon: month {params.epsilon_month}, quarter {params.epsilon_quarter}, budget per quarter "
        f"{params.budget_per_quarter}; quarter bounds {params.quarter_bounds.as_dict()}, month bounds "
        f"{params.month_bounds.as_dict()}; {args.repeats} releases each"
    )
    print("median relative error (bounds and noise) / share of releases where the figure is published")
    for label, kind in (("2026-Q1", "quarter"), ("2026-03", "month")):
        print(f"\n{kind}:  {'figure':<40}" + "".join(f"{size:>7} active      " for size in SIZES))
        keys = sorted({k for size in SIZES for k in results[(label, size)]}, key=_order)
        for key in keys:
            name = key[0] + (f" [{key[1]}]" if key[1] else "")
            cells = []
            for size in SIZES:
                found = results[(label, size)].get(key)
                error, published = (None, None) if found is None else found[:2]
                cells.append(
                    "      -             " if error is None else f"{100 * error:7.1f}% {100 * published:5.0f}% pub "
                )
            print(f"{'':10}{name:<40}" + "".join(cells))
    print(f"\n{time.perf_counter() - began:.1f} s")


def _order(key: tuple[str, str | None]) -> tuple[int, str, str]:
    measures = list(f.ALL_MEASURES)
    return (measures.index(key[0]) if key[0] in measures else 99, key[1] or "", key[0])


if __name__ == "__main__":
    main()
