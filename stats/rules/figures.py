"""The analysts' figures under member-level differential privacy: what is released, how, and what is derived.

A *release* is made once for one antenna and one closed calendar month or quarter (see windows.py). It holds
the *base figures*: integer counts and sums of minutes, each computed with every member's contribution bounded
(bounded.py) and released with OpenDP's Laplace noise (noise.py), the release's epsilon split between them by
the weights below. Everything else is post-processing of those noisy values, which costs no privacy:
- *derived figures* (shares, indices, differences) are computed from the noisy base figures;
- `all` antennas is the sum of the antennas' noisy figures of the same window (a member of two antennas
  counts in both, as their exchanges do);
- intervals describe the noise (the central 95% of it), never the data: for a base figure value ± b·ln 20,
  for a sum or difference the root of the squared half-widths, for a share the ratio of the extreme values;
- a figure whose noise is too large for it to be useful is withheld (`too_noisy`): a count or minutes whose
  95% half-width is more than half its value, a share whose interval is wider than 0.5.
Figures with no member-level mechanism of useful accuracy at a neighbourhood's size are not released at all
(`not_released`, see DROPPED).

Contribution bounds (per member and window; Bounds): exchanges taken part in, minutes given plus received,
distinct partners, offers and requests posted, minutes donated to or paid by the solidarity pool. A member
beyond a bound is counted up to it (the maximum-flow totals degrade gracefully), which biases a figure down.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from stats.rules.backgrounds import BRIDGING_DIMENSIONS, BackgroundProfile, differs
from stats.rules.bounded import Shared, Side, bounded_members, bounded_total, clamped_total
from stats.rules.noise import Noisy, laplace

ALL_ANTENNAS = "all"
RECIPROCITY, BRIDGING = "reciprocity", "bridging"
# A count or minutes is withheld when its 95% noise half-width exceeds this share of its value...
MAX_RELATIVE_HALF_WIDTH = 0.5
# ... and a share or index when its 95% interval is wider than this (on the 0-1 scale).
MAX_SHARE_WIDTH = 0.5


class Kind(StrEnum):
    COUNT = "count"
    MINUTES = "minutes"
    SHARE = "share"  # a proportion in [0, 1]
    INDEX = "index"  # the E-I index, in [-1, 1]


class Bound(StrEnum):
    """Which contribution bound sets a base figure's sensitivity."""

    ONE = "one"  # a member is in it once or not at all (a membership)
    PARTNERS = "partners"
    EXCHANGES = "exchanges"
    MINUTES = "minutes"
    POSTS = "posts"
    POOL = "pool_minutes"


class Reason(StrEnum):
    TOO_NOISY = "too_noisy"
    NOT_RELEASED = "not_released"
    DERIVED = "derived_from_suppressed"
    UNDEFINED = "undefined"  # not a suppression: the figure does not exist (a share of nothing)
    BUDGET = "budget_exhausted"  # the accountant refused the release: nothing was spent, nothing is shown


@dataclass(frozen=True, slots=True)
class Bounds:
    exchanges: int
    minutes: int
    partners: int
    posts: int
    pool_minutes: int

    def of(self, bound: Bound) -> int:
        return 1 if bound is Bound.ONE else int(getattr(self, bound.value))

    def as_dict(self) -> dict[str, int]:
        return {b.value: self.of(b) for b in Bound if b is not Bound.ONE}


@dataclass(frozen=True, slots=True)
class BaseFigure:
    measure: str
    kind: Kind
    bound: Bound
    weight: float  # share of the release's epsilon, before normalising over the catalogue
    family: str = RECIPROCITY
    dimension: str | None = None

    @property
    def key(self) -> FigureKey:
        return (self.measure, self.dimension)


FigureKey = tuple[str, str | None]  # measure, dimension (None for a total)

