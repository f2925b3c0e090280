"""The queries behind a statistics release: one closed window, every antenna, aggregated in the database.

A window is one calendar month or quarter, passed as the UTC instants of its Brussels midnights. What comes
back is grouped per antenna and member (or pair of members): the release bounds each member's contribution
(stats/rules/bounded.py), so it needs to know who contributed what. Member ids are opaque keys for the bounded
totals; nothing here returns a name, a text or a location, and none of it leaves the service except as a
noisy release.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlmodel import Session

from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import AccountKind, TransferKind
from stats.rules.backgrounds import BackgroundProfile
from stats.rules.bounded import Shared
from stats.rules.figures import PairActivity, PairDecisions
from store.background import MemberBackground
from store.base import UTCDateTime
from store.exchanges import Exchange
from store.ledger import LedgerAccount, LedgerEntry, LedgerTransfer
from store.listings import HelpRequest, Offer
from store.memberships import Membership, MembershipStatus
from store.proposals import Proposal

SETTLED_STATES = (ExchangeState.SETTLED.value, ExchangeState.RESOLVED.value)


@dataclass(frozen=True, slots=True)
class Span:
    """The half-open instant range [start, end) of one window."""

    start: datetime
    end: datetime

    def within(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= literal(self.start, UTCDateTime), column < literal(self.end, UTCDateTime))

    def until_end(self, column: Any) -> ColumnElement[bool]:
        before: ColumnElement[bool] = column < literal(self.end, UTCDateTime)
        return before


def _settled(e: Any) -> ColumnElement[bool]:
    return and_(e.state.in_(SETTLED_STATES), e.settled_minutes > 0)


def earliest_activity(session: Session) -> datetime | None:
    """The first membership request or settlement on record (where the statistics' history begins)."""
    firsts = [
        session.execute(select(func.min(Membership.requested_at))).scalar(),
        session.execute(select(func.min(Exchange.settled_at))).scalar(),
    ]
    moments = [v for v in firsts if v is not None]
    return min(moments) if moments else None


def membership_counts(session: Session, span: Span) -> dict[int, tuple[int, int]]:
    """Per antenna: members who had asked to join by the window's end, and those approved by then."""
    m: Any = Membership  # SQLModel types the fields as values; as columns they are Any here
    registered = select(m.antenna_id, func.count()).where(span.until_end(m.requested_at)).group_by(m.antenna_id)
    approved = (
        select(m.antenna_id, func.count())
        .where(m.status == MembershipStatus.APPROVED, span.until_end(m.decided_at))
        .group_by(m.antenna_id)
    )
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for column, query in ((0, registered), (1, approved)):
        for antenna, count in session.execute(query):
            result[int(antenna)][column] = int(count)
    return {a: (r, ap) for a, (r, ap) in result.items()}


def pair_activity(session: Session, span: Span) -> dict[int, list[PairActivity]]:
    """Per antenna: settled exchanges and minutes per (giver, receiver) in the window."""
    e: Any = Exchange
    query = (
        select(e.antenna_id, e.helper_id, e.receiver_id, func.count(), func.sum(e.settled_minutes))
        .where(_settled(e), span.within(e.settled_at))
        .group_by(e.antenna_id, e.helper_id, e.receiver_id)
    )
    result: dict[int, list[PairActivity]] = defaultdict(list)
    for antenna, giver, receiver, count, minutes in session.execute(query):
        result[int(antenna)].append(PairActivity(int(giver), int(receiver), int(count), int(minutes)))
    return result


def posts(session: Session, span: Span) -> tuple[dict[int, dict[int, int]], dict[int, dict[int, int]]]:
    """Per antenna and member: offers posted, and requests posted, in the window."""
    out: list[dict[int, dict[int, int]]] = []
    model: Any
    for model in (Offer, HelpRequest):
        query = (
            select(model.antenna_id, model.member_id, func.count())
            .where(span.within(model.created_at))
            .group_by(model.antenna_id, model.member_id)
        )
        found: dict[int, dict[int, int]] = defaultdict(dict)
        for antenna, member, count in session.execute(query):
            found[int(antenna)][int(member)] = int(count)
        out.append(found)
    return out[0], out[1]


def matched_requests(session: Session, span: Span) -> dict[int, list[Shared]]:
    """Per antenna: requests posted in the window that led to a settled exchange, per (requester, helper)."""
    r: Any = HelpRequest
    e: Any = Exchange
    query = (
        select(r.antenna_id, r.member_id, e.helper_id, func.count(func.distinct(r.id)))
        .join(e, e.request_id == r.id)
        .where(_settled(e), span.within(r.created_at), e.helper_id != r.member_id)
        .group_by(r.antenna_id, r.member_id, e.helper_id)
    )
    result: dict[int, list[Shared]] = defaultdict(list)
    for antenna, requester, helper, count in session.execute(query):
        result[int(antenna)].append(Shared(int(requester), int(helper), int(count)))
    return result


def decisions(session: Session, span: Span) -> dict[int, list[PairDecisions]]:
    """Per antenna and (helper, receiver): moderators' decisions (by decided_at) and members' answers
    (accepted or declined, by state_since) in the window."""
    p: Any = Proposal
    counts: dict[tuple[int, int, int], dict[str, int]] = defaultdict(dict)
    moderators = (
        select(p.antenna_id, p.helper_id, p.receiver_id, p.state, func.count())
        .where(p.decided_by.is_not(None), span.within(p.decided_at))
        .group_by(p.antenna_id, p.helper_id, p.receiver_id, p.state)
    )
    for antenna, helper, receiver, state, count in session.execute(moderators):
        name = "rejected" if ProposalState(state) is ProposalState.REJECTED else "approved"
        values = counts[(int(antenna), int(helper), int(receiver))]
        values[name] = values.get(name, 0) + int(count)
    answers = (
        select(p.antenna_id, p.helper_id, p.receiver_id, p.state, func.count())
        .where(p.state.in_((ProposalState.ACCEPTED, ProposalState.DECLINED)), span.within(p.state_since))
        .group_by(p.antenna_id, p.helper_id, p.receiver_id, p.state)
    )
    for antenna, helper, receiver, state, count in session.execute(answers):
        name = "accepted" if ProposalState(state) is ProposalState.ACCEPTED else "declined"
        counts[(int(antenna), int(helper), int(receiver))][name] = int(count)
    result: dict[int, list[PairDecisions]] = defaultdict(list)
    for (antenna, helper, receiver), values in counts.items():
        if helper != receiver:
            result[antenna].append(PairDecisions(helper, receiver, **values))
    return result


def pool_flows(session: Session, span: Span) -> tuple[dict[int, dict[int, int]], dict[int, dict[int, int]]]:
    """Per antenna and member: minutes the member donated to the pool, and minutes the pool paid them."""
    t: Any = LedgerTransfer
    entry: Any = LedgerEntry
    account: Any = LedgerAccount
    out: list[dict[int, dict[int, int]]] = []
    for kind, sign in ((TransferKind.DONATION, -1), (TransferKind.POOL_PAYMENT, 1)):
        side = entry.minutes < 0 if sign < 0 else entry.minutes > 0
        query = (
            select(t.antenna_id, account.member_id, func.sum(entry.minutes))
            .join(entry, entry.transfer_id == t.id)
            .join(account, account.id == entry.account_id)
            .where(t.kind == kind, account.kind == AccountKind.MEMBER, side, span.within(t.created_at))
            .group_by(t.antenna_id, account.member_id)
        )
        found: dict[int, dict[int, int]] = defaultdict(dict)
        for antenna, member, minutes in session.execute(query):
            found[int(antenna)][int(member)] = sign * int(minutes)
        out.append(found)
    return out[0], out[1]


def parse_languages(value: Any) -> frozenset[str]:
    if not value:
        return frozenset()
    decoded = json.loads(value) if isinstance(value, str) else value
    return frozenset(decoded) if isinstance(decoded, list) else frozenset()


def profiles(session: Session, members: Iterable[int]) -> dict[int, BackgroundProfile]:
    """The declared backgrounds of these members, for those who consented (the others have no row)."""
    ids = sorted(set(members))
    result: dict[int, BackgroundProfile] = {}
    b: Any = MemberBackground
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        query = select(b.member_id, b.languages, b.origin, b.age_band, b.circle).where(b.member_id.in_(chunk))
        for member, languages, origin, age_band, circle in session.execute(query):
            result[int(member)] = BackgroundProfile(
                languages=parse_languages(languages), origin=origin, age_band=age_band, circle=circle
            )
    return result
