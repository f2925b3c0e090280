"""The tidy table the analysts receive: one cell per antenna, period, measure and dimension.

CSV columns: antenna, period, measure, dimension, value, lower, upper, suppressed, reason. `antenna` is a
slug or `all`; `period` a window label (`2026-03`, `2026-Q1`); `dimension` a background dimension
(`languages`, `origin`, `age_band`, `circle`, `any`) or empty for a total; `lower`/`upper` the 95% Wilson
interval of a share where there is one. A cell hidden for privacy has no value, `suppressed` true and a
`reason`; a figure that is simply undefined (a share of nothing) has no value, `suppressed` false and reason
`undefined`. Never is a hidden figure shown as 0.

This module turns computed measures into raw cells and says, for each measure, how privacy.py must treat it
(MEASURES): what kind of figure it is, whether it is a breakdown, which cells add up to which (PARTITIONS
and the additive flags), and which cells a derived figure is computed from. Raw cells never leave the
domain: only privacy.publish() turns them into `Cell`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from domain.errors import InvalidInput
from domain.stats.bridging import DimensionBridging
from domain.stats.participation import MedianDays, ParticipationMeasures, Rate
from domain.stats.reciprocity import ReciprocityMeasures
from domain.stats.windows import Window

ALL_ANTENNAS = "all"
CSV_COLUMNS: tuple[str, ...] = (
    "antenna", "period", "measure", "dimension", "value", "lower", "upper", "suppressed", "reason",
)  # fmt: skip


class Kind(StrEnum):
    COUNT = "count"  # people, exchanges, posts: thresholded and rounded to 5
    MINUTES = "minutes"  # a sum of minutes: rounded to 5, hidden with the count it stems from
    FIGURE = "figure"  # a share, index, median or coefficient: hidden when its sources are


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    kind: Kind
    # A breakdown is withheld entirely for an antenna and window with fewer than 10 active members.
    breakdown: bool = False
    # Flows (exchanges, minutes, posts) of three months add up to their quarter; distinct members do not.
    additive_over_time: bool = False
    # Counted conservatively as adding up over antennas even where a member of two antennas makes the sum
    # inexact: a false "adds up" only costs an extra suppression, a missed one could leak a cell.
    additive_over_antennas: bool = True
    # Cells (same antenna, period, dimension) this figure is computed from: hidden when any of them is.
    depends_on: tuple[str, ...] = ()


_C, _M, _F = Kind.COUNT, Kind.MINUTES, Kind.FIGURE

MEASURES: dict[str, MeasureSpec] = {
    # participation
    "registered_members": MeasureSpec(_C),
    "approved_members": MeasureSpec(_C),
    "active_members": MeasureSpec(_C),
    "exchanges": MeasureSpec(_C, additive_over_time=True),
    "minutes": MeasureSpec(_M, additive_over_time=True, depends_on=("exchanges",)),
    "offers_posted": MeasureSpec(_C, additive_over_time=True),
    "requests_posted": MeasureSpec(_C, additive_over_time=True),
    "requests_matched": MeasureSpec(_C, additive_over_time=True),
    "request_match_share": MeasureSpec(_F, depends_on=("requests_matched", "requests_posted")),
    "median_days_to_proposal": MeasureSpec(_F),
    "median_days_to_settlement": MeasureSpec(_F),
    "moderator_approval_rate": MeasureSpec(_F),
    "member_acceptance_rate": MeasureSpec(_F),
    # reciprocity
    "members_gave_and_received": MeasureSpec(_C),
    "share_gave_and_received": MeasureSpec(_F, depends_on=("members_gave_and_received", "active_members")),
    "members_giver": MeasureSpec(_C, breakdown=True),
    "members_balanced": MeasureSpec(_C, breakdown=True),
    "members_receiver": MeasureSpec(_C, breakdown=True),
    "dyadic_reciprocity": MeasureSpec(_F),
    "weighted_reciprocity": MeasureSpec(_F, depends_on=("minutes",)),
    "cycle_minutes_share": MeasureSpec(_F, depends_on=("minutes",)),
    "gini_given": MeasureSpec(_F, depends_on=("active_members",)),
    "gini_received": MeasureSpec(_F, depends_on=("active_members",)),
    "median_days_to_first_giving": MeasureSpec(_F),
    "median_days_to_first_receiving": MeasureSpec(_F),
    "pool_inflow_minutes": MeasureSpec(_M, additive_over_time=True),
    "pool_outflow_minutes": MeasureSpec(_M, additive_over_time=True),
    # bridging, one set per dimension
    "compared_exchanges": MeasureSpec(_C, breakdown=True, additive_over_time=True),
    "external_exchanges": MeasureSpec(_C, breakdown=True, additive_over_time=True),
    "internal_exchanges": MeasureSpec(_C, breakdown=True, additive_over_time=True),
    "external_share": MeasureSpec(_F, breakdown=True, depends_on=("external_exchanges", "internal_exchanges")),
    "ei_index": MeasureSpec(_F, breakdown=True, depends_on=("external_exchanges", "internal_exchanges")),
    "blau": MeasureSpec(_F, breakdown=True),
    "baseline_ratio": MeasureSpec(_F, breakdown=True, depends_on=("external_share", "blau")),
    "cohort_members": MeasureSpec(_C, breakdown=True, additive_over_time=True),
    "cohort_bridged": MeasureSpec(_C, breakdown=True, additive_over_time=True),
    "cohort_bridged_share": MeasureSpec(_F, breakdown=True, depends_on=("cohort_bridged", "cohort_members")),
    "median_days_to_first_bridge": MeasureSpec(_F, breakdown=True),
}


@dataclass(frozen=True, slots=True)
class Partition:
    """Within one antenna, period and dimension: `parts` add up to `total` (or to part of it)."""

    total: str
    parts: tuple[str, ...]
    # When incomplete, the unpublished remainder total - sum(parts) is itself a count to protect.
    complete: bool


PARTITIONS: tuple[Partition, ...] = (
    Partition("active_members", ("members_giver", "members_balanced", "members_receiver"), complete=True),
    Partition("active_members", ("members_gave_and_received",), complete=False),
    Partition("requests_posted", ("requests_matched",), complete=False),
    Partition("compared_exchanges", ("external_exchanges", "internal_exchanges"), complete=True),
    Partition("cohort_members", ("cohort_bridged",), complete=False),
)

CellKey = tuple[str, str, str, str | None]  # antenna, period, measure, dimension


@dataclass(frozen=True, slots=True)
class RawCell:
    """An unprotected figure. `bases` are counts the figure is computed from that have no cell of their own
    (sample sizes, numerators); the figure is hidden when one of them is below the threshold."""

    antenna: str
    window: Window
    measure: str
    dimension: str | None
    value: int | float | None
    lower: float | None = None
    upper: float | None = None
    bases: tuple[int, ...] = ()

    @property
    def key(self) -> CellKey:
        return (self.antenna, self.window.label, self.measure, self.dimension)

    @property
    def spec(self) -> MeasureSpec:
        return MEASURES[self.measure]


class Cell(NamedTuple):
    """One published row of the analysts' table (a named tuple: tens of thousands are read back per request)."""

    antenna: str
    period: str
    measure: str
    dimension: str | None
    value: int | float | None
    lower: float | None
    upper: float | None
    suppressed: bool
    reason: str | None

    @property
    def key(self) -> CellKey:
        return self[:4]  # type: ignore[return-value]

    def as_row(self) -> tuple[object, ...]:
        """Values in CSV_COLUMNS order (the fields' order)."""
        return tuple(self)


