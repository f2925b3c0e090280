"""Fingerprints of the data a quarter's statistics are computed from (for store/stats_cache.py).

A quarter block must be recomputed whenever any row it reads could have changed, so its fingerprint hashes
cheap indexed aggregates of every input, chosen conservatively:

- exchanges settled in each month of the quarter (count, sums of ids, parties, antennas, minutes, a pair
  product, states, last state change) and, cumulatively, of all exchanges settled before the quarter ends
  (first giving/receiving look at earlier history, six-month cohorts at the half year before);
- the quarter's requests and everything hanging off them at any time (proposals, exchanges: the share
  matched and the days to a proposal or a settlement can change after the quarter), its offers, the
  moderators' and members' decisions and the pool transfers dated in it;
- memberships requested or decided before the quarter ends (cumulative member counts, approval dates),
  hashed row by row in full (status changes included);
- current-state data that any quarter reads: every member background (hashed row by row in full: a change
  of origin or a withdrawn consent changes it), erased members, the antennas (ids and slugs), and
  CACHE_VERSION, to bump whenever a formula or a privacy rule changes.

Multiset hashes (count and sum of per-row digests) and sums of ids mean a deletion plus an insertion still
changes the fingerprint unless the rows are identical. Rows settled, decided or posted now land in the current
quarter, so older blocks stay valid while the current one is recomputed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, literal_column, select, text, union_all
from sqlmodel import Session

from domain.exchanges import ProposalState
from domain.ledger import TransferKind
from store import stats_queries as q
from store.antennas import Antenna
from store.background import MemberBackground
from store.base import UTCDateTime
from store.exchanges import Exchange
from store.ledger import LedgerTransfer
from store.listings import HelpRequest, Offer
from store.members import Member
from store.memberships import Membership
from store.proposals import Proposal

# Bump when a measure's formula, a privacy rule or the cells' layout changes: every block is recomputed.
CACHE_VERSION = 1
_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class QuarterBounds:
    label: str
    months: q.Buckets  # the quarter's three months as consecutive UTC bounds

    @property
    def start(self) -> datetime:
        return self.months.bounds[0]

    @property
    def end(self) -> datetime:
        return self.months.bounds[-1]


def _digest(values: Sequence[Any]) -> int:
    text = json.dumps([str(v) for v in values], separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | str) else str(value)


def _rows(result: Any) -> list[list[Any]]:
    return [[_plain(v) for v in row] for row in result]


def _exchange_sums(e: Any) -> list[Any]:
    settled = case((e.state.in_(q.SETTLED_STATES), 1), else_=0)
    return [
        func.count(), func.sum(e.id), func.sum(e.helper_id), func.sum(e.receiver_id), func.sum(e.antenna_id),
        func.sum(e.settled_minutes), func.sum(e.helper_id * e.receiver_id), func.sum(settled),
    ]  # fmt: skip


def _exchange_slice(session: Session, lo: datetime | None, hi: datetime) -> list[int]:
    """Additive aggregates of exchanges settled in [lo, hi) (from the beginning when lo is None)."""
    e = Exchange
    conditions = [e.settled_at.is_not(None), e.settled_at < literal(hi, UTCDateTime)]
    if lo is not None:
        conditions.append(e.settled_at >= literal(lo, UTCDateTime))
    row = session.execute(select(*_exchange_sums(e)).where(*conditions)).one()
    return [int(v or 0) for v in row]


def _global(session: Session) -> list[Any]:
    antennas = _rows(session.execute(select(Antenna.id, Antenna.slug).order_by(Antenna.id)))
    b = MemberBackground
    count = total = 0
    for row in session.execute(select(b.member_id, b.languages, b.origin, b.age_band, b.circle, b.consented_at)):
        count += 1
        total = (total + _digest(row)) & _MASK
    erased = session.execute(
        select(func.count(), func.max(Member.erased_at)).where(Member.erased_at.is_not(None))
    ).one()
    return [CACHE_VERSION, antennas, [count, total], _rows([erased])]


def _memberships(session: Session) -> list[tuple[datetime, int]]:
    """(the earliest of requested/decided, digest of the whole row), sorted by time."""
    m = Membership
    rows = []
    for row in session.execute(select(m.id, m.member_id, m.antenna_id, m.status, m.requested_at, m.decided_at)):
        moments = [t for t in (row.requested_at, row.decided_at) if t is not None]
        rows.append((min(moments), _digest(row)))
    rows.sort(key=lambda r: r[0])
    return rows


def _quarter(session: Session, quarter: QuarterBounds) -> list[Any]:
    """Aggregates dated in the quarter (per month where a month's cells depend on them). Each query reads one
    covering index (store/stats_indexes.py), so checking a quarter costs a few milliseconds."""
    months = quarter.months
    e, r, p, o, t = Exchange, HelpRequest, Proposal, Offer, LedgerTransfer
    exchanges_window = months.index(e.settled_at)
    per_month = (
        select(exchanges_window, *_exchange_sums(e), func.max(e.state_since))
        .where(months.within(e.settled_at))
        .group_by(exchanges_window)
    )
    # Requests, offers and transfers are never edited in what the statistics read (antenna, date, kind,
    # amounts): a count and the sum of ids per month see any insertion or deletion.
    request_window = months.index(r.created_at)
    requests = (
        select(request_window, func.count(), func.sum(r.id)).where(months.within(r.created_at)).group_by(request_window)
    )
    in_quarter = months.within(r.created_at)
    settled = case((and_(e.state.in_(q.SETTLED_STATES), e.settled_minutes > 0), 1), else_=0)
    request_exchanges = (
        select(func.count(), func.sum(e.id), func.sum(settled), func.sum(e.settled_minutes), func.min(e.settled_at),
               func.max(e.settled_at), func.max(e.state_since))
        .select_from(r).join(e, e.request_id == r.id).where(in_quarter)
    )  # fmt: skip
    request_proposals = (
        select(func.count(), func.sum(p.id), func.min(p.created_at), func.max(p.created_at), func.max(p.state_since))
        .select_from(r).join(p, p.request_id == r.id).where(in_quarter)
    )  # fmt: skip
    offer_window = months.index(o.created_at)
    offers = (
        select(offer_window, func.count(), func.sum(o.id)).where(months.within(o.created_at)).group_by(offer_window)
    )
    decided_window = months.index(p.decided_at)
    decisions = (
        select(decided_window, func.count(), func.sum(p.id), func.sum(p.antenna_id),
               func.sum(case((p.state == ProposalState.REJECTED, 1), else_=0)),
               func.sum(case((p.decided_by.is_not(None), 1), else_=0)))
        .where(months.within(p.decided_at))
        .group_by(decided_window)
    )  # fmt: skip
    # A proposal leaving accepted/declined gets a new state_since: it leaves this month's count.
    answers_window = months.index(p.state_since)
    answers = [
        select(answers_window, func.count(), func.sum(p.id))
        .where(p.state == state, months.within(p.state_since))
        .group_by(answers_window)
        for state in (ProposalState.ACCEPTED, ProposalState.DECLINED)
    ]
    # The ledger is append-only: transfers (with their entries) are only ever added.
    transfer_window = months.index(t.created_at)
    pool = (
        select(transfer_window, t.kind, func.count(), func.min(t.created_at), func.max(t.created_at))
        .where(t.kind.in_((TransferKind.DONATION, TransferKind.POOL_PAYMENT)), months.within(t.created_at))
        .group_by(transfer_window, t.kind)
    )
    parts: list[Any] = [quarter.label]
    for query in (per_month, requests, request_exchanges, request_proposals, offers, decisions, *answers, pool):
        parts.append(sorted(_rows(session.execute(query)), key=str))
    return parts


def fingerprints_per_quarter(session: Session, quarters: Sequence[QuarterBounds]) -> dict[str, str]:
    """The reference: the same fingerprints as fingerprints(), about ten queries per quarter (a fallback for
    quarters that overlap, and what the tests compare the batched queries with)."""
    if not quarters:
        return {}
    common = _global(session)
    memberships = _memberships(session)
    ordered = sorted(quarters, key=lambda x: x.start)
    # Cumulative exchange aggregates up to each quarter's end: history before, then slice after slice.
    cumulative = _exchange_slice(session, None, ordered[0].start)
    upto = ordered[0].start
    result = {}
    m_index = m_count = m_sum = 0
    for quarter in ordered:
        if quarter.start > upto:
            gap = _exchange_slice(session, upto, quarter.start)
            cumulative = [a + b for a, b in zip(cumulative, gap, strict=True)]
        if quarter.end > max(upto, quarter.start):
            piece = _exchange_slice(session, max(upto, quarter.start), quarter.end)
            cumulative = [a + b for a, b in zip(cumulative, piece, strict=True)]
        upto = max(upto, quarter.end)
        while m_index < len(memberships) and memberships[m_index][0] < quarter.end:
            m_count += 1
            m_sum = (m_sum + memberships[m_index][1]) & _MASK
            m_index += 1
        result[quarter.label] = _hash([common, [m_count, m_sum], cumulative, _quarter(session, quarter)])
    return result


def version_tag() -> str:
    """How every fingerprint starts: a block made by other formulas or rules is never trusted unchecked."""
    return f"v{CACHE_VERSION}:"


def _hash(parts: list[Any]) -> str:
    text = json.dumps(parts, separators=(",", ":"), default=str)
    tag = version_tag()
    return tag + hashlib.sha256(text.encode()).hexdigest()[: 64 - len(tag)]  # the column holds 64 characters


# --- every quarter at once ---------------------------------------------------------------------------------
#
# fingerprints() hashes exactly what fingerprints_per_quarter() hashes, but reads each source table with one
# statement for all the quarters asked, whatever their number: rows are bucketed by month (or by quarter, for
# what hangs off a quarter's requests) over the union of the quarters' bounds, computed in Python, and the
# cumulative exchange aggregates are the running sum of the monthly buckets plus one for everything earlier.
# How a statement buckets depends on the engine (_Grid.grouped): PostgreSQL groups by a CASE that searches
# the bounds by halves; SQLite, whose GROUP BY would sort every row, runs a UNION ALL of one ungrouped
# aggregate per window, each a range scan of a covering index.


@dataclass(frozen=True, slots=True)
class _Grid:
    """Consecutive windows over the union of the quarters' bounds; owner[i] is (quarter label, month 0-2, or
    0 for a whole quarter), or None for a gap between two quarters asked."""

    bounds: tuple[datetime, ...]
    owner: tuple[tuple[str, int] | None, ...]

    @classmethod
    def of(cls, quarters: Sequence[QuarterBounds], *, months: bool) -> _Grid:
        edges = sorted({b for x in quarters for b in (x.months.bounds if months else (x.start, x.end))})
        owner: list[tuple[str, int] | None] = [None] * (len(edges) - 1)
        for x in quarters:
            own = x.months.bounds if months else (x.start, x.end)
            first = edges.index(own[0])
            for i in range(len(own) - 1):
                owner[first + i] = (x.label, i)
        return cls(tuple(edges), tuple(owner))

    def grouped(
        self,
        session: Session,
        column: Any,
        aggregates: Sequence[Any],
        *conditions: Any,
        by: Sequence[Any] = (),
        source: Any = None,
        before: bool = False,
    ) -> list[Any]:
        """Rows (window, *by, *aggregates) of the windows (and groups) with rows: `column` in a window asked,
        or in a gap, or earlier (window q.BEFORE) when `before`. aggregates[0] must be a count."""
        if session.get_bind().dialect.name != "sqlite":
            window = self.index(column, before=before)
            span = column < self._at(len(self.owner)) if before else self.within(column)
            query = select(window, *by, *aggregates).where(*conditions, span).group_by(window, *by)
            return list(session.execute(query if source is None else query.select_from(source)))
        spans: list[tuple[int, Any]] = [(q.BEFORE, column < self._at(0))] if before else []
        spans += [
            (i, and_(column >= self._at(i), column < self._at(i + 1)))
            for i, owner in enumerate(self.owner)
            if before or owner is not None  # gaps count in the cumulative sums only
        ]
        arms = []
        for i, span in spans:
            arm = select(literal_column(str(i)), *by, *aggregates).where(*conditions, span)
            arm = arm if source is None else arm.select_from(source)
            arms.append(arm.group_by(*by) if by else arm)
        rows = []
        for first in range(0, len(arms), 200):  # SQLite allows 500 arms in a compound select
            chunk = arms[first : first + 200]
            rows += session.execute(union_all(*chunk) if len(chunk) > 1 else chunk[0]).all()
        return [row for row in rows if row[1 + len(by)]]  # an ungrouped aggregate of no rows: count 0

    def index(self, column: Any, *, before: bool = False) -> Any:
        """The window number of `column` (q.BEFORE for earlier ones when `before`); rows are range-filtered."""

        def search(lo: int, hi: int) -> Any:  # the window of a value in [bounds[lo], bounds[hi])
            if hi - lo == 1:
                return literal_column(str(lo))
            mid = (lo + hi) // 2
            return case((column < self._at(mid), search(lo, mid)), else_=search(mid, hi))

        found = search(0, len(self.owner))
        if len(self.owner) == 1:  # a CASE, not a bare constant (GROUP BY 0 would name a column)
            found = case((column >= self._at(0), found))
        return case((column < self._at(0), literal_column(str(q.BEFORE))), else_=found) if before else found

    def within(self, column: Any) -> Any:
        return and_(column >= self._at(0), column < self._at(len(self.owner)))

    def _at(self, i: int) -> Any:
        return literal(self.bounds[i], UTCDateTime)


def _disjoint(ordered: Sequence[QuarterBounds]) -> bool:
    """Sorted quarters that neither overlap nor have unordered months (then the grids own each window once)."""
    for x in ordered:
        if any(a >= b for a, b in itertools.pairwise(x.months.bounds)):
            return False
    return all(a.end <= b.start for a, b in itertools.pairwise(ordered))


def _spread(grid: _Grid, rows: Any, labels: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Rows whose first column is a grid window, by quarter, the window replaced by its month in the quarter
    (as the per-quarter queries return them), each quarter's rows sorted as there."""
    result: dict[str, list[list[Any]]] = {label: [] for label in labels}
    for row in rows:
        owner = grid.owner[int(row[0])] if int(row[0]) >= 0 else None
        if owner is not None:
            result[owner[0]].append([owner[1], *(_plain(v) for v in row[1:])])
    return {label: sorted(found, key=str) for label, found in result.items()}


