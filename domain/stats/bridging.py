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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import count
from operator import attrgetter

import numpy as np

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


# The figures below are computed on integer codes rather than on the profiles: a quarter of all antennas has
# some 12,000 profile pairs and 1,700 distinct profiles, and the measures run on 44 windows per quarter. Every
# count is an integer sum and every ratio the same int / int division, so the codes give exactly what comparing
# profiles pair by pair with differs() gives (tests/domain/test_stats_mixing_fast.py checks that).

# Columns of the code table, in Dimension order; bit d of a declaration pattern stands for column d.
_COLUMNS: tuple[Dimension, ...] = tuple(Dimension)
_LANGUAGES = _COLUMNS.index(Dimension.LANGUAGES)
_BY_COLUMN = tuple(attrgetter(d.value) for d in _COLUMNS)
_FIRST, _SECOND, _EXCHANGES = attrgetter("first"), attrgetter("second"), attrgetter("exchanges")
_PROFILE, _MEMBERS = attrgetter("profile"), attrgetter("members")
_BITS = 1 << np.arange(len(_COLUMNS), dtype=np.int64)
_PATTERNS = 1 << len(_COLUMNS)
# Histograms are indexed by every combination of values while there are at most this many, and by the
# combinations that occur beyond that.
_DENSE_CELLS = 1 << 16
# Sums of products of member counts stay below this bound (n² for n members), so float64 holds them exactly
# and the matrix products can use BLAS.
_EXACT_FLOAT = 2**53


@dataclass(frozen=True, slots=True, eq=False)
class _Coded:
    """Profiles as codes: column d of a row numbers its value of dimension d, -1 when it is not declared.

    A language set is numbered as a whole; `overlap[a, b]` says whether sets a and b share a language. Its
    last row and column (all False) stand for "no set", so that a -1 can index it.
    """

    codes: np.ndarray
    values: tuple[int, ...]
    overlap: np.ndarray


def _code(profiles: Sequence[BackgroundProfile]) -> _Coded:
    # The same profile objects come back in row after row, so each distinct object is coded once (by id:
    # hashing a profile costs more than coding it). Equal profiles that are distinct objects get equal codes.
    first_rows: dict[int, int] = {}
    rows = np.fromiter(map(first_rows.setdefault, map(id, profiles), count()), dtype=np.intp, count=len(profiles))
    distinct = [profiles[i] for i in first_rows.values()]
    columns, numbers = [], []
    for d, value_of in enumerate(_BY_COLUMN):
        values = list(map(value_of, distinct))
        known = dict.fromkeys(values)
        undeclared = (None, frozenset()) if d == _LANGUAGES else (None,)
        for value in undeclared:
            known.pop(value, None)
        number = dict(zip(known, count()))
        numbers.append(list(number))
        number.update(dict.fromkeys(undeclared, -1))
        columns.append(list(map(number.__getitem__, values)))
    table = np.array(columns, dtype=np.int64).reshape(len(_COLUMNS), len(distinct)).T
    number_of = np.zeros(len(profiles), dtype=np.intp)
    number_of[list(first_rows.values())] = np.arange(len(distinct))

    sets = numbers[_LANGUAGES]
    languages: dict[str, int] = {}
    spoken = [(i, languages.setdefault(language, len(languages))) for i, s in enumerate(sets) for language in s]
    incidence = np.zeros((len(sets) + 1, len(languages)), dtype=np.int64)
    if spoken:
        incidence[tuple(np.array(spoken).T)] = 1
    return _Coded(
        codes=table[number_of[rows]],
        values=tuple(map(len, numbers)),
        overlap=(incidence @ incidence.T) > 0,
    )


def _combined(columns: np.ndarray, values: Sequence[int], *, limit: int | None = None) -> tuple[np.ndarray, int]:
    """One number per row for its combination of codes (column j in 0..values[j]-1), and the numbers' range:
    all combinations while there are at most `limit` of them, else the occurring ones (at most one per row,
    which also keeps the numbers far from overflowing)."""
    limit = _DENSE_CELLS if limit is None else limit
    numbers, size = np.zeros(len(columns), dtype=np.int64), 1
    for j, base in enumerate(values):
        if size * base > max(limit, len(columns)):
            occurring, numbers = np.unique(numbers, return_inverse=True)
            size = len(occurring)
        numbers, size = numbers * base + columns[:, j], size * base
    if size > limit:
        occurring, numbers = np.unique(numbers, return_inverse=True)
        size = len(occurring)
    return numbers, size


