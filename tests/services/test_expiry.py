"""Stale proposals and unconfirmed exchanges expire after the antenna's configured times."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from domain.exchanges import ExchangeState, Origin, ProposalState
from services.exchanges import expire_stale_exchanges
from services.factories import Factory
from services.proposals import expire_stale_proposals
from store.base import utcnow
from store.listings import HelpRequest, ListingStatus
from store.proposals import Proposal


def test_a_proposal_nobody_answered_expires_after_the_configured_days(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        antenna = build.antenna()
        days = antenna.declaration().lifecycle.proposal_expiry_days
        helper, receiver = build.member("helper@example.org"), build.member("receiver@example.org")
        created = utcnow() - timedelta(days=days, hours=1)
        proposal = Proposal(
            antenna_id=antenna.id,  # type: ignore[arg-type]
            helper_id=helper.id,  # type: ignore[arg-type]
            receiver_id=receiver.id,  # type: ignore[arg-type]
            category="shopping",
            origin=Origin.SCHEDULER,
            state=ProposalState.PENDING_REVIEW,
            live_key="test-key",
            created_at=created,
            state_since=created,
        )
        fresh = Proposal(
            antenna_id=antenna.id,  # type: ignore[arg-type]
            helper_id=receiver.id,  # type: ignore[arg-type]
            receiver_id=helper.id,  # type: ignore[arg-type]
            category="shopping",
            origin=Origin.SCHEDULER,
            state=ProposalState.PENDING_REVIEW,
        )
        session.add_all([proposal, fresh])
        session.flush()
        assert expire_stale_proposals(session, antenna=antenna, now=utcnow()) == 1
        assert proposal.state is ProposalState.EXPIRED and proposal.live_key is None
        assert fresh.state is ProposalState.PENDING_REVIEW
        assert expire_stale_proposals(session, antenna=antenna, now=utcnow()) == 0


def test_an_unconfirmed_exchange_expires_and_its_request_reopens(db: Engine) -> None:
    with Session(db, expire_on_commit=False) as session:
        build = Factory(session)
        antenna = build.antenna()
        days = antenna.declaration().lifecycle.exchange_confirm_days
        helper, receiver = build.member("helper@example.org"), build.member("receiver@example.org")
        exchange = build.planned_exchange(helper=helper, receiver=receiver)
        request = session.get(HelpRequest, exchange.request_id)
        assert request is not None and request.status is ListingStatus.MATCHED
        exchange.planned_at = utcnow() - timedelta(days=days + 1)
        session.add(exchange)
        recent = build.planned_exchange(helper=receiver, receiver=helper)
        session.flush()
        assert expire_stale_exchanges(session, antenna=antenna, now=utcnow()) == 1
        assert exchange.state is ExchangeState.EXPIRED
        assert recent.state is ExchangeState.PLANNED
        assert request.status is ListingStatus.OPEN