# Weights favour the headline figures (active members, exchanges, minutes): bench/stats.py measures the
# accuracy they buy.
_RECIPROCITY_BASE = (
    BaseFigure("registered_members", Kind.COUNT, Bound.ONE, 0.02),
    BaseFigure("approved_members", Kind.COUNT, Bound.ONE, 0.02),
    BaseFigure("active_members", Kind.COUNT, Bound.PARTNERS, 0.2),
    BaseFigure("members_gave", Kind.COUNT, Bound.PARTNERS, 0.05),
    BaseFigure("members_received", Kind.COUNT, Bound.PARTNERS, 0.05),
    BaseFigure("exchanges", Kind.COUNT, Bound.EXCHANGES, 0.15),
    BaseFigure("minutes", Kind.MINUTES, Bound.MINUTES, 0.15),
    BaseFigure("reciprocated_minutes", Kind.MINUTES, Bound.MINUTES, 0.05),
    BaseFigure("offers_posted", Kind.COUNT, Bound.POSTS, 0.03),
    BaseFigure("requests_posted", Kind.COUNT, Bound.POSTS, 0.03),
    BaseFigure("requests_matched", Kind.COUNT, Bound.POSTS, 0.03),
    BaseFigure("moderator_approved", Kind.COUNT, Bound.POSTS, 0.015),
    BaseFigure("moderator_rejected", Kind.COUNT, Bound.POSTS, 0.015),
    BaseFigure("member_accepted", Kind.COUNT, Bound.POSTS, 0.015),
    BaseFigure("member_declined", Kind.COUNT, Bound.POSTS, 0.015),
    BaseFigure("pool_inflow_minutes", Kind.MINUTES, Bound.POOL, 0.02),
    BaseFigure("pool_outflow_minutes", Kind.MINUTES, Bound.POOL, 0.02),
)
_BRIDGING_WEIGHT = 0.2
_BRIDGING_BASE = tuple(
    BaseFigure(measure, Kind.COUNT, Bound.EXCHANGES, _BRIDGING_WEIGHT / (2 * len(BRIDGING_DIMENSIONS)), BRIDGING, d)
    for d in BRIDGING_DIMENSIONS
    for measure in ("external_exchanges", "internal_exchanges")
)
BASE_FIGURES: tuple[BaseFigure, ...] = (*_RECIPROCITY_BASE, *_BRIDGING_BASE)
_TOTAL_WEIGHT = sum(f.weight for f in BASE_FIGURES)


def epsilon_shares(epsilon: float) -> dict[FigureKey, float]:
    """How a release's epsilon is split between its base figures (they add up to `epsilon`)."""
    return {f.key: epsilon * f.weight / _TOTAL_WEIGHT for f in BASE_FIGURES}


@dataclass(frozen=True, slots=True)
class Derived:
    measure: str
    kind: Kind
    formula: str  # "a/b", "a+b", "a-b", "a+b-c" over the `sources`, or "ei" for (E - I) / (E + I)
    sources: tuple[str, ...]
    family: str = RECIPROCITY


DERIVED_RECIPROCITY = (
    Derived("members_gave_and_received", Kind.COUNT, "a+b-c", ("members_gave", "members_received", "active_members")),
    Derived("members_gave_only", Kind.COUNT, "a-b", ("active_members", "members_received")),
    Derived("members_received_only", Kind.COUNT, "a-b", ("active_members", "members_gave")),
    Derived("share_gave_and_received", Kind.SHARE, "a/b", ("members_gave_and_received", "active_members")),
    Derived("weighted_reciprocity", Kind.SHARE, "a/b", ("reciprocated_minutes", "minutes")),
    Derived("request_match_share", Kind.SHARE, "a/b", ("requests_matched", "requests_posted")),
    Derived("moderator_approval_rate", Kind.SHARE, "a/(a+b)", ("moderator_approved", "moderator_rejected")),
    Derived("member_acceptance_rate", Kind.SHARE, "a/(a+b)", ("member_accepted", "member_declined")),
)
DERIVED_BRIDGING = (
    Derived("compared_exchanges", Kind.COUNT, "a+b", ("external_exchanges", "internal_exchanges"), BRIDGING),
    Derived("external_share", Kind.SHARE, "a/(a+b)", ("external_exchanges", "internal_exchanges"), BRIDGING),
    Derived("ei_index", Kind.INDEX, "ei", ("external_exchanges", "internal_exchanges"), BRIDGING),
)

