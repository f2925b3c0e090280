"""Analysts' statistics: database aggregates -> domain measures -> disclosure control -> the cells asked for.

Privacy by construction: the requested range is widened to whole calendar windows (domain.stats.windows),
and the table is always computed and protected for the complete family privacy.publish() needs (every
antenna plus `all`, every month of every quarter the range touches, both months and quarters), and only
then filtered to what was asked. So the same cell reads the same whatever was asked, and secondary
suppression sees every sum a hidden cell could be recovered from. Before anything leaves, the answer is
checked again with privacy.assert_publishable(). The protected family is built per quarter block and
cached (read_blocks below, store/stats_cache.py) while the fingerprint of its inputs is unchanged.

Months and quarters are calendar windows in Brussels time. Durations are measured to a tenth of a day
(the database returns histograms of tenths, not one row per request). For all antennas together, members
are counted once (registered, approved, active, first giving/receiving); the bridging cohort of `all` is the
sum of the antennas' cohorts (a member joining two antennas is in both).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.errors import InvalidInput, NotFound
from domain.stats.bridging import (
    BackgroundProfile,
    BridgingCohort,
    BridgingInput,
    ProfileCount,
    ProfilePairExchanges,
    compute_bridging,
)
from domain.stats.cells import ALL_ANTENNAS, MEASURES, Cell, WindowMeasures
from domain.stats.network import PairFlow
from domain.stats.participation import ParticipationInput, compute_participation
from domain.stats.privacy import assert_publishable, publish
from domain.stats.reciprocity import MemberTotals, PoolFlow, ReciprocityInput, compute_reciprocity
from domain.stats.windows import Period, Window, window_from_label, window_of, windows
from store import stats_queries as q
from store.antennas import list_antennas
from store.base import utcnow
from store.stats_cache import get_blocks, mark_checked, save_block
from store.stats_fingerprint import QuarterBounds, fingerprints, version_tag

log = logging.getLogger("buurtbank.stats")

BRUSSELS = ZoneInfo("Europe/Brussels")
BRIDGING_MEASURES: tuple[str, ...] = (
    "compared_exchanges", "external_exchanges", "internal_exchanges", "external_share", "ei_index", "blau",
    "baseline_ratio", "cohort_members", "cohort_bridged", "cohort_bridged_share", "median_days_to_first_bridge",
)  # fmt: skip
RECIPROCITY_MEASURES: tuple[str, ...] = tuple(m for m in MEASURES if m not in BRIDGING_MEASURES)
ALL_MEASURES: tuple[str, ...] = tuple(MEASURES)
# One request covers at most ten years: enough for any report, and it bounds the work of one call.
MAX_MONTHS = 120


@dataclass(frozen=True, slots=True)
class StatsTable:
    """What an analyst asked for and the protected cells that answer it."""

    start: date
    end: date
    period: Period
    periods: tuple[str, ...]  # labels of the requested windows, in order
    antennas: tuple[str, ...]  # slugs shown, then `all`
    cells: tuple[Cell, ...]
    as_of: datetime  # the data the cells reflect was last checked then (see read_blocks)


def default_range(today: date) -> tuple[date, date]:
    """The last twelve calendar months up to today."""
    first = window_of(today, Period.MONTH).start
    year, month = divmod(first.year * 12 + first.month - 1 - 11, 12)
    return date(year, month + 1, 1), today


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), BRUSSELS).astimezone(UTC)


def _expand(histogram: dict[int, int] | None) -> tuple[float, ...]:
    if not histogram:
        return ()
    return tuple(tenths / 10 for tenths, count in sorted(histogram.items()) for _ in range(count))


def _merge(target: dict[int, int], source: dict[int, int] | None) -> None:
    for key, count in (source or {}).items():
        target[key] = target.get(key, 0) + count


@lru_cache(maxsize=4096)
def _profile(key: q.ProfileKey) -> BackgroundProfile:
    languages, origin, age_band, circle = key
    return BackgroundProfile(languages=q.parse_languages(languages), origin=origin, age_band=age_band, circle=circle)


@dataclass
class _Month:
    """Additive aggregates of one antenna and one month (they add up to quarters and to all antennas)."""

    flows: list[q.PairRow] = field(default_factory=list)
    posts: q.PostCounts = field(default_factory=q.PostCounts)
    decisions: q.DecisionCounts = field(default_factory=q.DecisionCounts)
    to_proposal: dict[int, int] = field(default_factory=dict)
    to_settlement: dict[int, int] = field(default_factory=dict)
    pool: dict[str, tuple[int, int]] = field(default_factory=dict)
    profile_pairs: Counter[tuple[q.ProfileKey, q.ProfileKey]] = field(default_factory=Counter)
    cohort: list[q.CohortRow] = field(default_factory=list)


@dataclass
class _Data:
    months: tuple[Window, ...]
    quarters: tuple[Window, ...]
    per_month: dict[tuple[int, int], _Month]
    members: dict[q.AntennaKey, tuple[list[int], list[int]]]
    first_giving: dict[tuple[q.AntennaKey, int], dict[int, int]]
    first_receiving: dict[tuple[q.AntennaKey, int], dict[int, int]]
    profiles_by_month: dict[tuple[q.AntennaKey, int], dict[q.ProfileKey, int]]
    profiles_by_quarter: dict[tuple[q.AntennaKey, int], dict[q.ProfileKey, int]]


def _load(session: Session, months: tuple[Window, ...], quarters: tuple[Window, ...], *, bridging: bool) -> _Data:
    bounds = q.Buckets((*(_instant(m.start) for m in months), _instant(months[-1].end)))
    per_month: dict[tuple[int, int], _Month] = defaultdict(_Month)
    for row in q.pair_flows(session, bounds):
        per_month[(row.antenna_id, row.window)].flows.append(row)
    for key, posts in q.post_counts(session, bounds).items():
        per_month[key].posts = posts
    for key, decisions in q.proposal_decisions(session, bounds).items():
        per_month[key].decisions = decisions
    for key, histogram in q.request_durations(session, bounds, to="proposal").items():
        per_month[key].to_proposal = histogram  # type: ignore[index]
    for key, histogram in q.request_durations(session, bounds, to="settlement").items():
        per_month[key].to_settlement = histogram  # type: ignore[index]
    for (antenna, window, kind), flow in q.pool_flows(session, bounds).items():
        per_month[(antenna, window)].pool[kind] = flow
    profiles_by_month: dict[tuple[q.AntennaKey, int], dict[q.ProfileKey, int]] = {}
    profiles_by_quarter: dict[tuple[q.AntennaKey, int], dict[q.ProfileKey, int]] = {}
    if bridging:
        for antenna, window, first, second, count in q.profile_pair_exchanges(session, bounds):
            per_month[(antenna, window)].profile_pairs[(first, second)] += count
        # Months come three by three, quarter after quarter (compute_measures), so month i is in quarter i // 3.
        profiles_by_month, profiles_by_quarter = q.active_profiles(session, bounds, months_per_group=3)
        shifted = q.Buckets(tuple(_instant(_months_before(m.start, 6)) for m in months) + (
            _instant(_months_before(months[-1].end, 6)),
        ))  # fmt: skip
        for row in q.cohort_rows(session, bounds, shifted):
            per_month[(row.antenna_id, row.window)].cohort.append(row)
    return _Data(
        months=months,
        quarters=quarters,
        per_month=per_month,
        members=q.membership_counts(session, bounds),
        first_giving=q.first_participation(session, bounds, role="helper"),
        first_receiving=q.first_participation(session, bounds, role="receiver"),
        profiles_by_month=profiles_by_month,
        profiles_by_quarter=profiles_by_quarter,
    )


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, day.day)


def _measures(
    data: _Data,
    *,
    antenna: q.AntennaKey,
    label: str,
    window: Window,
    month_indexes: Sequence[int],
    quarter: int | None,
    antenna_ids: Iterable[int],
    bridging: bool,
) -> WindowMeasures:
    ids = [antenna] if antenna is not None else list(antenna_ids)
    parts = [data.per_month[(a, i)] for a in ids for i in month_indexes if (a, i) in data.per_month]
    given: Counter[int] = Counter()
    received: Counter[int] = Counter()
    flows: list[PairFlow] = []
    exchanges = minutes = 0
    for part in parts:
        for row in part.flows:
            given[row.giver] += row.minutes
            received[row.receiver] += row.minutes
            flows.append(PairFlow(row.giver, row.receiver, row.minutes))
            exchanges += row.exchanges
            minutes += row.minutes
    members = [MemberTotals(given[m], received[m]) for m in given.keys() | received.keys()]
    series = data.members.get(antenna)
    registered, approved = (series[0][month_indexes[-1]], series[1][month_indexes[-1]]) if series else (0, 0)
    active = len(members)
    if active > approved or approved > registered:
        # An exchange by someone not (yet) approved in that antenna: bad data, not a reason to refuse a report.
        log.warning("stats: %s %s has %d active members but %d approved", antenna, label, active, approved)
        approved = max(approved, active)
        registered = max(registered, approved)
    to_proposal: dict[int, int] = {}
    to_settlement: dict[int, int] = {}
    first_giving: dict[int, int] = {}
    first_receiving: dict[int, int] = {}
    for part in parts:
        _merge(to_proposal, part.to_proposal)
        _merge(to_settlement, part.to_settlement)
    for i in month_indexes:
        _merge(first_giving, data.first_giving.get((antenna, i)))
        _merge(first_receiving, data.first_receiving.get((antenna, i)))
    posts = [p.posts for p in parts]
    decisions = [p.decisions for p in parts]
    participation = compute_participation(
        ParticipationInput(
            registered_members=registered,
            approved_members=approved,
            active_members=active,
            exchanges=exchanges,
            minutes=minutes,
            offers_posted=sum(p.offers for p in posts),
            requests_posted=sum(p.requests for p in posts),
            requests_matched=sum(p.matched for p in posts),
            days_to_proposal=_expand(to_proposal),
            days_to_settlement=_expand(to_settlement),
            moderator_approved=sum(d.moderator_approved for d in decisions),
            moderator_rejected=sum(d.moderator_rejected for d in decisions),
            member_accepted=sum(d.member_accepted for d in decisions),
            member_declined=sum(d.member_declined for d in decisions),
        )
    )

    def pool(kind: str) -> PoolFlow:
        flows = [p.pool[kind] for p in parts if kind in p.pool]
        return PoolFlow(minutes=sum(f[0] for f in flows), transfers=sum(f[1] for f in flows))

    reciprocity = compute_reciprocity(
        ReciprocityInput(
            members=tuple(members),
            flows=tuple(flows),
            days_to_first_giving=_expand(first_giving),
            days_to_first_receiving=_expand(first_receiving),
            pool_inflow=pool("donation"),
            pool_outflow=pool("pool_payment"),
        )
    )
    bridges = ()
    if bridging:
        pairs: Counter[tuple[q.ProfileKey, q.ProfileKey]] = Counter()
        for part in parts:
            pairs.update(part.profile_pairs)
        profiles = (
            data.profiles_by_quarter.get((antenna, quarter), {})
            if quarter is not None
            else data.profiles_by_month.get((antenna, month_indexes[0]), {})
        )
        bridges = compute_bridging(
            BridgingInput(
                pair_exchanges=tuple(ProfilePairExchanges(_profile(a), _profile(b), n) for (a, b), n in pairs.items()),
                active_profiles=tuple(ProfileCount(_profile(p), n) for p, n in profiles.items()),
                cohorts=_cohorts(row for part in parts for row in part.cohort),
            )
        )
    return WindowMeasures(
        antenna=ALL_ANTENNAS if antenna is None else label, window=window, participation=participation,
        reciprocity=reciprocity, bridging=bridges,
    )  # fmt: skip


def _cohorts(rows: Iterable[q.CohortRow]) -> tuple[BridgingCohort, ...]:
    members: Counter[str] = Counter()
    bridged: Counter[str] = Counter()
    days: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for dimension in q.COHORT_DIMENSIONS:
            if not row.declared[dimension]:
                continue
            members[dimension] += 1
            waited = row.days_to_bridge[dimension]
            if waited is not None:
                bridged[dimension] += 1
                days[dimension].append(round(max(0.0, waited), 1))
    return tuple(
        BridgingCohort(d, members=members[d], bridged_within_six_months=bridged[d], days_to_first_bridge=tuple(days[d]))
        for d in q.COHORT_DIMENSIONS
    )


def compute_measures(session: Session, *, start: date, end: date, bridging: bool = True) -> list[WindowMeasures]:
    """Unprotected measures of every antenna and `all`, every month and quarter the range touches (never
    returned to analysts: only protected_table's cells are)."""
    months_asked = windows(start, end, Period.MONTH)
    if len(months_asked) > MAX_MONTHS:
        raise InvalidInput("error.stats.range_too_long", field="from", max_windows=MAX_MONTHS)
    quarters = windows(start, end, Period.QUARTER)
    months = tuple(m for quarter in quarters for m in quarter.months())
    data = _load(session, months, quarters, bridging=bridging)
    slugs = {a.id: a.slug for a in list_antennas(session) if a.id is not None}
    measures = []
    for antenna in (*sorted(slugs, key=lambda a: slugs[a]), None):
        label = slugs[antenna] if antenna is not None else ALL_ANTENNAS
        common = {"antenna": antenna, "label": label, "antenna_ids": slugs, "bridging": bridging}
        for i, month in enumerate(months):
            measures.append(_measures(data, window=month, month_indexes=(i,), quarter=None, **common))  # type: ignore[arg-type]
        for j, quarter in enumerate(quarters):
            indexes = (3 * j, 3 * j + 1, 3 * j + 2)
            measures.append(_measures(data, window=quarter, month_indexes=indexes, quarter=j, **common))  # type: ignore[arg-type]
    return measures


def protected_table(session: Session, *, start: date, end: date, bridging: bool = True) -> tuple[Cell, ...]:
    """The whole protected family for the range: every antenna and `all`, every month and quarter touched."""
    return publish(compute_measures(session, start=start, end=end, bridging=bridging))


# --- published blocks, cached per quarter ------------------------------------------------------------------
#
# A quarter with its three months, for every antenna and `all`, is a complete family for publish(): no sum
# links two quarters (months add up to their own quarter only), so protecting quarter by quarter gives
# exactly the cells of protecting the whole range at once. Blocks are cached after protection (store/
# stats_cache.py) with the fingerprint of their inputs (store/stats_fingerprint.py), taken BEFORE the
# figures are computed: data arriving in between makes the stored fingerprint old, so the block is
# recomputed on the next read, never served stale. Reciprocity cells do not depend on the bridging ones
# (no partition, sum or dependency links the two families), so the families are cached separately and the
# reciprocity endpoint never runs the bridging queries.

RECIPROCITY, BRIDGING = "reciprocity", "bridging"


def _quarter_bounds(quarter: Window) -> QuarterBounds:
    months = quarter.months()
    return QuarterBounds(quarter.label, q.Buckets((*(_instant(m.start) for m in months), _instant(months[-1].end))))


def _family(cell: Cell) -> str:
    return BRIDGING if cell.measure in BRIDGING_MEASURES else RECIPROCITY


def _runs(quarters: Sequence[Window]) -> list[list[Window]]:
    """Consecutive quarters grouped, so each run is loaded with one set of queries."""
    runs: list[list[Window]] = []
    for quarter in quarters:
        if runs and runs[-1][-1].end == quarter.start:
            runs[-1].append(quarter)
        else:
            runs.append([quarter])
    return runs


def _publish_by_quarter(measures: Iterable[WindowMeasures], quarters: Sequence[Window]) -> dict[str, tuple[Cell, ...]]:
    groups: dict[str, list[WindowMeasures]] = {w.label: [] for w in quarters}
    for m in measures:
        owner = next(w for w in quarters if w.contains(m.window))
        groups[owner.label].append(m)
    return {label: publish(group) for label, group in groups.items()}


@dataclass(frozen=True, slots=True)
class Blocks:
    """The protected cells of whole quarters, and the moment their data was last known to be current."""

    cells: tuple[Cell, ...]
    as_of: datetime


def read_blocks(
    session: Session,
    *,
    start: date,
    end: date,
    bridging: bool,
    refresh: bool = False,
    counts: dict[str, int] | None = None,
    max_age: timedelta = timedelta(0),
    now: datetime | None = None,
    keep: Callable[[Sequence[Any]], bool] | None = None,
) -> Blocks:
    """The protected cells of every quarter the range touches (the same cells as protected_table).

    Blocks whose fingerprint was found current less than `max_age` ago, by this code's CACHE_VERSION, are
    served as they are: the scheduler re-checks them every few minutes, so a request does not pay for the
    check. The others have their fingerprint recomputed and are recomputed themselves when their data
    changed. `keep` filters the cells (as rows in CSV_COLUMNS order) before they are decoded and ordered."""
    if len(windows(start, end, Period.MONTH)) > MAX_MONTHS:
        raise InvalidInput("error.stats.range_too_long", field="from", max_windows=MAX_MONTHS)
    now = now or utcnow()
    quarters = windows(start, end, Period.QUARTER)
    families = (RECIPROCITY, BRIDGING) if bridging else (RECIPROCITY,)
    labels = [w.label for w in quarters]
    stored = {family: get_blocks(session, family=family, quarters=labels) for family in families}
    blocks = [stored[f].get(label) for label in labels for f in families]
    version = version_tag()
    recent = [
        b
        for b in blocks
        if b is not None
        and max_age > timedelta(0)
        and now - b.checked_at < max_age
        and b.fingerprint.startswith(version)
    ]
    if not refresh and len(recent) == len(blocks):
        if counts is not None:
            counts.update(quarters=len(quarters), recomputed=0)
        as_of = min(b.checked_at for b in recent)
        return Blocks(_ordered(session, [_decode(b.cells, keep) for b in recent]), as_of)
    current = fingerprints(session, [_quarter_bounds(w) for w in quarters])
    found: dict[tuple[str, str], tuple[Cell, ...]] = {}
    missing, confirmed = [], []
    for quarter in quarters:
        mine = [stored[f].get(quarter.label) for f in families]
        if refresh or any(b is None or b.fingerprint != current[quarter.label] for b in mine):
            missing.append(quarter)
            continue
        for family, block in zip(families, mine, strict=True):
            assert block is not None and block.id is not None
            found[(quarter.label, family)] = _decode(block.cells, keep)
            confirmed.append(block.id)
    mark_checked(session, ids=confirmed, now=now)
    if counts is not None:
        counts.update(quarters=len(quarters), recomputed=len(missing))
    for run in _runs(missing):
        measures = compute_measures(session, start=run[0].start, end=last_day(run[-1]), bridging=bridging)
        for label, cells in _publish_by_quarter(measures, run).items():
            for family in families:
                part = tuple(c for c in cells if _family(c) == family)
                found[(label, family)] = part if keep is None else tuple(filter(keep, part))
                save_block(
                    session, family=family, quarter=label, fingerprint=current[label],
                    cells=(c.as_row() for c in part), now=now,
                )  # fmt: skip
    return Blocks(_ordered(session, [found[(q.label, f)] for q in quarters for f in families]), now)


def _decode(rows: Sequence[Sequence[Any]], keep: Callable[[Sequence[Any]], bool] | None) -> tuple[Cell, ...]:
    return tuple(Cell._make(row) for row in (rows if keep is None else filter(keep, rows)))


def _ordered(session: Session, parts: Sequence[tuple[Cell, ...]]) -> tuple[Cell, ...]:
    """The order of protected_table: antenna, months then quarters, each window's cells as computed."""
    slugs = sorted(a.slug for a in list_antennas(session))
    rank = {slug: i for i, slug in enumerate((*slugs, ALL_ANTENNAS))}
    order: dict[str, tuple[bool, date]] = {}
    for part in parts:
        for label in {c.period for c in part}:
            w = window_from_label(label)
            order[label] = (w.period is Period.QUARTER, w.start)
    cells = [c for part in parts for c in part]
    return tuple(sorted(cells, key=lambda c: (rank.get(c.antenna, len(rank)), order[c.period])))


def warm_cache(session: Session, *, today: date, now: datetime | None = None) -> dict[str, int]:
    """Re-checks every quarter with data (at most the last ten years), both families, and recomputes those
    whose data changed."""
    first = window_of(today, Period.QUARTER).start
    earliest = q.earliest_activity(session)
    start = max(earliest.astimezone(BRUSSELS).date(), _months_before(first, MAX_MONTHS - 3)) if earliest else first
    start = window_of(start, Period.QUARTER).start
    counts = {"quarters": 0, "recomputed": 0}
    read_blocks(session, start=start, end=today, bridging=True, counts=counts, now=now)
    return counts


def statistics(
    session: Session,
    *,
    start: date,
    end: date,
    period: Period,
    antenna: str | None = None,
    measures: Sequence[str] = RECIPROCITY_MEASURES,
    dimension: str | None = None,
    max_age: timedelta = timedelta(0),
    now: datetime | None = None,
) -> StatsTable:
    """The cells of the requested windows, antenna (or all of them) and measures; checked before return.
    Cached blocks checked less than `max_age` ago are trusted without re-checking (read_blocks)."""
    requested = windows(start, end, period)
    slugs = sorted(a.slug for a in list_antennas(session))
    if antenna is not None and antenna not in (*slugs, ALL_ANTENNAS):
        raise NotFound()
    shown = (antenna,) if antenna is not None else (*slugs, ALL_ANTENNAS)
    bridging = any(m in BRIDGING_MEASURES for m in measures)
    if bridging:
        # Breakdowns are judged against the antenna's active members: the checker needs that cell.
        measures = (*measures, "active_members")
    labels = tuple(w.label for w in requested)
    wanted_measures, wanted_labels, wanted_antennas = set(measures), set(labels), set(shown)

    def keep(row: Sequence[Any]) -> bool:  # a cell as (antenna, period, measure, dimension, ...)
        return (
            row[2] in wanted_measures
            and row[1] in wanted_labels
            and row[0] in wanted_antennas
            and (dimension is None or row[3] is None or row[3] == dimension)
        )

    found = read_blocks(session, start=start, end=end, bridging=bridging, max_age=max_age, now=now, keep=keep)
    assert_publishable(found.cells)
    return StatsTable(
        start=start, end=end, period=period, periods=labels, antennas=shown, cells=found.cells, as_of=found.as_of
    )


def last_day(window: Window) -> date:
    return window.end - timedelta(days=1)
