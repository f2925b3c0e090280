"""Aggregation queries behind the analysts' statistics: every figure is a GROUP BY run in the database.

Windows are bucketed portably: the service passes the UTC instants where consecutive windows start and end
(Brussels midnights, computed in Python), and `Buckets.index()` turns a timestamp into the window's number
with a CASE over those bounds, which reads the same on SQLite and PostgreSQL and keeps the range filter on
an indexed column. Queries bucket by calendar month; additive figures (exchanges, minutes, per-pair and
per-member sums, posts, histograms) are rolled up to quarters and to "all antennas" by the caller, and the
few distinct counts that do not add up (active members by profile) are queried per window kind.

What comes back is already aggregated: per antenna and window, per pair of members, per member (totals and
first dates), or histograms of durations in tenths of a day. Member ids are opaque graph keys for the
caller's network measures; nothing here returns a name, a text, a location or a single exchange.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session

from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import TransferKind
from store.background import MemberBackground
from store.base import UTCDateTime
from store.exchanges import Exchange
from store.ledger import LedgerEntry, LedgerTransfer
from store.listings import HelpRequest, Offer
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal

SETTLED_STATES = (ExchangeState.SETTLED.value, ExchangeState.RESOLVED.value)
BEFORE = -1  # bucket of a timestamp earlier than the first window (cumulative counts start from it)

# An antenna id, or None for all antennas together.
AntennaKey = int | None
# Durations as a histogram: tenths of a day -> how many.
Histogram = dict[int, int]
ProfileKey = tuple[str | None, str | None, str | None, str | None]  # languages (JSON text), origin, age, circle


@dataclass(frozen=True, slots=True)
class Buckets:
    """Consecutive windows [bounds[i], bounds[i + 1]) as aware UTC instants."""

    bounds: tuple[datetime, ...]

    @property
    def count(self) -> int:
        return len(self.bounds) - 1

    def index(self, column: Any, *, before: bool = False) -> ColumnElement[int]:
        """The window number of `column` (BEFORE for earlier ones when `before`); rows are range-filtered."""
        whens: list[tuple[ColumnElement[bool], int]] = []
        if before:
            whens.append((column < self._at(0), BEFORE))
        whens += [(column < self._at(i + 1), i) for i in range(self.count)]
        return case(*whens, else_=None)

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self._at(0), column < self._at(self.count))

    def until_end(self, column: Any) -> ColumnElement[bool]:
        return column < self._at(self.count)

    def _at(self, i: int) -> Any:
        return literal(self.bounds[i], UTCDateTime)


def _settled(e: Any) -> ColumnElement[bool]:
    return and_(e.state.in_(SETTLED_STATES), e.settled_minutes > 0)


def _days_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _tenths(session: Session, later: Any, earlier: Any) -> ColumnElement[int]:
    return func.round(_days_between(session, later, earlier) * 10)


def _plus_six_months(session: Session, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return column + text("interval '6 months'")
    return func.strftime("%Y-%m-%d %H:%M:%f", column, "+6 months")


def _histograms(rows: Any) -> dict[tuple[AntennaKey, int], Histogram]:
    result: dict[tuple[AntennaKey, int], Histogram] = defaultdict(dict)
    for antenna, window, tenths, count in rows:
        if window is None or tenths is None:
            continue
        bucket = result[(antenna, int(window))]
        bucket[max(0, int(tenths))] = bucket.get(max(0, int(tenths)), 0) + int(count)
    return result


def earliest_activity(session: Session) -> datetime | None:
    """The first membership request or settlement on record (where the statistics' history begins)."""
    firsts = [
        session.execute(select(func.min(Membership.requested_at))).scalar(),
        session.execute(select(func.min(Exchange.settled_at))).scalar(),
    ]
    moments = [v for v in firsts if v is not None]  # min() keeps the column's type: aware UTC datetimes
    return min(moments) if moments else None


# --- members ----------------------------------------------------------------------------------------------


def membership_counts(session: Session, buckets: Buckets) -> dict[AntennaKey, tuple[list[int], list[int]]]:
    """Registered and approved members at the end of each month, cumulative (per antenna and for all)."""
    m = Membership
    approved = m.status == MembershipStatus.APPROVED
    # Each bucket expression is built once and reused in GROUP BY: PostgreSQL matches them by their parameters.
    requested, decided = buckets.index(m.requested_at, before=True), buckets.index(m.decided_at, before=True)
    queries = [
        select(m.antenna_id, requested, literal(0), func.count())
        .where(buckets.until_end(m.requested_at))
        .group_by(m.antenna_id, requested),
        select(m.antenna_id, decided, literal(1), func.count())
        .where(approved, buckets.until_end(m.decided_at))
        .group_by(m.antenna_id, decided),
    ]
    # All antennas: a member counts once, from their first request / first approval anywhere.
    first_request = select(m.member_id, func.min(m.requested_at).label("at")).group_by(m.member_id).subquery()
    first_approval = (
        select(m.member_id, func.min(m.decided_at).label("at")).where(approved).group_by(m.member_id).subquery()
    )
    for kind, sub in ((0, first_request), (1, first_approval)):
        first = buckets.index(sub.c.at, before=True)
        queries.append(
            select(literal(None), first, literal(kind), func.count()).where(buckets.until_end(sub.c.at)).group_by(first)
        )
    added: dict[AntennaKey, tuple[list[int], list[int]]] = {}
    for query in queries:
        for antenna, window, kind, count in session.execute(query):
            series = added.setdefault(antenna, ([0] * (buckets.count + 1), [0] * (buckets.count + 1)))
            series[int(kind)][int(window) + 1] += int(count)  # slot 0 holds everything before the range
    result = {}
    for antenna, (registered, approved_added) in added.items():
        result[antenna] = (_cumulative(registered), _cumulative(approved_added))
    return result


def _cumulative(added: list[int]) -> list[int]:
    running, out = added[0], []
    for value in added[1:]:
        running += value
        out.append(running)
    return out


# --- exchanges --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairRow:
    """Exchanges one member gave another in one antenna and month (one row of the GROUP BY)."""

    antenna_id: int
    window: int
    giver: int
    receiver: int
    exchanges: int
    minutes: int


def pair_flows(session: Session, buckets: Buckets) -> list[PairRow]:
    e = Exchange
    window = buckets.index(e.settled_at)
    query = (
        select(e.antenna_id, window, e.helper_id, e.receiver_id, func.count(), func.sum(e.settled_minutes))
        .where(_settled(e), buckets.within(e.settled_at))
        .group_by(e.antenna_id, window, e.helper_id, e.receiver_id)
    )
    return [PairRow(int(a), int(w), int(g), int(r), int(n), int(m)) for a, w, g, r, n, m in session.execute(query)]


def first_participation(session: Session, buckets: Buckets, *, role: str) -> dict[tuple[AntennaKey, int], Histogram]:
    """Days from approval to a member's first ever giving (role 'helper') or receiving ('receiver').

    Only members whose first one falls in the range: those active in it with no earlier exchange in that
    role (per antenna, and anywhere for all antennas), so the query never scans the whole history.
    """
    e, earlier = aliased(Exchange), aliased(Exchange)
    who, earlier_who = getattr(e, f"{role}_id"), getattr(earlier, f"{role}_id")
    start = buckets._at(0)
    result: dict[tuple[AntennaKey, int], Histogram] = {}
    # The range's settled exchanges per antenna and member, read from the covering settled_at index (grouping
    # them by member alone made SQLite walk the (role, settled_at) index and fetch every row for its state).
    in_range = (
        select(e.antenna_id.label("antenna"), who.label("member"), func.min(e.settled_at).label("first"))
        .where(_settled(e), buckets.within(e.settled_at))
        .group_by(e.antenna_id, who)
        .subquery("r")
    )
    for per_antenna in (True, False):
        keys = [in_range.c.antenna, in_range.c.member] if per_antenna else [in_range.c.member]
        prior = [earlier_who == in_range.c.member, _settled(earlier), earlier.settled_at < start]
        if per_antenna:
            prior.append(earlier.antenna_id == in_range.c.antenna)
        firsts = (
            select(*(k.label(f"k{i}") for i, k in enumerate(keys)), func.min(in_range.c.first).label("first"))
            .group_by(*keys)
            .having(~exists().where(*prior))
            .subquery()
        )
        member = firsts.c.k1 if per_antenna else firsts.c.k0
        approval_filter = [Membership.member_id == member, Membership.status == MembershipStatus.APPROVED]
        if per_antenna:
            approval_filter.append(Membership.antenna_id == firsts.c.k0)
        approved_at = select(func.min(Membership.decided_at)).where(*approval_filter).scalar_subquery()
        inner = select(
            (firsts.c.k0 if per_antenna else literal(None)).label("antenna"),
            buckets.index(firsts.c.first).label("window"),
            _tenths(session, firsts.c.first, approved_at).label("tenths"),
        ).subquery()
        query = select(inner.c.antenna, inner.c.window, inner.c.tenths, func.count()).group_by(
            inner.c.antenna, inner.c.window, inner.c.tenths
        )
        result.update(_histograms(session.execute(query)))
    return result


# --- listings and proposals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostCounts:
    offers: int = 0
    requests: int = 0
    matched: int = 0


def post_counts(session: Session, buckets: Buckets) -> dict[tuple[int, int], PostCounts]:
    """Offers and requests posted per antenna and month; of the requests, those that led to a settled exchange."""
    found: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    window = buckets.index(Offer.created_at)
    offers = (
        select(Offer.antenna_id, window, func.count())
        .where(buckets.within(Offer.created_at))
        .group_by(Offer.antenna_id, window)
    )
    for antenna, w, count in session.execute(offers):
        found[(int(antenna), int(w))]["offers"] = int(count)
    r, e = HelpRequest, Exchange
    matched = exists().where(e.request_id == r.id, _settled(e))
    window = buckets.index(r.created_at)
    requests = (
        select(r.antenna_id, window, func.count(), func.sum(case((matched, 1), else_=0)))
        .where(buckets.within(r.created_at))
        .group_by(r.antenna_id, window)
    )
    for antenna, w, count, hit in session.execute(requests):
        found[(int(antenna), int(w))].update(requests=int(count), matched=int(hit or 0))
    return {key: PostCounts(**values) for key, values in found.items()}


def request_durations(session: Session, buckets: Buckets, *, to: str) -> dict[tuple[AntennaKey, int], Histogram]:
    """Per antenna and month of posting: days from a request to its first proposal ('proposal') or to its
    first settlement ('settlement'), as a histogram in tenths of a day (requests that got there only)."""
    r = HelpRequest
    target = Proposal if to == "proposal" else Exchange
    at_column = Proposal.created_at if to == "proposal" else Exchange.settled_at
    conditions = [target.request_id == r.id]
    if to != "proposal":
        conditions.append(_settled(Exchange))
    first_at = select(func.min(at_column)).where(*conditions).scalar_subquery()
    inner = (
        select(r.antenna_id.label("antenna"), buckets.index(r.created_at).label("window"), first_at.label("at"),
               r.created_at.label("posted"))
        .where(buckets.within(r.created_at))
        .subquery()
    )  # fmt: skip
    tenths = _tenths(session, inner.c.at, inner.c.posted)
    query = (
        select(inner.c.antenna, inner.c.window, tenths, func.count())
        .where(inner.c.at.is_not(None))
        .group_by(inner.c.antenna, inner.c.window, tenths)
    )
    return _histograms(session.execute(query))


@dataclass(frozen=True, slots=True)
class DecisionCounts:
    moderator_approved: int = 0
    moderator_rejected: int = 0
    member_accepted: int = 0
    member_declined: int = 0


def proposal_decisions(session: Session, buckets: Buckets) -> dict[tuple[int, int], DecisionCounts]:
    """Moderators' decisions (by decided_at) and members' answers (accepted/declined, by state_since)."""
    p = Proposal
    found: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    window = buckets.index(p.decided_at)
    rejected = case((p.state == ProposalState.REJECTED, 1), else_=0)
    moderators = (
        select(p.antenna_id, window, func.count(), func.sum(rejected))
        .where(p.decided_by.is_not(None), buckets.within(p.decided_at))
        .group_by(p.antenna_id, window)
    )
    for antenna, w, count, no in session.execute(moderators):
        found[(int(antenna), int(w))].update(moderator_approved=int(count) - int(no), moderator_rejected=int(no))
    window = buckets.index(p.state_since)
    accepted = case((p.state == ProposalState.ACCEPTED, 1), else_=0)
    members = (
        select(p.antenna_id, window, func.count(), func.sum(accepted))
        .where(p.state.in_((ProposalState.ACCEPTED, ProposalState.DECLINED)), buckets.within(p.state_since))
        .group_by(p.antenna_id, window)
    )
    for antenna, w, count, yes in session.execute(members):
        found[(int(antenna), int(w))].update(member_accepted=int(yes), member_declined=int(count) - int(yes))
    return {key: DecisionCounts(**values) for key, values in found.items()}


# --- solidarity pool --------------------------------------------------------------------------------------


def pool_flows(session: Session, buckets: Buckets) -> dict[tuple[int, int, str], tuple[int, int]]:
    """(antenna, month, 'donation' | 'pool_payment') -> (minutes, transfers), from the credited entry."""
    t = LedgerTransfer
    window = buckets.index(t.created_at)
    query = (
        select(t.antenna_id, window, t.kind, func.sum(LedgerEntry.minutes), func.count())
        .join(LedgerEntry, and_(LedgerEntry.transfer_id == t.id, LedgerEntry.minutes > 0))
        .where(t.kind.in_((TransferKind.DONATION, TransferKind.POOL_PAYMENT)), buckets.within(t.created_at))
        .group_by(t.antenna_id, window, t.kind)
    )
    return {
        (int(a), int(w), TransferKind(k).value): (int(minutes), int(n))
        for a, w, k, minutes, n in session.execute(query)
    }


# --- backgrounds ------------------------------------------------------------------------------------------


def _profile_columns(b: Any, prefix: str = "") -> list[Any]:
    return [
        cast(b.languages, String).label(f"{prefix}languages"),
        b.origin.label(f"{prefix}origin"),
        b.age_band.label(f"{prefix}age_band"),
        b.circle.label(f"{prefix}circle"),
    ]


def _profile(values: Sequence[Any]) -> ProfileKey:
    languages, origin, age_band, circle = values
    return (languages, origin, age_band, circle)


def parse_languages(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    decoded = json.loads(value)
    return frozenset(decoded) if isinstance(decoded, list) else frozenset()


def profile_pair_exchanges(session: Session, buckets: Buckets) -> list[tuple[int, int, ProfileKey, ProfileKey, int]]:
    """Exchanges per antenna, month and the two parties' profiles; members without consent have no row and
    fall out of the join (they count in totals only)."""
    e = Exchange
    helper, receiver = aliased(MemberBackground), aliased(MemberBackground)
    window = buckets.index(e.settled_at)
    columns = [*_profile_columns(helper, "h_"), *_profile_columns(receiver, "r_")]
    query = (
        select(e.antenna_id, window, *columns, func.count())
        .join(helper, helper.member_id == e.helper_id)
        .join(receiver, receiver.member_id == e.receiver_id)
        .where(_settled(e), buckets.within(e.settled_at))
        .group_by(e.antenna_id, window, *columns)
    )
    return [
        (int(row[0]), int(row[1]), _profile(row[2:6]), _profile(row[6:10]), int(row[10]))
        for row in session.execute(query)
    ]


def _sides(buckets: Buckets) -> Any:
    """Both ends of every settled exchange of the range: (antenna, member, partner, settled_at)."""
    e = Exchange
    return union_all(
        select(e.antenna_id.label("antenna"), e.helper_id.label("member"), e.receiver_id.label("partner"),
               e.settled_at.label("at")).where(_settled(e), buckets.within(e.settled_at)),
        select(e.antenna_id, e.receiver_id, e.helper_id, e.settled_at).where(_settled(e), buckets.within(e.settled_at)),
    ).subquery()  # fmt: skip


def active_profiles(
    session: Session, buckets: Buckets, *, months_per_group: int = 3
) -> tuple[dict[tuple[AntennaKey, int], dict[ProfileKey, int]], dict[tuple[AntennaKey, int], dict[ProfileKey, int]]]:
    """Distinct active consenting members per profile, by month and by group of `months_per_group` months
    (quarters), per antenna and across antennas: one query for the (antenna, month, member) triples with
    their profile, the distinct counts of the four window kinds taken from them here."""
    sides = _sides(buckets)
    window = buckets.index(sides.c.at)
    distinct = select(sides.c.antenna, window.label("window"), sides.c.member.label("member")).distinct().subquery()
    b = MemberBackground
    query = select(distinct.c.antenna, distinct.c.window, distinct.c.member, *_profile_columns(b)).join(
        b, b.member_id == distinct.c.member
    )
    seen: dict[tuple[AntennaKey, int], set[int]] = defaultdict(set)
    by_month: dict[tuple[AntennaKey, int], dict[ProfileKey, int]] = defaultdict(dict)
    by_group: dict[tuple[AntennaKey, int], dict[ProfileKey, int]] = defaultdict(dict)
    for antenna, month, member, *columns in session.execute(query):
        profile = _profile(columns)
        month, group = int(month), int(month) // months_per_group
        for key, target, fresh in (
            ((antenna, month), by_month, True),
            ((None, month), by_month, _first(seen, ("month", None, month), member)),
            ((antenna, group), by_group, _first(seen, ("group", antenna, group), member)),
            ((None, group), by_group, _first(seen, ("group", None, group), member)),
        ):
            if fresh:
                counts = target[key]
                counts[profile] = counts.get(profile, 0) + 1
    return dict(by_month), dict(by_group)


def _first(seen: dict[Any, set[int]], key: Any, member: int) -> bool:
    """Whether `member` is new in the set under `key` (and record them)."""
    members = seen[key]
    if member in members:
        return False
    members.add(member)
    return True


# --- cohorts: bridging within six months of joining -------------------------------------------------------

COHORT_DIMENSIONS = ("languages", "origin", "age_band", "circle", "any")


def _languages_sql(session: Session, alias: str) -> tuple[str, str]:
    """(declared, element set) SQL for a languages column, per dialect (JSON arrays, possibly JSON null)."""
    column = f"{alias}.languages"
    if session.get_bind().dialect.name == "postgresql":
        array = f"(CASE WHEN json_typeof({column}) = 'array' THEN {column} ELSE '[]'::json END)"
        return f"(json_array_length({array}) > 0)", f"json_array_elements_text({array})"
    return f"(coalesce(json_array_length({column}), 0) > 0)", f"json_each({column})"


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One cohort member (no id): which dimensions they declared, and days to their first bridging exchange
    per dimension within six months of joining (None when none)."""

    antenna_id: int
    window: int
    declared: dict[str, bool]
    days_to_bridge: dict[str, float | None]


def cohort_rows(session: Session, buckets: Buckets, shifted: Buckets) -> list[CohortRow]:
    """Consenting members whose six-month anniversary of approval falls in a month of `buckets`.

    `shifted` are the same month bounds six months earlier: the anniversary falls in month i exactly when
    the approval falls in shifted month i. Bounded by the members joining in the range, not by history.
    """
    ms = Membership
    joined = (
        select(ms.antenna_id.label("antenna"), ms.member_id.label("member"), ms.decided_at.label("joined"),
               shifted.index(ms.decided_at).label("window"))
        .where(ms.status == MembershipStatus.APPROVED, shifted.within(ms.decided_at))
        .subquery("j")
    )  # fmt: skip
    e = Exchange
    mb, pb = MemberBackground.__table__.alias("mb"), MemberBackground.__table__.alias("pb")
    declared_langs, _ = _languages_sql(session, "mb")
    partner_langs, _ = _languages_sql(session, "pb")
    _, mine = _languages_sql(session, "mb")
    _, theirs = _languages_sql(session, "pb")
    if session.get_bind().dialect.name == "postgresql":
        overlap = f"EXISTS (SELECT 1 FROM {mine} AS a(x) JOIN {theirs} AS b(x) ON a.x = b.x)"
    else:
        overlap = f"EXISTS (SELECT 1 FROM {mine} AS a JOIN {theirs} AS b ON a.value = b.value)"
    differs = {
        "languages": text(f"({declared_langs} AND {partner_langs} AND NOT {overlap})"),
        "origin": mb.c.origin != pb.c.origin,
        "age_band": mb.c.age_band != pb.c.age_band,
        "circle": mb.c.circle != pb.c.circle,
    }
    differs["any"] = or_(*differs.values())
    # Each cohort member's own exchanges in their six months (both ends), found through the (helper_id,
    # settled_at) and (receiver_id, settled_at) indexes: bounded by the cohort, not by the range's exchanges.
    # The range bounds stay too: only exchanges from the earliest joining to the latest anniversary count.
    lo, hi = shifted._at(0), buckets._at(buckets.count)
    deadline = _plus_six_months(session, joined.c.joined)
    sides = []
    for own, other in ((e.helper_id, e.receiver_id), (e.receiver_id, e.helper_id)):
        sides.append(
            select(joined.c.antenna.label("antenna"), joined.c.member.label("member"), other.label("partner"),
                   e.settled_at.label("at"))
            .select_from(joined)
            .join(e, and_(own == joined.c.member, e.antenna_id == joined.c.antenna))
            .where(_settled(e), e.settled_at >= lo, e.settled_at < hi, e.settled_at >= joined.c.joined,
                   e.settled_at < deadline)
        )  # fmt: skip
    s = union_all(*sides).subquery("s")
    firsts = [
        func.min(case((condition, s.c.at), else_=None)).label(f"first_{name}") for name, condition in differs.items()
    ]
    bridges = (
        select(s.c.antenna, s.c.member, *firsts)
        .select_from(s)
        .join(mb, mb.c.member_id == s.c.member)
        .outerjoin(pb, pb.c.member_id == s.c.partner)
        .group_by(s.c.antenna, s.c.member)
        .subquery("f")
    )
    declared = {
        "languages": text(declared_langs),
        "origin": mb.c.origin.is_not(None),
        "age_band": mb.c.age_band.is_not(None),
        "circle": mb.c.circle.is_not(None),
    }
    declared_columns = [case((condition, 1), else_=0).label(f"has_{n}") for n, condition in declared.items()]
    per_member = (
        select(joined.c.antenna, joined.c.window, joined.c.joined, *declared_columns,
               *(getattr(bridges.c, f"first_{n}") for n in differs))
        .select_from(joined)
        .join(mb, mb.c.member_id == joined.c.member)
        .outerjoin(bridges, and_(bridges.c.member == joined.c.member, bridges.c.antenna == joined.c.antenna))
        .subquery()
    )  # fmt: skip
    days = [
        _days_between(session, getattr(per_member.c, f"first_{n}"), per_member.c.joined).label(n)
        for n in COHORT_DIMENSIONS
    ]
    flags = [getattr(per_member.c, f"has_{n}") for n in declared]
    query = select(per_member.c.antenna, per_member.c.window, *flags, *days)
    rows = []
    for row in session.execute(query):
        has = dict(zip(declared, (bool(v) for v in row[2:6]), strict=True))
        has["any"] = any(has.values())
        waited = dict(zip(COHORT_DIMENSIONS, (None if v is None else float(v) for v in row[6:11]), strict=True))
        rows.append(CohortRow(int(row[0]), int(row[1]), has, waited))
    return rows