# Not released: why, in one line each (the OpenAPI schema repeats it).
DROPPED: dict[str, str] = {
    "members_giver": "a member's balance class moves with every partner's exchanges: no bounded-sensitivity form",
    "members_balanced": "as members_giver",
    "members_receiver": "as members_giver",
    "dyadic_reciprocity": "ties are pairs of members; weighted_reciprocity is released instead",
    "cycle_minutes_share": "strongly connected components change with one member far beyond any useful bound",
    "gini_given": "a Gini over a few dozen members has a sensitivity close to its range",
    "gini_received": "as gini_given",
    "median_days_to_proposal": "one helper's proposals shift many requests' waiting times",
    "median_days_to_settlement": "as median_days_to_proposal",
    "median_days_to_first_giving": "a partner's removal moves other members' first dates",
    "median_days_to_first_receiving": "as median_days_to_first_giving",
    "blau": "the background mix of active members moves with each partner's activity",
    "baseline_ratio": "needs blau",
    "cohort_members": "cohorts of joining members are too small at a neighbourhood's size",
    "cohort_bridged": "as cohort_members",
    "cohort_bridged_share": "as cohort_members",
    "median_days_to_first_bridge": "as cohort_members",
}
DROPPED_BRIDGING = frozenset({"blau", "baseline_ratio", "cohort_members", "cohort_bridged", "cohort_bridged_share",
                              "median_days_to_first_bridge"})  # fmt: skip

RECIPROCITY_MEASURES: tuple[str, ...] = (
    *(f.measure for f in _RECIPROCITY_BASE),
    *(d.measure for d in DERIVED_RECIPROCITY),
    *(m for m in DROPPED if m not in DROPPED_BRIDGING),
)
BRIDGING_MEASURES: tuple[str, ...] = (
    "external_exchanges", "internal_exchanges", *(d.measure for d in DERIVED_BRIDGING),
    *(m for m in DROPPED if m in DROPPED_BRIDGING),
)  # fmt: skip
ALL_MEASURES: tuple[str, ...] = (*RECIPROCITY_MEASURES, *BRIDGING_MEASURES)
KINDS: dict[str, Kind] = {
    **{f.measure: f.kind for f in BASE_FIGURES},
    **{d.measure: d.kind for d in (*DERIVED_RECIPROCITY, *DERIVED_BRIDGING)},
}


# --- the exact, bounded inputs of one antenna and window ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairActivity:
    """What `giver` gave `receiver` in the window: settled exchanges and their minutes."""

    giver: int
    receiver: int
    exchanges: int
    minutes: int


@dataclass(frozen=True, slots=True)
class PairDecisions:
    """Proposals between a helper and a receiver: moderators' decisions and members' answers in the window."""

    helper: int
    receiver: int
    approved: int = 0
    rejected: int = 0
    accepted: int = 0
    declined: int = 0


@dataclass(frozen=True, slots=True)
class WindowData:
    """The raw data of one antenna and window, as the queries return it (never published as such)."""

    registered: int = 0
    approved: int = 0
    pairs: tuple[PairActivity, ...] = ()
    offers: Mapping[int, int] = field(default_factory=dict)  # member -> offers posted
    requests: Mapping[int, int] = field(default_factory=dict)  # member -> requests posted
    matched: tuple[Shared, ...] = ()  # requester, helper, requests of the window that led to a settlement
    decisions: tuple[PairDecisions, ...] = ()
    pool_in: Mapping[int, int] = field(default_factory=dict)  # member -> minutes donated to the pool
    pool_out: Mapping[int, int] = field(default_factory=dict)  # member -> minutes paid to them by the pool
    profiles: Mapping[int, BackgroundProfile] = field(default_factory=dict)  # consenting members only