def _whole(grid: _Grid, rows: Any, labels: Sequence[str], width: int) -> dict[str, list[list[Any]]]:
    """Ungrouped aggregates (a count, then sums, minima, maxima) per quarter: what the per-quarter query
    returns, [[0, None, ...]] for a quarter without rows."""
    result: dict[str, list[list[Any]]] = {label: [[0, *([None] * (width - 1))]] for label in labels}
    for row in rows:
        owner = grid.owner[int(row[0])]
        if owner is not None:
            result[owner[0]] = [[_plain(v) for v in row[1:]]]
    return result


def _batched(session: Session, ordered: Sequence[QuarterBounds]) -> tuple[dict[str, list[int]], dict[str, list]]:
    """(cumulative exchange aggregates at each quarter's end, the per-quarter parts of _quarter())."""
    months, whole = _Grid.of(ordered, months=True), _Grid.of(ordered, months=False)
    labels = [x.label for x in ordered]
    e, r, p, o, t = Exchange, HelpRequest, Proposal, Offer, LedgerTransfer

    # Exchanges settled before the last quarter ends, by month (everything earlier in one bucket): the
    # months' own rows, and the running sums of their additive aggregates.
    sums = _exchange_sums(e)
    settled_rows = months.grouped(session, e.settled_at, [*sums, func.max(e.state_since)], before=True)
    by_window = {int(row[0]): [int(v or 0) for v in row[1 : 1 + len(sums)]] for row in settled_rows}
    # running[i]: the aggregates of everything settled before window i starts.
    running = [by_window.get(q.BEFORE, [0] * len(sums))]
    for i in range(len(months.owner)):
        running.append([a + b for a, b in zip(running[-1], by_window.get(i, [0] * len(sums)), strict=True)])
    cumulative = {x.label: running[months.bounds.index(x.end)] for x in ordered}

    settled = case((and_(e.state.in_(q.SETTLED_STATES), e.settled_minutes > 0), 1), else_=0)
    request_exchanges = [func.count(), func.sum(e.id), func.sum(settled), func.sum(e.settled_minutes),
                         func.min(e.settled_at), func.max(e.settled_at), func.max(e.state_since)]  # fmt: skip
    request_proposals = [func.count(), func.sum(p.id), func.min(p.created_at), func.max(p.created_at),
                         func.max(p.state_since)]  # fmt: skip
    decisions = [func.count(), func.sum(p.id), func.sum(p.antenna_id),
                 func.sum(case((p.state == ProposalState.REJECTED, 1), else_=0)),
                 func.sum(case((p.decided_by.is_not(None), 1), else_=0))]  # fmt: skip
    pool_kinds = t.kind.in_((TransferKind.DONATION, TransferKind.POOL_PAYMENT))
    found = [
        _spread(months, (row for row in settled_rows if int(row[0]) >= 0), labels),
        _spread(months, months.grouped(session, r.created_at, [func.count(), func.sum(r.id)]), labels),
        _whole(
            whole,
            whole.grouped(session, r.created_at, request_exchanges, source=r.__table__.join(e, e.request_id == r.id)),
            labels,
            len(request_exchanges),
        ),
        _whole(
            whole,
            whole.grouped(session, r.created_at, request_proposals, source=r.__table__.join(p, p.request_id == r.id)),
            labels,
            len(request_proposals),
        ),
        _spread(months, months.grouped(session, o.created_at, [func.count(), func.sum(o.id)]), labels),
        _spread(months, months.grouped(session, p.decided_at, decisions), labels),
        # A proposal leaving accepted/declined gets a new state_since: it leaves this month's count.
        *(
            _spread(
                months, months.grouped(session, p.state_since, [func.count(), func.sum(p.id)], p.state == s), labels
            )
            for s in (ProposalState.ACCEPTED, ProposalState.DECLINED)
        ),
        _spread(
            months,
            months.grouped(
                session,
                t.created_at,
                [func.count(), func.min(t.created_at), func.max(t.created_at)],
                pool_kinds,
                by=[t.kind],
            ),
            labels,
        ),  # fmt: skip
    ]
    return cumulative, {label: [label, *(part[label] for part in found)] for label in labels}