def _pair_counts(
    first: np.ndarray, second: np.ndarray, overlap: np.ndarray, exchanges: np.ndarray
) -> tuple[list[int], list[int]]:
    """External and internal exchanges per dimension, in BRIDGING_DIMENSIONS order."""
    comparable = (first >= 0) & (second >= 0)
    different = first != second
    different[:, _LANGUAGES] = ~overlap[first[:, _LANGUAGES], second[:, _LANGUAGES]]
    external = comparable & different
    internal = comparable & ~different
    external = np.column_stack((external, external.any(axis=1)))
    internal = np.column_stack((internal, comparable.any(axis=1) & ~external[:, -1]))
    return (exchanges @ external).tolist(), (exchanges @ internal).tolist()


def _group_sizes(column: int | None, coded: _Coded, members: np.ndarray) -> np.ndarray:
    """Members per value of a dimension's column (a language set counts as one value), or per whole profile
    among those who declared anything (column None, for `any`); values nobody holds count 0."""
    if column is None:
        declared = (coded.codes >= 0).any(axis=1)
        numbers, size = _combined(coded.codes[declared] + 1, [v + 1 for v in coded.values])
        weights = members[declared]
    else:
        declared = coded.codes[:, column] >= 0
        numbers, size, weights = coded.codes[declared, column], coded.values[column], members[declared]
    return np.bincount(numbers, weights=weights, minlength=size).astype(np.int64)


def _value_mixing(column: int, sizes: np.ndarray, overlap: np.ndarray) -> float | None:
    """random_mixing_external_share for one dimension, from its _group_sizes (members >= 0)."""
    comparable = int(sizes.sum()) ** 2
    if column == _LANGUAGES:
        agreeing = int(sizes @ overlap[: len(sizes), : len(sizes)].astype(np.int64) @ sizes)
    else:
        agreeing = int(sizes @ sizes)
    return ratio(comparable - agreeing, comparable)