def _per_pair(pairs: Sequence[PairActivity]) -> dict[tuple[int, int], list[int]]:
    """Unordered pair -> [exchanges, minutes, minutes a->b, minutes b->a] (a < b)."""
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for p in pairs:
        a, b = sorted((p.giver, p.receiver))
        row = out[(a, b)]
        row[0] += p.exchanges
        row[1] += p.minutes
        row[2 if p.giver == a else 3] += p.minutes
    return out


def _bridging_items(data: WindowData) -> dict[FigureKey, list[Shared]]:
    items: dict[FigureKey, list[Shared]] = defaultdict(list)
    for p in data.pairs:
        first, second = data.profiles.get(p.giver), data.profiles.get(p.receiver)
        if first is None or second is None:
            continue
        for dimension in BRIDGING_DIMENSIONS:
            different = differs(dimension, first, second)
            if different is None:
                continue
            measure = "external_exchanges" if different else "internal_exchanges"
            items[(measure, dimension)].append(Shared(p.giver, p.receiver, p.exchanges))
    return items


def bounded_values(data: WindowData, bounds: Bounds) -> dict[FigureKey, int]:
    """Each base figure computed with every member's contribution bounded (what the noise is added to)."""
    pairs = _per_pair(data.pairs)
    links = [(p.giver, p.receiver) for p in data.pairs if p.exchanges > 0]

    def total(items: Iterable[Shared], bound: Bound) -> int:
        return bounded_total(items, bound=bounds.of(bound))

    def members(side: Side) -> int:
        return bounded_members(links, bound=bounds.partners, side=side)

    def decided(attribute: str) -> int:
        return total((Shared(d.helper, d.receiver, getattr(d, attribute)) for d in data.decisions), Bound.POSTS)

    values: dict[FigureKey, int] = {
        ("registered_members", None): data.registered,
        ("approved_members", None): data.approved,
        ("active_members", None): members(Side.EITHER),
        ("members_gave", None): members(Side.FIRST),
        ("members_received", None): members(Side.SECOND),
        ("exchanges", None): total((Shared(a, b, r[0]) for (a, b), r in pairs.items()), Bound.EXCHANGES),
        ("minutes", None): total((Shared(a, b, r[1]) for (a, b), r in pairs.items()), Bound.MINUTES),
        # min(w_ab, w_ba) counted for both directions, as the weighted reciprocity's numerator does.
        ("reciprocated_minutes", None): total(
            (Shared(a, b, 2 * min(r[2], r[3])) for (a, b), r in pairs.items()), Bound.MINUTES
        ),
        ("offers_posted", None): clamped_total(data.offers, bound=bounds.posts),
        ("requests_posted", None): clamped_total(data.requests, bound=bounds.posts),
        ("requests_matched", None): total(data.matched, Bound.POSTS),
        ("moderator_approved", None): decided("approved"),
        ("moderator_rejected", None): decided("rejected"),
        ("member_accepted", None): decided("accepted"),
        ("member_declined", None): decided("declined"),
        ("pool_inflow_minutes", None): clamped_total(data.pool_in, bound=bounds.pool_minutes),
        ("pool_outflow_minutes", None): clamped_total(data.pool_out, bound=bounds.pool_minutes),
    }
    bridging = _bridging_items(data)
    for f in _BRIDGING_BASE:
        values[f.key] = total(bridging.get(f.key, ()), Bound.EXCHANGES)
    return values


def exact_values(data: WindowData) -> dict[FigureKey, int]:
    """The same figures without bounds or noise (for the accuracy bench and tests only, never published)."""
    loose = Bounds(exchanges=10**9, minutes=10**9, partners=10**9, posts=10**9, pool_minutes=10**9)
    return bounded_values(data, loose)


def sensitivity(figure: BaseFigure, bounds: Bounds) -> int:
    """How much one member can change the figure (bounded.py): bound + 1 for member counts."""
    value = bounds.of(figure.bound)
    return value + 1 if figure.bound is Bound.PARTNERS else value