def fingerprints(session: Session, quarters: Sequence[QuarterBounds]) -> dict[str, str]:
    """The fingerprint of each quarter (in any order; each depends only on its own quarter and history), read
    with a fixed number of statements whatever the number of quarters."""
    if not quarters:
        return {}
    ordered = sorted({x.label: x for x in quarters}.values(), key=lambda x: x.start)
    if len(set(quarters)) != len(ordered) or not _disjoint(ordered):
        return fingerprints_per_quarter(session, quarters)
    common = _global(session)
    memberships = _memberships(session)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # These statements are cheap, but the planner cannot count the CASE buckets and would spend more
        # time compiling them (JIT) than running them: off for them only, within this transaction.
        jit = session.execute(text("SELECT current_setting('jit')")).scalar_one()
        session.execute(text("SELECT set_config('jit', 'off', true)"))
    cumulative, parts = _batched(session, ordered)
    if postgresql:  # (after an error the transaction is rolled back, and the setting with it)
        session.execute(text("SELECT set_config('jit', :jit, true)"), {"jit": jit})
    result = {}
    m_index = m_count = m_sum = 0
    for quarter in ordered:
        while m_index < len(memberships) and memberships[m_index][0] < quarter.end:
            m_count += 1
            m_sum = (m_sum + memberships[m_index][1]) & _MASK
            m_index += 1
        result[quarter.label] = _hash([common, [m_count, m_sum], cumulative[quarter.label], parts[quarter.label]])
    return result
