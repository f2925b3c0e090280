"""Analysts' statistics as frozen, differentially private releases: the use cases.

- `release_window`: release one closed window for the antennas that have no release of it yet (the scheduler
  does this for every closed window; a request does it on demand when one is missing). Each antenna's release
  is checked by the accountant, computed from bounded contributions with OpenDP noise, and stored; the unique
  (antenna, period) constraint and a lock on the antenna rows make it happen once whatever runs concurrently.
- `statistics`: the published cells of the windows asked for: closed windows only, read from their releases
  (`all` antennas and the derived figures are post-processing of them). The open month or quarter is not
  published.
- `release_as_data`: one release as plain data (the analysts' console shows it).
- `privacy_report`: the parameters and the budget spent per antenna and quarter (GET /v1/stats/privacy).

Nothing in a release changes once it is made: consent withdrawn, an erasure or a late correction changes the
data of a closed window, never its release.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from buurtbank.settings import Settings
from domain.errors import InvalidInput, NotFound
from stats import queries as q
from stats import repository
from stats.rules.accountant import BudgetExhausted, PrivacyParameters, check_budget
from stats.rules.figures import (
    ALL_ANTENNAS,
    ALL_MEASURES,
    BASE_FIGURES,
    BRIDGING_MEASURES,
    RECIPROCITY_MEASURES,
    Bounds,
    Cell,
    Estimate,
    FigureKey,
    Reason,
    WindowData,
    combine,
    estimate,
    figures,
    release,
    withheld,
)
from stats.rules.noise import Noisy
from stats.rules.windows import Period, Window, window_from_label, window_of, windows
from stats.tables import StatsRelease
from store.antennas import list_antennas
from store.base import utcnow

__all__ = [
    "ALL_MEASURES", "BRIDGING_MEASURES", "RECIPROCITY_MEASURES", "BudgetExhausted", "StatsTable", "parameters",
    "privacy_report", "release_as_data", "release_closed_windows", "release_window", "statistics",
]  # fmt: skip

BRUSSELS = ZoneInfo("Europe/Brussels")
# One request covers at most ten years; the scheduler releases at most the last ten years.
MAX_MONTHS = 120
MECHANISM = (
    "member-level pure epsilon-differential privacy: contributions bounded per member (maximum-flow Lipschitz "
    "extensions), OpenDP discrete Laplace noise, basic composition per antenna and quarter"
)


def parameters(settings: Settings) -> PrivacyParameters:
    """The privacy parameters in force (settings; see README "Statistics releases")."""
    quarter = Bounds(
        exchanges=settings.stats_bound_exchanges,
        minutes=settings.stats_bound_minutes,
        partners=settings.stats_bound_partners,
        posts=settings.stats_bound_posts,
        pool_minutes=settings.stats_bound_pool_minutes,
    )
    # A member's busiest month of a quarter usually holds more than a third of it: months get half the bounds.
    month = Bounds(**{k: max(1, math.ceil(v / 2)) for k, v in quarter.as_dict().items()})
    return PrivacyParameters(
        epsilon_month=settings.stats_epsilon_month,
        epsilon_quarter=settings.stats_epsilon_quarter,
        budget_per_quarter=settings.stats_budget_per_quarter,
        quarter_bounds=quarter,
        month_bounds=month,
    )


def brussels_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(BRUSSELS).date()


def is_closed(window: Window, *, today: date, delay_days: int) -> bool:
    """A window is released once it has ended and `delay_days` have passed (late confirmations count)."""
    return window.end + timedelta(days=delay_days) <= today


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), BRUSSELS).astimezone(UTC)


def _quarter_of(window: Window) -> str:
    return window_of(window.start, Period.QUARTER).label


def load_window(session: Session, window: Window) -> dict[int, WindowData]:
    """The raw data of one window for every antenna (a handful of grouped queries)."""
    span = q.Span(_instant(window.start), _instant(window.end))
    memberships = q.membership_counts(session, span)
    pairs = q.pair_activity(session, span)
    offers, requests = q.posts(session, span)
    matched = q.matched_requests(session, span)
    decisions = q.decisions(session, span)
    pool_in, pool_out = q.pool_flows(session, span)
    profiles = q.profiles(session, (m for rows in pairs.values() for p in rows for m in (p.giver, p.receiver)))
    result = {}
    for antenna in list_antennas(session):
        assert antenna.id is not None
        a = antenna.id
        mine = pairs.get(a, [])
        members = {m for p in mine for m in (p.giver, p.receiver)}
        registered, approved = memberships.get(a, (0, 0))
        result[a] = WindowData(
            registered=registered,
            approved=approved,
            pairs=tuple(mine),
            offers=offers.get(a, {}),
            requests=requests.get(a, {}),
            matched=tuple(matched.get(a, ())),
            decisions=tuple(decisions.get(a, ())),
            pool_in=pool_in.get(a, {}),
            pool_out=pool_out.get(a, {}),
            profiles={m: p for m, p in profiles.items() if m in members},
        )
    return result


def _encode(noisy: dict[FigureKey, Noisy]) -> list[list[Any]]:
    return [[m, d, n.value, n.scale, n.epsilon, n.sensitivity] for (m, d), n in noisy.items()]


def _decode(release_row: StatsRelease) -> dict[FigureKey, Estimate]:
    out = {}
    for measure, dimension, value, scale, epsilon, sensitivity in release_row.figures:
        out[(measure, dimension)] = estimate(Noisy(int(value), float(scale), float(epsilon), int(sensitivity)))
    return out


def release_window(
    session: Session, *, window: Window, params: PrivacyParameters, today: date, delay_days: int,
    now: datetime | None = None, antenna_ids: Sequence[int] | None = None,
) -> dict[int, StatsRelease | Reason]:  # fmt: skip
    """Release a closed window for every antenna (or those given) that has none yet; each antenna's release,
    or Reason.BUDGET where the accountant refused it (nothing is spent or stored then)."""
    if not is_closed(window, today=today, delay_days=delay_days):
        raise InvalidInput("error.stats.open_period", field="period", period=window.label)
    now = now or utcnow()
    ids = list(antenna_ids) if antenna_ids is not None else [a.id for a in list_antennas(session) if a.id]
    repository.lock_antennas(session, ids)
    existing = repository.releases_of(session, periods=[window.label])
    result: dict[int, StatsRelease | Reason] = {
        a: existing[(a, window.label)] for a in ids if (a, window.label) in existing
    }
    missing = [a for a in ids if a not in result]
    if not missing:
        return result
    data = load_window(session, window)
    epsilon, bounds, quarter = params.epsilon(window), params.bounds(window), _quarter_of(window)
    for antenna_id in missing:
        try:
            check_budget(
                spent=repository.spent(session, antenna_id=antenna_id, quarter=quarter),
                epsilon=epsilon, budget=params.budget_per_quarter,
            )  # fmt: skip
        except BudgetExhausted:
            result[antenna_id] = Reason.BUDGET
            continue
        noisy = release(data.get(antenna_id, WindowData()), bounds=bounds, epsilon=epsilon)
        row = StatsRelease(
            antenna_id=antenna_id, period=window.label, quarter=quarter,
            epsilon=sum(n.epsilon for n in noisy.values()),
            parameters={"bounds": bounds.as_dict(), "epsilon": epsilon, "delta": params.delta, "mechanism": MECHANISM},
            figures=_encode(noisy), released_at=now,
        )  # fmt: skip
        result[antenna_id] = repository.add_release(session, row)
    return result


def release_closed_windows(
    session: Session, *, params: PrivacyParameters, today: date, delay_days: int, now: datetime | None = None
) -> dict[str, int]:
    """Release every closed month and quarter since the first activity (at most ten years back) that lacks a
    release: what the scheduler runs."""
    earliest = q.earliest_activity(session)
    if earliest is None:
        return {"windows": 0, "released": 0, "refused": 0}
    start = max(earliest.astimezone(BRUSSELS).date(), today - timedelta(days=366 * 10))
    counts = {"windows": 0, "released": 0, "refused": 0}
    known = {(r.antenna_id, r.period) for r in repository.all_releases(session)}
    antenna_ids = [a.id for a in list_antennas(session) if a.id]
    for period in (Period.MONTH, Period.QUARTER):
        for window in windows(start, today, period):
            if not is_closed(window, today=today, delay_days=delay_days):
                continue
            counts["windows"] += 1
            missing = [a for a in antenna_ids if (a, window.label) not in known]
            if not missing:
                continue
            made = release_window(
                session, window=window, params=params, today=today, delay_days=delay_days, now=now, antenna_ids=missing
            )  # fmt: skip
            counts["released"] += sum(1 for r in made.values() if isinstance(r, StatsRelease))
            counts["refused"] += sum(1 for r in made.values() if r is Reason.BUDGET)
    return counts


# --- reading releases ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatsTable:
    """What an analyst asked for and the published cells that answer it."""

    start: date
    end: date
    period: Period
    periods: tuple[str, ...]  # the released (closed) windows asked for, in order
    open_periods: tuple[str, ...]  # windows asked for that are not closed yet: not published
    antennas: tuple[str, ...]  # slugs shown, then `all`
    cells: tuple[Cell, ...]
    as_of: datetime  # when the newest release used was made


def default_range(today: date) -> tuple[date, date]:
    """The last twelve calendar months up to today."""
    first = window_of(today, Period.MONTH).start
    year, month = divmod(first.year * 12 + first.month - 1 - 11, 12)
    return date(year, month + 1, 1), today


def _cells(antenna: str, window: Window, base: dict[FigureKey, Estimate] | None) -> list[Cell]:
    published = figures(base) if base is not None else withheld(Reason.BUDGET)
    return [Cell.of(antenna, window.label, f) for f in published]


def statistics(
    session: Session,
    *,
    start: date,
    end: date,
    period: Period,
    params: PrivacyParameters,
    antenna: str | None = None,
    measures: Sequence[str] = RECIPROCITY_MEASURES,
    dimension: str | None = None,
    today: date | None = None,
    delay_days: int = 0,
    now: datetime | None = None,
) -> StatsTable:
    """The published cells of the closed windows of [start, end], for one antenna (or every antenna and `all`);
    windows without a release yet are released first."""
    now = now or utcnow()
    today = today or brussels_today(now)
    if len(windows(start, end, Period.MONTH)) > MAX_MONTHS:
        raise InvalidInput("error.stats.range_too_long", field="from", max_windows=MAX_MONTHS)
    asked = windows(start, end, period)
    antennas = list_antennas(session)
    slugs = [a.slug for a in antennas]
    if antenna is not None and antenna not in (*slugs, ALL_ANTENNAS):
        raise NotFound()
    closed = [w for w in asked if is_closed(w, today=today, delay_days=delay_days)]
    open_ = tuple(w.label for w in asked if w not in closed)
    stored = repository.releases_of(session, periods=[w.label for w in closed])
    by_slug = {a.slug: a for a in antennas}
    shown = [antenna] if antenna is not None else [*slugs, ALL_ANTENNAS]
    needed = [by_slug[s] for s in (slugs if ALL_ANTENNAS in shown else shown)]
    wanted = set(measures)
    cells: list[Cell] = []
    used: list[datetime] = []
    per_window: dict[str, dict[int, StatsRelease | Reason]] = defaultdict(dict)
    for w in closed:
        found: dict[int, StatsRelease | Reason] = {
            a.id: stored[(a.id, w.label)] for a in needed if a.id is not None and (a.id, w.label) in stored
        }
        missing = [a.id for a in needed if a.id is not None and a.id not in found]
        if missing:
            found.update(
                release_window(
                    session, window=w, params=params, today=today, delay_days=delay_days, now=now, antenna_ids=missing
                )
            )
        per_window[w.label] = found
        used += [r.released_at for r in found.values() if isinstance(r, StatsRelease)]
    for slug in shown:
        for w in closed:
            found = per_window[w.label]
            if slug == ALL_ANTENNAS:
                parts = [found.get(a.id) for a in antennas if a.id is not None]
                base = None
                if parts and all(isinstance(p, StatsRelease) for p in parts):
                    decoded = [_decode(p) for p in parts if isinstance(p, StatsRelease)]
                    base = {f.key: combine([d[f.key] for d in decoded]) for f in BASE_FIGURES}
            else:
                row = found.get(by_slug[slug].id or 0)
                base = _decode(row) if isinstance(row, StatsRelease) else None
            cells += [
                c for c in _cells(slug, w, base)
                if c.measure in wanted and (dimension is None or c.dimension is None or c.dimension == dimension)
            ]  # fmt: skip
    return StatsTable(
        start=start, end=end, period=period, periods=tuple(w.label for w in closed), open_periods=open_,
        antennas=tuple(shown), cells=tuple(cells), as_of=max(used) if used else now,
    )  # fmt: skip


def release_as_data(
    session: Session, *, antenna: str, period: str, params: PrivacyParameters, today: date | None = None,
    delay_days: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """One antenna's (or `all`'s) release of one closed window as plain data, made first if missing:

    {"antenna", "period", "released_at" (ISO, the newest release used), "epsilon" (spent on it; 0 for `all`,
    which is post-processing), "parameters" (bounds, epsilon, delta, mechanism), "figures": [{"measure",
    "dimension", "value", "lower", "upper", "noise_sd", "epsilon", "suppressed", "reason"}, ...]}.
    Raises InvalidInput for an open window, NotFound for an unknown antenna."""
    window = window_from_label(period)
    today = today or brussels_today()
    if not is_closed(window, today=today, delay_days=delay_days):
        raise InvalidInput("error.stats.open_period", field="period", period=period)
    table = statistics(
        session, start=window.start, end=window.end - timedelta(days=1), period=window.period, params=params,
        antenna=antenna, measures=ALL_MEASURES, today=today, delay_days=delay_days,
    )  # fmt: skip
    rows = repository.releases_of(session, periods=[period])
    slugs = {a.id: a.slug for a in list_antennas(session)}
    mine = [r for (a, _), r in rows.items() if antenna in (ALL_ANTENNAS, slugs.get(a))]
    return {
        "antenna": antenna,
        "period": period,
        "released_at": table.as_of.isoformat(),
        "epsilon": sum(r.epsilon for r in mine) if antenna != ALL_ANTENNAS else 0.0,
        "parameters": {
            "epsilon": params.epsilon(window), "delta": params.delta, "bounds": params.bounds(window).as_dict(),
            "mechanism": MECHANISM,
        },
        "figures": [c.as_dict() for c in table.cells],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class QuarterBudget:
    antenna: str
    quarter: str
    budget: float
    spent: float
    releases: tuple[tuple[str, float, datetime], ...]  # period, epsilon, released_at

    @property
    def remaining(self) -> float:
        return max(0.0, self.budget - self.spent)


def privacy_report(session: Session, *, params: PrivacyParameters, antenna: str | None = None) -> list[QuarterBudget]:
    """The budget spent per antenna and quarter, with the releases that spent it."""
    slugs = {a.id: a.slug for a in list_antennas(session)}
    if antenna is not None and antenna not in slugs.values():
        raise NotFound()
    grouped: dict[tuple[str, str], list[StatsRelease]] = defaultdict(list)
    for r in repository.all_releases(session):
        slug = slugs.get(r.antenna_id)
        if slug is not None and antenna in (None, slug):
            grouped[(slug, r.quarter)].append(r)
    return [
        QuarterBudget(
            antenna=slug,
            quarter=quarter,
            budget=params.budget_per_quarter,
            spent=sum(r.epsilon for r in rows),
            releases=tuple((r.period, r.epsilon, r.released_at) for r in sorted(rows, key=lambda r: r.period)),
        )  # fmt: skip
        for (slug, quarter), rows in sorted(grouped.items())
    ]
