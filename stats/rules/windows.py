"""Fixed reporting windows: calendar months and calendar quarters, nothing else.

Statistics are only ever computed over whole calendar months or whole calendar quarters. Arbitrary date
ranges would let an analyst subtract two overlapping ranges (1-20 March minus 1-19 March) and isolate one
day, so `windows()` widens the requested range to the whole windows it touches. Each closed window is
released once per antenna with its own noise (figures.py); a quarter and its months are separate releases whose
privacy cost is added up by the accountant (accountant.py).

Labels: a month is `YYYY-MM` (`2026-03`), a quarter `YYYY-Qn` (`2026-Q1`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import InvalidInput

# A generous bound (twenty years of months): one request must not make the service compute without end.
MAX_WINDOWS = 240


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True, slots=True, order=True)
class Window:
    """A half-open date range [start, end) covering exactly one calendar month or quarter."""

    start: date
    end: date
    period: Period

    @property
    def label(self) -> str:
        if self.period is Period.MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def contains(self, other: Window) -> bool:
        return self.start <= other.start and other.end <= self.end

    def months(self) -> tuple[Window, ...]:
        """The calendar months this window consists of (itself for a month)."""
        return tuple(_iterate(self.start, self.end, Period.MONTH))


def _step(period: Period) -> int:
    return 1 if period is Period.MONTH else 3


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def window_of(day: date, period: Period) -> Window:
    """The window of the given kind that contains `day`."""
    first_month = day.month if period is Period.MONTH else (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    return Window(start=start, end=_add_months(start, _step(period)), period=period)


def _iterate(start: date, end: date, period: Period) -> list[Window]:
    result = []
    current = window_of(start, period)
    while current.start < end:
        result.append(current)
        current = window_of(current.end, period)
    return result


def windows(start: date, end: date, period: Period | str) -> tuple[Window, ...]:
    """The whole months or quarters that intersect the inclusive date range [start, end], in order."""
    period = Period(period)
    if end < start:
        raise InvalidInput("error.stats.range_reversed", field="to")
    result = _iterate(start, window_of(end, period).end, period)
    if len(result) > MAX_WINDOWS:
        raise InvalidInput("error.stats.range_too_long", field="from", max_windows=MAX_WINDOWS)
    return tuple(result)


def window_from_label(label: str) -> Window:
    """The window a label such as `2026-03` or `2026-Q1` names."""
    try:
        year, _, rest = label.partition("-")
        if rest.startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
            return window_of(date(int(year), (int(rest[1:]) - 1) * 3 + 1, 1), Period.QUARTER)
        if len(rest) == 2:
            return window_of(date(int(year), int(rest), 1), Period.MONTH)
    except ValueError:
        pass
    raise InvalidInput("error.stats.unknown_period", field="period", period=label)