assert Cell._fields == CSV_COLUMNS, "as_row() relies on the fields being the CSV columns"


@dataclass(frozen=True, slots=True)
class WindowMeasures:
    """Everything computed for one antenna (or ALL_ANTENNAS) and one window."""

    antenna: str
    window: Window
    participation: ParticipationMeasures
    reciprocity: ReciprocityMeasures
    bridging: tuple[DimensionBridging, ...] = ()

    def __post_init__(self) -> None:
        if self.participation.active_members != self.reciprocity.active_members:
            raise InvalidInput("error.stats.inconsistent_members")


def _rate(make: _Maker, measure: str, rate: Rate, *, dimension: str | None = None) -> RawCell:
    return make(measure, rate.value, dimension=dimension, bases=(rate.numerator, rate.denominator))


def _median(make: _Maker, measure: str, days: MedianDays, *, dimension: str | None = None) -> RawCell:
    return make(measure, days.value, dimension=dimension, bases=(days.sample_size,))


class _Maker:
    def __init__(self, antenna: str, window: Window) -> None:
        self.antenna, self.window = antenna, window

    def __call__(
        self,
        measure: str,
        value: int | float | None,
        *,
        dimension: str | None = None,
        bases: tuple[int, ...] = (),
        lower: float | None = None,
        upper: float | None = None,
    ) -> RawCell:
        return RawCell(
            antenna=self.antenna, window=self.window, measure=measure, dimension=dimension,
            value=value, lower=lower, upper=upper, bases=bases,
        )  # fmt: skip