def _subset_tables() -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each set S of columns (a bit pattern): each pattern's position among the patterns that contain S
    (-1 if it does not contain S), and which pairs of those patterns have exactly S in common."""
    position, meeting_in = [], []
    for shared in range(_PATTERNS):
        supersets = [p for p in range(_PATTERNS) if p & shared == shared]
        where = np.full(_PATTERNS, -1)
        where[supersets] = np.arange(len(supersets))
        position.append(where)
        meeting_in.append(np.array([[p & q == shared for q in supersets] for p in supersets], dtype=np.float64))
    return position, meeting_in


_POSITION, _MEETING_IN = _subset_tables()
_MEET = np.array([[p & q != 0 for q in range(_PATTERNS)] for p in range(_PATTERNS)], dtype=np.int64)


def _any_mixing(coded: _Coded, members: np.ndarray) -> float | None:
    """random_mixing_external_share for `any`, without comparing every pair of profiles.

    Two members are comparable when the sets of dimensions they declared (their patterns) meet; they do not
    differ when they agree on every dimension of the meet S (the same value, or for languages a shared
    language). So for each S, the members whose pattern contains S are counted by their values on S and by
    pattern: agreeing pairs are pairs of the same values whose patterns meet in exactly S. For languages the
    values are language sets and "the same" is the overlap matrix.
    """
    patterns = (coded.codes >= 0) @ _BITS
    keep = (patterns > 0) & (members > 0)
    codes, patterns, members = coded.codes[keep], patterns[keep], members[keep]
    by_pattern = np.bincount(patterns, weights=members, minlength=_PATTERNS).astype(np.int64)
    comparable = int(by_pattern @ _MEET @ by_pattern)
    total = int(members.sum())
    dtype = np.float64 if total * total < _EXACT_FLOAT else np.int64
    languages = coded.values[_LANGUAGES]
    overlap = coded.overlap[:languages, :languages].astype(dtype)
    agreeing = 0
    for shared in range(1, _PATTERNS):
        inside = (patterns & shared) == shared
        if not inside.any():
            continue
        meeting_in = _MEETING_IN[shared].astype(dtype)
        width = len(meeting_in)
        with_languages = bool(shared >> _LANGUAGES & 1)
        value_columns = [d for d in range(len(_COLUMNS)) if shared >> d & 1 and d != _LANGUAGES]
        cells, size = _combined(
            codes[inside][:, value_columns],
            [coded.values[d] for d in value_columns],
            limit=max(1, _DENSE_CELLS // (width * (languages if with_languages else 1))),
        )
        slot = _POSITION[shared][patterns[inside]]
        weights = members[inside]
        if not with_languages:
            table = np.bincount(cells * width + slot, weights=weights, minlength=size * width)
            table = table.reshape(size, width).astype(dtype)
            agreeing += int((table @ meeting_in * table).sum())
            continue
        cells = cells * languages + codes[inside][:, _LANGUAGES]
        table = np.bincount(cells * width + slot, weights=weights, minlength=size * languages * width)
        # table[values on S but languages, language set, pattern containing S]
        table = table.reshape(size, languages, width).astype(dtype)
        by_set = table.transpose(1, 0, 2).reshape(languages, -1)
        paired = (table @ meeting_in).transpose(1, 0, 2).reshape(languages, -1)
        agreeing += int((overlap @ by_set * paired).sum())
    return ratio(comparable - agreeing, comparable)


def random_mixing_external_share(dimension: str, profiles: Iterable[ProfileCount]) -> float | None:
    """Chance that two comparable members drawn with replacement differ (= Blau for one-valued dimensions)."""
    if dimension not in BRIDGING_DIMENSIONS:
        raise InvalidInput("error.stats.unknown_dimension", field="dimension", dimension=dimension)
    rows = tuple(profiles)
    members = np.fromiter(map(_MEMBERS, rows), dtype=np.int64, count=len(rows))
    coded, members = _code(list(map(_PROFILE, rows))), np.maximum(members, 0)
    column = _column(dimension)
    if column is None:
        return _any_mixing(coded, members)
    return _value_mixing(column, _group_sizes(column, coded, members), coded.overlap)


def _column(dimension: str) -> int | None:
    return None if dimension == ANY else _COLUMNS.index(Dimension(dimension))


def compute_bridging(data: BridgingInput) -> tuple[DimensionBridging, ...]:
    """One DimensionBridging per dimension, in BRIDGING_DIMENSIONS order."""
    pairs, active = data.pair_exchanges, data.active_profiles
    exchanges = np.fromiter(map(_EXCHANGES, pairs), dtype=np.int64, count=len(pairs))
    members = np.fromiter(map(_MEMBERS, active), dtype=np.int64, count=len(active))
    if (exchanges < 0).any() or (members < 0).any():
        raise InvalidInput("error.stats.negative_count")
    coded = _code([*map(_FIRST, pairs), *map(_SECOND, pairs), *map(_PROFILE, active)])
    n = len(pairs)
    first, second = coded.codes[:n], coded.codes[n : 2 * n]
    externals, internals = _pair_counts(first, second, coded.overlap, exchanges)
    profiles = _Coded(codes=coded.codes[2 * n :], values=coded.values, overlap=coded.overlap)
    cohorts = {c.dimension: c for c in data.cohorts}
    result = []
    for dimension, external, internal in zip(BRIDGING_DIMENSIONS, externals, internals, strict=True):
        column = _column(dimension)
        sizes = _group_sizes(column, profiles, members)
        blau = _any_mixing(profiles, members) if column is None else _value_mixing(column, sizes, coded.overlap)
        sizes = sizes[sizes > 0]
        cohort = cohorts.get(dimension) or BridgingCohort(dimension, members=0, bridged_within_six_months=0)
        if not 0 <= cohort.bridged_within_six_months <= cohort.members:
            raise InvalidInput("error.stats.inconsistent_cohort")
        result.append(
            DimensionBridging(
                dimension=dimension,
                external=external,
                internal=internal,
                comparable_members=int(sizes.sum()),
                smallest_group=int(sizes.min()) if len(sizes) else 0,
                blau=blau,
                cohort=Rate(cohort.bridged_within_six_months, cohort.members),
                days_to_first_bridge=median_days(cohort.days_to_first_bridge),
            )
        )
    return tuple(result)
