"""Bridging: how often exchanges join members of different backgrounds, against what chance would give.

Dimensions are the self-declared background dimensions (domain/background.py) plus `any`. Two members
*differ* on
- languages: when their declared language sets share no language;
- origin, age_band, circle: when their declared values are different;
- any: when they differ on at least one dimension that both declared.
A pair is *comparable* on a dimension when both members declared it (for `any`: at least one dimension
both declared). Exchanges between pairs that are not comparable are left out of that dimension's figures;
members without background consent have no profile at all and so only ever count in totals.

Per dimension, over the exchanges settled in the window:
- external E and internal I: exchanges between comparable members who differ / do not differ.
- external_share = E / (E + I), with a 95% Wilson score interval (intervals.py).
- ei_index (Krackhardt & Stern 1988) = (E - I) / (E + I), from -1 (all internal) to 1 (all external).
- blau: the chance that two active members, drawn at random with replacement among those comparable on
  the dimension, differ. For a one-valued dimension this is Blau's heterogeneity 1 - sum_k p_k², p_k the
  share of category k; for languages and `any` it is the same probability under the rule above.
- baseline_ratio = external_share / blau: 1 when exchanges cross backgrounds as often as random mixing of
  the active members would make them, below 1 homophily, above 1 more bridging than chance.
  (With degree-weighted shares in place of member shares this equals 1 - r, r Newman's attribute
  assortativity of the undirected tie network; tests check that identity.)
- cohort figures: among members whose six-month anniversary of joining falls in the window, how many had
  at least one external exchange by then (bridged_within_six_months), and the median days from joining to
  the first external exchange over those of them who bridged (the same cohort, so the median is bounded by
  six months and the database never scans a member's whole history).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from domain.background import Dimension
from domain.errors import InvalidInput
from domain.stats.intervals import Interval, ratio, wilson_interval
from domain.stats.participation import MedianDays, Rate, median_days

ANY = "any"
BRIDGING_DIMENSIONS: tuple[str, ...] = (*(d.value for d in Dimension), ANY)


@dataclass(frozen=True, slots=True)
class BackgroundProfile:
    """What one consenting member declared; empty/None means not declared."""

    languages: frozenset[str] = frozenset()
    origin: str | None = None
    age_band: str | None = None
    circle: str | None = None

    def declared(self, dimension: str) -> bool:
        if dimension == Dimension.LANGUAGES:
            return bool(self.languages)
        return getattr(self, dimension) is not None


def differs(dimension: str, first: BackgroundProfile, second: BackgroundProfile) -> bool | None:
    """Whether the two profiles differ on the dimension; None when the pair is not comparable."""
    if dimension == ANY:
        shared = [d for d in Dimension if first.declared(d) and second.declared(d)]
        if not shared:
            return None
        return any(differs(d, first, second) for d in shared)
    if dimension not in BRIDGING_DIMENSIONS:
        raise InvalidInput("error.stats.unknown_dimension", field="dimension", dimension=dimension)
    if not (first.declared(dimension) and second.declared(dimension)):
        return None
    if dimension == Dimension.LANGUAGES:
        return first.languages.isdisjoint(second.languages)
    return getattr(first, dimension) != getattr(second, dimension)


@lru_cache(maxsize=65536)
def _pair_outcomes(first: BackgroundProfile, second: BackgroundProfile) -> tuple[bool | None, ...]:
    """differs() on every dimension, in BRIDGING_DIMENSIONS order: the same few thousand profile pairs come
    back in every antenna, month and quarter, so each pair is compared once."""
    return tuple(differs(dimension, first, second) for dimension in BRIDGING_DIMENSIONS)


@dataclass(frozen=True, slots=True)
class ProfilePairExchanges:
    """Exchanges settled in the window between members with these two profiles (order does not matter)."""

    first: BackgroundProfile
    second: BackgroundProfile
    exchanges: int


@dataclass(frozen=True, slots=True)
class ProfileCount:
    """Active consenting members of the window with this profile."""

    profile: BackgroundProfile
    members: int


@dataclass(frozen=True, slots=True)
class BridgingCohort:
    dimension: str
    members: int
    bridged_within_six_months: int
    days_to_first_bridge: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class BridgingInput:
    pair_exchanges: tuple[ProfilePairExchanges, ...]
    active_profiles: tuple[ProfileCount, ...]
    cohorts: tuple[BridgingCohort, ...] = ()


@dataclass(frozen=True, slots=True)
class DimensionBridging:
    dimension: str
    external: int
    internal: int
    comparable_members: int
    # The smallest non-zero number of members behind one value of the dimension: Blau's figure reveals the
    # distribution it is computed from, so privacy.py needs to know how small its smallest group is.
    smallest_group: int
    blau: float | None
    cohort: Rate = field(default_factory=lambda: Rate(0, 0))
    days_to_first_bridge: MedianDays = field(default_factory=lambda: MedianDays(None, 0))

    @property
    def compared(self) -> int:
        return self.external + self.internal

    @property
    def external_share(self) -> float | None:
        return ratio(self.external, self.compared)

    @property
    def external_share_interval(self) -> Interval | None:
        return wilson_interval(self.external, self.compared)

    @property
    def ei_index(self) -> float | None:
        return ratio(self.external - self.internal, self.compared)

    @property
    def baseline_ratio(self) -> float | None:
        share = self.external_share
        return None if share is None or not self.blau else share / self.blau


def blau_heterogeneity(category_counts: Iterable[int]) -> float | None:
    """1 - sum p_k² over the categories' counts; None when nobody is counted."""
    counts = list(category_counts)
    total = sum(counts)
    if total == 0:
        return None
    return 1 - sum((c / total) ** 2 for c in counts)