def release(data: WindowData, *, bounds: Bounds, epsilon: float) -> dict[FigureKey, Noisy]:
    """The noisy base figures of one antenna and window; their epsilons add up to at most `epsilon`."""
    values = bounded_values(data, bounds)
    shares = epsilon_shares(epsilon)
    return {
        f.key: laplace(values[f.key], sensitivity=sensitivity(f, bounds), epsilon=shares[f.key]) for f in BASE_FIGURES
    }


# --- from noisy base figures to the published table ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """A noisy value with its noise: standard deviation, and half-width of the central 95%."""

    value: float
    sd: float
    half: float
    epsilon: float | None = None  # spent on it directly (None: a sum or a derived figure, nothing extra)


def estimate(noisy: Noisy) -> Estimate:
    return Estimate(value=float(noisy.value), sd=noisy.sd, half=noisy.half_width, epsilon=noisy.epsilon)


def combine(estimates: Sequence[Estimate]) -> Estimate:
    """The sum of independent noisy values (e.g. all antennas)."""
    return Estimate(
        value=sum(e.value for e in estimates),
        sd=math.sqrt(sum(e.sd**2 for e in estimates)),
        half=math.sqrt(sum(e.half**2 for e in estimates)),
    )


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure (value None when withheld or undefined, with the reason)."""

    measure: str
    dimension: str | None
    value: int | float | None
    lower: float | None
    upper: float | None
    noise_sd: float | None
    epsilon: float | None
    reason: str | None

    @property
    def suppressed(self) -> bool:
        return self.reason is not None and self.reason != Reason.UNDEFINED


def _count_figure(measure: str, dimension: str | None, e: Estimate) -> Figure:
    value = max(0, round(e.value))
    if e.half > MAX_RELATIVE_HALF_WIDTH * value:
        return Figure(measure, dimension, None, None, None, e.sd, e.epsilon, Reason.TOO_NOISY)
    return Figure(
        measure, dimension, value, max(0.0, e.value - e.half), e.value + e.half, e.sd, e.epsilon, None
    )  # fmt: skip


def _linear(formula: str, sources: Sequence[Estimate]) -> Estimate:
    signs = {"a+b": (1, 1), "a-b": (1, -1), "a+b-c": (1, 1, -1)}[formula]
    return Estimate(
        value=sum(s * e.value for s, e in zip(signs, sources, strict=True)),
        sd=math.sqrt(sum(e.sd**2 for e in sources)),
        half=math.sqrt(sum(e.half**2 for e in sources)),
    )


def _ratio(measure: str, dimension: str | None, formula: str, a: Estimate, b: Estimate, kind: Kind) -> Figure:
    """a / b or a / (a + b) from noisy a and b; the interval from their 95% extremes."""
    top, bottom = max(0.0, a.value), max(0.0, b.value)
    denominator = top + bottom if formula != "a/b" else bottom
    if denominator <= 0:
        return Figure(measure, dimension, None, None, None, None, None, Reason.TOO_NOISY)
    share = min(1.0, top / denominator)
    if formula == "a/b":
        low = max(0.0, top - a.half) / (bottom + b.half)
        high = 1.0 if bottom - b.half <= 0 else min(1.0, (top + a.half) / (bottom - b.half))
        sd = math.sqrt(a.sd**2 / denominator**2 + top**2 * b.sd**2 / denominator**4)
    else:  # a / (a + b): lowest with a at its lowest and b at its highest, and the other way round
        low_a, high_b = max(0.0, top - a.half), bottom + b.half
        high_a, low_b = top + a.half, max(0.0, bottom - b.half)
        low = low_a / (low_a + high_b) if low_a + high_b > 0 else 0.0
        high = high_a / (high_a + low_b) if high_a + low_b > 0 else 1.0
        sd = math.sqrt(bottom**2 * a.sd**2 + top**2 * b.sd**2) / denominator**2
    if kind is Kind.INDEX:
        share, low, high, sd = 2 * share - 1, 2 * low - 1, 2 * high - 1, 2 * sd
        width_ok = (high - low) / 2 <= MAX_SHARE_WIDTH
    else:
        width_ok = high - low <= MAX_SHARE_WIDTH
    if not width_ok:
        return Figure(measure, dimension, None, None, None, sd, None, Reason.TOO_NOISY)
    return Figure(measure, dimension, share, low, high, sd, None, None)


def figures(base: Mapping[FigureKey, Estimate]) -> list[Figure]:
    """Every figure of one antenna (or `all`) and window, in catalogue order, from its noisy base figures."""
    out: list[Figure] = []
    for f in _RECIPROCITY_BASE:
        out.append(_count_figure(f.measure, None, base[f.key]))
    out += [_derived(d, None, base) for d in DERIVED_RECIPROCITY]
    out += [_dropped(m, None) for m in DROPPED if m not in DROPPED_BRIDGING]
    for dimension in BRIDGING_DIMENSIONS:
        for measure in ("external_exchanges", "internal_exchanges"):
            out.append(_count_figure(measure, dimension, base[(measure, dimension)]))
        out += [_derived(d, dimension, base) for d in DERIVED_BRIDGING]
        out += [_dropped(m, dimension) for m in DROPPED if m in DROPPED_BRIDGING]
    return out


def _dropped(measure: str, dimension: str | None) -> Figure:
    return Figure(measure, dimension, None, None, None, None, None, Reason.NOT_RELEASED)


def _derived(d: Derived, dimension: str | None, base: Mapping[FigureKey, Estimate]) -> Figure:
    sources = [_source(s, dimension, base) for s in d.sources]
    if d.kind in (Kind.SHARE, Kind.INDEX):
        return _ratio(d.measure, dimension, d.formula, sources[0], sources[1], d.kind)
    return _count_figure(d.measure, dimension, _linear(d.formula, sources))


def _source(measure: str, dimension: str | None, base: Mapping[FigureKey, Estimate]) -> Estimate:
    """A base figure, or a linear derived one (members_gave_and_received feeds a share)."""
    if (measure, dimension) in base:
        return base[(measure, dimension)]
    d = next(x for x in DERIVED_RECIPROCITY if x.measure == measure)
    return _linear(d.formula, [_source(s, dimension, base) for s in d.sources])


def withheld(reason: Reason) -> list[Figure]:
    """Every figure of a window that has no release (the accountant refused it), all with `reason`."""
    return [
        Figure(f.measure, f.dimension, None, None, None, None, None, reason)
        for f in figures({f.key: Estimate(0.0, 0.0, 0.0) for f in BASE_FIGURES})
    ]


# --- the analysts' table --------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "antenna", "period", "measure", "dimension", "value", "lower", "upper", "suppressed", "reason", "noise_sd",
    "epsilon",
)  # fmt: skip


class Cell(NamedTuple):
    """One published row of the analysts' table: a Figure of one antenna (or `all`) and window."""

    antenna: str
    period: str
    measure: str
    dimension: str | None
    value: int | float | None
    lower: float | None
    upper: float | None
    suppressed: bool
    reason: str | None
    noise_sd: float | None
    epsilon: float | None

    @classmethod
    def of(cls, antenna: str, period: str, f: Figure) -> Cell:
        return cls(
            antenna, period, f.measure, f.dimension, _round(f.value), _round(f.lower), _round(f.upper),
            f.suppressed, None if f.reason is None else str(f.reason), _round(f.noise_sd), _round(f.epsilon),
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()

    def as_row(self) -> tuple[Any, ...]:
        """Values in CSV_COLUMNS order."""
        return tuple(self)


def to_csv(cells: Iterable[Cell]) -> str:
    """The cells as one CSV table under CSV_COLUMNS (the API's export and `buurtbank stats --format csv`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    # csv writes None as an empty field; `suppressed`, the one boolean, is written as true/false.
    writer.writerows((*cell[:7], "true" if cell.suppressed else "false", cell.reason, *cell[9:]) for cell in cells)
    return out.getvalue()


def _round(value: int | float | None) -> int | float | None:
    """Six significant digits are more than the noise leaves: no need to print float artefacts."""
    return float(f"{value:.6g}") if isinstance(value, float) else value


assert Cell._fields == CSV_COLUMNS, "the CSV writes a cell's fields in order"
