"""Disclosure control: the one place that decides what analysts may see.

Analysts get the aggregate cells of cells.py and nothing else: no member ids, names, free text, locations
or single exchanges ever reach a `Cell` (the raw inputs carry only counts, minutes and coarse categories,
and `assert_publishable` refuses any measure not in cells.MEASURES). Rules, applied by `publish()`:

1. Thresholds. A count below 10 is hidden when it involves origin or languages (dimensions `origin`,
   `languages` and `any`, which includes both), below 5 otherwise; zero included, so a hidden cell and a
   true zero look the same. A derived figure (share, index, median, Gini, Blau...) is hidden when one of
   the counts it is computed from is below that threshold.
2. Small antennas. An antenna and window with fewer than 10 active members gets its totals only: every
   breakdown (balance classes, every background dimension) is hidden.
3. Propagation. A figure computed from a hidden cell is hidden; so are minutes whose exchange count is.
4. Secondary suppression. Where cells add up to a published total (the parts of a partition, the antennas
   to `all`, three months to their quarter) a single hidden cell could be recovered by subtraction, so the
   smallest other published cell of that sum is hidden as well, repeatedly until no sum has exactly one
   hidden cell. Where published parts cover only part of a total, the remainder is protected like a cell.
   This is the usual cell-by-cell heuristic, not a full linear-programming audit; rounding (5.) blurs what
   combining several sums could still reveal.
5. Rounding. Published counts and minutes are rounded to the nearest multiple of 5. Thresholds are judged
   on the exact counts, so a published count is never under its threshold.

Rule 4 only protects sums it can see: the caller must pass every antenna together with `all`, and whole
quarters together with their months, then filter the cells it shows. Members without background consent
have no profile, so they count in totals and never in a background breakdown (see bridging.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.background import Dimension
from domain.errors import DomainError, InvalidInput
from domain.stats.bridging import ANY
from domain.stats.cells import (
    ALL_ANTENNAS,
    MEASURES,
    PARTITIONS,
    Cell,
    CellKey,
    Kind,
    RawCell,
    WindowMeasures,
    raw_cells,
)
from domain.stats.windows import Period, Window, window_from_label, window_of

SENSITIVE_DIMENSIONS = frozenset({Dimension.ORIGIN.value, Dimension.LANGUAGES.value, ANY})
KNOWN_DIMENSIONS = SENSITIVE_DIMENSIONS | {d.value for d in Dimension}
SENSITIVE_THRESHOLD = 10
THRESHOLD = 5
MIN_ACTIVE_FOR_BREAKDOWN = 10
ROUNDING_BASE = 5


class Reason(StrEnum):
    SMALL_COUNT = "small_count"
    SMALL_BASE = "small_base"
    SMALL_ANTENNA = "small_antenna"
    DERIVED = "derived_from_suppressed"
    SECONDARY = "secondary"
    UNDEFINED = "undefined"  # not a suppression: the figure does not exist (a share of nothing)


class DisclosureRisk(DomainError):
    """A table about to be published breaks a disclosure rule: a bug, never something to show."""

    default_key = "error.stats.disclosure"


def threshold(dimension: str | None) -> int:
    return SENSITIVE_THRESHOLD if dimension in SENSITIVE_DIMENSIONS else THRESHOLD


def round_to_base(value: int) -> int:
    """Nearest multiple of 5 (an integer never lies exactly halfway)."""
    return ROUNDING_BASE * ((value + ROUNDING_BASE // 2) // ROUNDING_BASE)


@dataclass(frozen=True, slots=True)
class Sum:
    """total = sum(parts) (complete) or total >= sum(parts) with a protected remainder (not complete)."""

    total: CellKey
    parts: tuple[CellKey, ...]
    complete: bool
    threshold: int


def _sums(cells: Mapping[CellKey, Window]) -> list[Sum]:
    """Every sum the table's cells take part in, from each cell's key and window."""
    sums = []
    partitions: dict[str, list[tuple[tuple[str, ...], bool]]] = defaultdict(list)
    for partition in PARTITIONS:
        partitions[partition.total].append((partition.parts, partition.complete))
    for antenna, period, measure, dimension in cells:
        for parts_of, complete in partitions.get(measure, ()):
            parts = tuple(k for k in ((antenna, period, part, dimension) for part in parts_of) if k in cells)
            if parts:
                total = (antenna, period, measure, dimension)
                sums.append(Sum(total, parts, complete, threshold(dimension)))
    by_measure: dict[tuple[str, str | None], list[CellKey]] = defaultdict(list)
    for key in cells:
        by_measure[(key[2], key[3])].append(key)
    for (measure, dimension), keys in by_measure.items():
        spec = MEASURES[measure]
        if spec.kind is Kind.FIGURE:
            continue
        if spec.additive_over_antennas:
            # Indexed by window (keys keep their order), instead of scanning every key for every total.
            by_period: dict[str, list[CellKey]] = defaultdict(list)
            for k in keys:
                if k[0] != ALL_ANTENNAS:
                    by_period[k[1]].append(k)
            for total in (k for k in keys if k[0] == ALL_ANTENNAS):
                if parts := tuple(by_period.get(total[1], ())):
                    sums.append(Sum(total, parts, True, threshold(dimension)))
        if spec.additive_over_time:
            # A month adds up to the quarter that contains it (windows are calendar months and quarters).
            by_quarter: dict[tuple[str, Window], list[CellKey]] = defaultdict(list)
            for k in keys:
                window = cells[k]
                if window.period is not Period.QUARTER:
                    by_quarter[(k[0], window_of(window.start, Period.QUARTER))].append(k)
            for total in keys:
                quarter = cells[total]
                if quarter.period is not Period.QUARTER:
                    continue
                if parts := tuple(k for k in by_quarter.get((total[0], quarter), ()) if quarter.contains(cells[k])):
                    sums.append(Sum(total, parts, True, threshold(dimension)))
    return sums


def _primary(cells: dict[CellKey, RawCell], hidden: dict[CellKey, Reason]) -> None:
    active = {(k[0], k[1]): c.value for k, c in cells.items() if k[2] == "active_members" and k[3] is None}
    for key, cell in cells.items():
        spec, limit = cell.spec, threshold(cell.dimension)
        small_antenna = active.get((key[0], key[1]))
        if spec.breakdown and (small_antenna is None or small_antenna < MIN_ACTIVE_FOR_BREAKDOWN):
            hidden[key] = Reason.SMALL_ANTENNA
        elif spec.kind is Kind.COUNT and cell.value is not None and cell.value < limit:
            hidden[key] = Reason.SMALL_COUNT
        elif any(base < limit for base in cell.bases):
            hidden[key] = Reason.SMALL_BASE


def _propagate(cells: dict[CellKey, RawCell], hidden: dict[CellKey, Reason]) -> bool:
    changed = False
    for key, cell in cells.items():
        if key in hidden:
            continue
        sources = ((key[0], key[1], source, key[3]) for source in cell.spec.depends_on)
        if any(source in hidden for source in sources):
            hidden[key] = Reason.DERIVED
            changed = True
    return changed


def _secondary(cells: dict[CellKey, RawCell], sums: Sequence[Sum], hidden: dict[CellKey, Reason]) -> bool:
    changed = False
    for s in sums:
        members = (s.total, *s.parts)
        hidden_count = sum(1 for k in members if k in hidden)
        if s.complete:
            at_risk = hidden_count == 1
        else:
            # Nothing hidden: total minus the published parts gives the remainder, a count like any other.
            remainder = int(cells[s.total].value or 0) - sum(int(cells[k].value or 0) for k in s.parts)
            at_risk = hidden_count == 0 and remainder < s.threshold
        if not at_risk:
            continue
        published = sorted((k for k in s.parts if k not in hidden), key=lambda k: (cells[k].value or 0, k))
        if not published and s.total not in hidden:
            published = [s.total]
        if published:
            hidden[published[0]] = Reason.SECONDARY
            changed = True
    return changed


def _publish_one(cell: RawCell, reason: Reason | None) -> Cell:
    if reason is not None:
        return Cell(
            antenna=cell.antenna, period=cell.window.label, measure=cell.measure, dimension=cell.dimension,
            value=None, lower=None, upper=None, suppressed=True, reason=reason.value,
        )  # fmt: skip
    value = cell.value
    if cell.spec.kind is not Kind.FIGURE and value is not None:
        value = round_to_base(int(value))
    return Cell(
        antenna=cell.antenna, period=cell.window.label, measure=cell.measure, dimension=cell.dimension,
        value=value, lower=cell.lower, upper=cell.upper, suppressed=False,
        reason=Reason.UNDEFINED.value if value is None else None,
    )  # fmt: skip


def protect(raw: Iterable[RawCell]) -> tuple[Cell, ...]:
    """Apply rules 1-5 to raw cells (exposed for tests; the API calls publish())."""
    ordered = list(raw)
    cells: dict[CellKey, RawCell] = {}
    for cell in ordered:
        if cell.measure not in MEASURES:
            raise InvalidInput("error.stats.unknown_measure", measure=cell.measure)
        if cell.key in cells:
            raise InvalidInput("error.stats.duplicate_cell", measure=cell.measure)
        cells[cell.key] = cell
    hidden: dict[CellKey, Reason] = {}
    _primary(cells, hidden)
    sums = _sums({key: cell.window for key, cell in cells.items()})
    # Each pass only ever hides more cells, so the loop ends.
    while _propagate(cells, hidden) | _secondary(cells, sums, hidden):
        pass
    return tuple(_publish_one(cell, hidden.get(cell.key)) for cell in ordered)


def publish(measures: Iterable[WindowMeasures]) -> tuple[Cell, ...]:
    """The publishable table for the given antennas and windows (pass whole families, see above)."""
    published = protect(cell for m in measures for cell in raw_cells(m))
    assert_publishable(published)
    return published


def assert_publishable(cells: Iterable[Cell]) -> None:
    """Raise DisclosureRisk unless every rule that can be checked on the published table itself holds."""
    table = {c.key: c for c in cells}

    def fail(cell: Cell, rule: str) -> None:
        raise DisclosureRisk(rule=rule, measure=cell.measure, antenna=cell.antenna, period=cell.period)

    for cell in table.values():
        spec = MEASURES.get(cell.measure)
        if spec is None:
            fail(cell, "unknown measure")
            continue
        if cell.dimension is not None and cell.dimension not in KNOWN_DIMENSIONS:
            fail(cell, "unknown dimension")
        if cell.suppressed:
            if cell.value is not None or cell.lower is not None or cell.upper is not None or not cell.reason:
                fail(cell, "a suppressed cell must carry no value and a reason")
            continue
        if cell.value is None:
            if cell.reason != Reason.UNDEFINED:
                fail(cell, "a missing value must be suppressed or undefined")
            continue
        if isinstance(cell.value, bool) or not isinstance(cell.value, int | float):
            fail(cell, "values are numbers")
        if spec.kind is not Kind.FIGURE and (not isinstance(cell.value, int) or cell.value % ROUNDING_BASE):
            fail(cell, "counts and minutes are rounded to 5")
        if spec.kind is Kind.COUNT and cell.value < threshold(cell.dimension):
            fail(cell, "count under its threshold")
        if spec.breakdown:
            active = table.get((cell.antenna, cell.period, "active_members", None))
            # An active count hidden only by secondary suppression was large enough to publish; whether it
            # reached 10 is decided in publish(), which sees the exact count.
            hidden_large = active is not None and active.reason == Reason.SECONDARY
            small = active is None or active.value is None or active.value < MIN_ACTIVE_FOR_BREAKDOWN
            if small and not hidden_large:
                fail(cell, "breakdown of a small antenna")
        for source in spec.depends_on:
            origin = table.get((cell.antenna, cell.period, source, cell.dimension))
            if origin is not None and origin.suppressed:
                fail(cell, "figure derived from a suppressed cell")

    windows = {period: window_from_label(period) for period in {c.period for c in table.values()}}
    hidden = {k: Reason.SECONDARY for k, c in table.items() if c.suppressed}
    for s in _sums({k: windows[k[1]] for k in table}):
        if s.complete and sum(1 for k in (s.total, *s.parts) if k in hidden) == 1:
            fail(table[s.total], "a suppressed cell is recoverable from its total")