def _projection(dimension: str, profile: BackgroundProfile) -> BackgroundProfile:
    if dimension == Dimension.LANGUAGES:
        return BackgroundProfile(languages=profile.languages)
    return BackgroundProfile(**{dimension: getattr(profile, dimension)})


def _keyed(
    rows: list[tuple[BackgroundProfile, int]], single: list[str], shared: frozenset[str]
) -> dict[tuple[object, ...], dict[frozenset[str], int]]:
    """Members by their values on the shared one-valued dimensions, then by language set (if shared)."""
    table: dict[tuple[object, ...], dict[frozenset[str], int]] = {}
    for profile, members in rows:
        key = tuple(getattr(profile, d) for d in single)
        languages = profile.languages if Dimension.LANGUAGES in shared else frozenset()
        by_languages = table.setdefault(key, {})
        by_languages[languages] = by_languages.get(languages, 0) + members
    return table


def _any_mixing(counts: dict[BackgroundProfile, int]) -> float | None:
    """random_mixing_external_share for `any`, without comparing every pair of distinct profiles.

    Profiles are grouped by which dimensions they declared (at most 15 patterns). Two groups are comparable
    on the dimensions S both declared; a pair does not differ when it agrees on all of S (same value, or for
    languages a shared language). So within a pair of groups only the values on S matter: count the pairs
    that agree by matching those values, and the rest of the comparable pairs differ.
    """
    groups: dict[frozenset[str], list[tuple[BackgroundProfile, int]]] = {}
    for profile, members in counts.items():
        pattern = frozenset(d.value for d in Dimension if profile.declared(d))
        if pattern:
            groups.setdefault(pattern, []).append((profile, members))
    sizes = {pattern: sum(n for _, n in rows) for pattern, rows in groups.items()}
    comparable = agreeing = 0
    for first, first_rows in groups.items():
        for second, second_rows in groups.items():
            shared = first & second
            if not shared:
                continue
            comparable += sizes[first] * sizes[second]
            single = sorted(d for d in shared if d != Dimension.LANGUAGES)

            left, right = _keyed(first_rows, single, shared), _keyed(second_rows, single, shared)
            for key, left_languages in left.items():
                for l_set, l_count in left_languages.items():
                    for r_set, r_count in right.get(key, {}).items():
                        if Dimension.LANGUAGES not in shared or not l_set.isdisjoint(r_set):
                            agreeing += l_count * r_count
    return ratio(comparable - agreeing, comparable)


def random_mixing_external_share(dimension: str, profiles: Iterable[ProfileCount]) -> float | None:
    """Chance that two comparable members drawn with replacement differ (= Blau for one-valued dimensions)."""
    # Only the dimension's own value decides `differs` for a single dimension: merge profiles that share it,
    # so the quadratic loop runs over a handful of values, not over every distinct profile.
    merged: dict[BackgroundProfile, int] = {}
    for p in profiles:
        if p.members <= 0:
            continue
        key = p.profile if dimension == ANY else _projection(dimension, p.profile)
        merged[key] = merged.get(key, 0) + p.members
    if dimension == ANY:
        return _any_mixing(merged)
    rows = [ProfileCount(profile, members) for profile, members in merged.items()]
    comparable = differing = 0
    # Distinct profiles are few (coarse categories), so the quadratic loop stays small.
    for a in rows:
        for b in rows:
            outcome = differs(dimension, a.profile, b.profile)
            if outcome is None:
                continue
            weight = a.members * b.members
            comparable += weight
            differing += weight if outcome else 0
    return ratio(differing, comparable)


def _group_sizes(dimension: str, profiles: Iterable[ProfileCount]) -> dict[object, int]:
    """Members per value of the dimension (the whole language set / the whole profile for languages / any)."""
    sizes: dict[object, int] = {}
    for row in profiles:
        if dimension == ANY:
            if not any(row.profile.declared(d) for d in Dimension):
                continue
            key: object = row.profile
        elif not row.profile.declared(dimension):
            continue
        else:
            key = getattr(row.profile, dimension)
        sizes[key] = sizes.get(key, 0) + row.members
    return sizes


def compute_bridging(data: BridgingInput) -> tuple[DimensionBridging, ...]:
    """One DimensionBridging per dimension, in BRIDGING_DIMENSIONS order."""
    if any(p.exchanges < 0 for p in data.pair_exchanges) or any(p.members < 0 for p in data.active_profiles):
        raise InvalidInput("error.stats.negative_count")
    cohorts = {c.dimension: c for c in data.cohorts}
    externals = [0] * len(BRIDGING_DIMENSIONS)
    internals = [0] * len(BRIDGING_DIMENSIONS)
    for pair in data.pair_exchanges:
        for i, outcome in enumerate(_pair_outcomes(pair.first, pair.second)):
            if outcome is True:
                externals[i] += pair.exchanges
            elif outcome is False:
                internals[i] += pair.exchanges
    result = []
    for dimension, external, internal in zip(BRIDGING_DIMENSIONS, externals, internals, strict=True):
        sizes = [s for s in _group_sizes(dimension, data.active_profiles).values() if s > 0]
        cohort = cohorts.get(dimension) or BridgingCohort(dimension, members=0, bridged_within_six_months=0)
        if not 0 <= cohort.bridged_within_six_months <= cohort.members:
            raise InvalidInput("error.stats.inconsistent_cohort")
        result.append(
            DimensionBridging(
                dimension=dimension,
                external=external,
                internal=internal,
                comparable_members=sum(sizes),
                smallest_group=min(sizes, default=0),
                blau=random_mixing_external_share(dimension, data.active_profiles),
                cohort=Rate(cohort.bridged_within_six_months, cohort.members),
                days_to_first_bridge=median_days(cohort.days_to_first_bridge),
            )
        )
    return tuple(result)
