"""Small numerical helpers shared by the measures: safe ratios, medians, the Wilson score interval.

Wilson score interval (Wilson 1927) for a proportion with `k` successes out of `n` trials, at the normal
quantile z (1.95996 for 95%):

    centre = (p + z²/2n) / (1 + z²/n),   half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²),  p = k/n

Unlike the textbook p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and does not collapse to a point when
k = 0 or k = n, which matters for the small counts of a neighbourhood antenna.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = statistics.NormalDist().inv_cdf(0.975)


@dataclass(frozen=True, slots=True)
class Interval:
    lower: float
    upper: float


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero (an undefined figure, not a zero)."""
    return numerator / denominator if denominator else None


def median(values: Iterable[float]) -> float | None:
    """The median of already-computed durations (e.g. days), None for an empty sample."""
    data = list(values)
    return float(statistics.median(data)) if data else None


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> Interval | None:
    """Wilson score interval for successes/trials; None when there are no trials."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"invalid proportion {successes}/{trials}")
    if trials == 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # Clamp only the rounding noise at k = 0 or k = n, where the exact bound is 0 or 1.
    return Interval(lower=max(0.0, centre - half), upper=min(1.0, centre + half))