def raw_cells(measures: WindowMeasures) -> list[RawCell]:
    make = _Maker(measures.antenna, measures.window)
    p, r = measures.participation, measures.reciprocity
    cells = [
        make("registered_members", p.registered_members),
        make("approved_members", p.approved_members),
        make("active_members", p.active_members),
        make("exchanges", p.exchanges),
        make("minutes", p.minutes),
        make("offers_posted", p.offers_posted),
        make("requests_posted", p.requests_posted),
        make("requests_matched", p.requests_matched),
        make("request_match_share", p.request_match_share.value),
        _median(make, "median_days_to_proposal", p.days_to_proposal),
        _median(make, "median_days_to_settlement", p.days_to_settlement),
        _rate(make, "moderator_approval_rate", p.moderator_approval_rate),
        _rate(make, "member_acceptance_rate", p.member_acceptance_rate),
        make("members_gave_and_received", r.gave_and_received.numerator),
        make("share_gave_and_received", r.gave_and_received.value),
        make("members_giver", r.balance_classes.givers),
        make("members_balanced", r.balance_classes.balanced),
        make("members_receiver", r.balance_classes.receivers),
        # A reciprocated tie is about two people: its count is a base like any other numerator.
        make("dyadic_reciprocity", r.dyadic_reciprocity, bases=(r.reciprocated_ties, r.ties)),
        make("weighted_reciprocity", r.weighted_reciprocity, bases=(r.reciprocated_ties, r.ties)),
        make("cycle_minutes_share", r.cycle_minutes_share, bases=(r.ties,)),
        make("gini_given", r.gini_given, bases=(r.active_members,)),
        make("gini_received", r.gini_received, bases=(r.active_members,)),
        _median(make, "median_days_to_first_giving", r.days_to_first_giving),
        _median(make, "median_days_to_first_receiving", r.days_to_first_receiving),
        make("pool_inflow_minutes", r.pool_inflow.minutes, bases=(r.pool_inflow.transfers,)),
        make("pool_outflow_minutes", r.pool_outflow.minutes, bases=(r.pool_outflow.transfers,)),
    ]
    for b in measures.bridging:
        d = b.dimension
        interval = b.external_share_interval
        cells += [
            make("compared_exchanges", b.compared, dimension=d),
            make("external_exchanges", b.external, dimension=d),
            make("internal_exchanges", b.internal, dimension=d),
            make(
                "external_share",
                b.external_share,
                dimension=d,
                lower=interval.lower if interval else None,
                upper=interval.upper if interval else None,
            ),
            make("ei_index", b.ei_index, dimension=d),
            # Blau's figure and the member count give away the distribution: every group must be large.
            make("blau", b.blau, dimension=d, bases=(b.comparable_members, b.smallest_group)),
            make("baseline_ratio", b.baseline_ratio, dimension=d),
            make("cohort_members", b.cohort.denominator, dimension=d),
            make("cohort_bridged", b.cohort.numerator, dimension=d),
            make("cohort_bridged_share", b.cohort.value, dimension=d),
            _median(make, "median_days_to_first_bridge", b.days_to_first_bridge, dimension=d),
        ]
    return cells
