"""What an antenna's moderators have to look at today: each a count that leads to its list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import beyond_anchor
from services.statements import antenna_ledger
from store import console as queries
from store.antennas import Antenna
from store.exchanges import Exchange
from store.members import Member
from store.memberships import Membership, MembershipStatus

# An exchange still waiting for both confirmations this long after it was planned needs a phone call.
WAITING_DAYS = 3


@dataclass(frozen=True, slots=True)
class TodaysWork:
    pending_memberships: int
    review_queue: int
    disputes: int
    waiting: int
    without_first_exchange: int
    past_anchor: int
    reports: int


def waiting_exchanges(session: Session, *, antenna: Antenna, now: datetime) -> list[Exchange]:
    assert antenna.id is not None
    return queries.exchanges_waiting(session, antenna_id=antenna.id, planned_before=now - timedelta(days=WAITING_DAYS))


def accounts_past_anchor(session: Session, *, antenna: Antenna) -> list[tuple[Member, int]]:
    """Members whose balance is past one of the antenna's anchors (given or received much more than the other)."""
    limits = antenna.declaration().credit
    ledger = antenna_ledger(session, antenna=antenna, before_id=None, limit=0)
    return [(m, b) for m, b in ledger.accounts if m is not None and beyond_anchor(b, limits)]


def without_first_exchange(session: Session, *, antenna: Antenna) -> list[tuple[Member, Membership]]:
    assert antenna.id is not None
    return queries.members_without_exchange(session, antenna_id=antenna.id)


def todays_work(session: Session, *, antenna: Antenna, now: datetime) -> TodaysWork:
    assert antenna.id is not None
    return TodaysWork(
        pending_memberships=queries.count_memberships(session, antenna_id=antenna.id, status=MembershipStatus.PENDING),
        review_queue=queries.count_proposals(session, antenna_id=antenna.id, state=ProposalState.PENDING_REVIEW),
        disputes=queries.count_exchanges(session, antenna_id=antenna.id, state=ExchangeState.DISPUTED),
        waiting=len(waiting_exchanges(session, antenna=antenna, now=now)),
        without_first_exchange=len(without_first_exchange(session, antenna=antenna)),
        past_anchor=len(accounts_past_anchor(session, antenna=antenna)),
        reports=queries.count_open_reports(session, antenna_id=antenna.id),
    )
