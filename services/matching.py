"""Runs the nearby-match round for one antenna: load its inputs, solve (domain.matching), queue proposals.

The round itself is pure (domain/matching/round.py). Here: the open requests and offers, the members'
profiles (consented background only, give-and-take, load, pause) and the pairs to keep apart come from the
database; every proposal goes to the moderators' review queue as a scheduler proposal in pending_review,
with its explanation rendered in nl, fr and en; the run and its summary are recorded as a MatchRun.

Runs of one antenna are serialised (an advisory lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already does),
so a manual run and a scheduled one never propose two helpers for the same request.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain import exchanges as rules
from domain.audit import AuditAction
from domain.background import AVAILABILITY_SLOTS
from domain.errors import InvalidInput
from domain.exchanges import Origin
from domain.matching.model import (
    NO_BACKGROUND,
    Background,
    MemberProfile,
    OpenRequest,
    RoundInputs,
    RoundResult,
)
from domain.matching.model import Offer as MatchOffer
from domain.matching.round import run_round
from services.explanations import in_every_language
from store import audit
from store import match_inputs as q
from store.antennas import Antenna
from store.background import MemberBackground
from store.base import row_id, utcnow
from store.listings import HelpRequest, Offer
from store.locking import advisory_xact_lock
from store.match_runs import MatchRun, MatchTrigger
from store.proposals import Proposal, live_key

log = logging.getLogger(__name__)

UNMATCHED_IDS_KEPT = 500
_SLOTS = frozenset(AVAILABILITY_SLOTS)


def _slots(values: list[str] | None) -> frozenset[str]:
    return frozenset(values or ()) & _SLOTS


def _background(row: MemberBackground | None) -> Background:
    if row is None:
        return NO_BACKGROUND
    try:
        return Background(
            languages=frozenset(row.languages) if row.languages else None,
            origin=row.origin,
            age_band=row.age_band,
            circle=row.circle,
        )
    except InvalidInput:
        # Stored values are validated on the way in; a value retired from the fixed lists since is ignored.
        log.warning("member %s: background not usable for matching", row.member_id)
        return NO_BACKGROUND


def load_round_inputs(session: Session, *, antenna: Antenna, now: datetime) -> RoundInputs:
    return _load(session, antenna=antenna, now=now)[0]


def _located(listing: HelpRequest | Offer) -> tuple[float, float]:
    # open_requests and open_offers only return listings with a location.
    if listing.lat is None or listing.lon is None:
        raise ValueError(f"listing {listing.id} has no location")
    return listing.lat, listing.lon


def _load(session: Session, *, antenna: Antenna, now: datetime) -> tuple[RoundInputs, dict[int, HelpRequest]]:
    assert antenna.id is not None
    settings = antenna.declaration().matching
    requests = q.open_requests(session, antenna_id=antenna.id)
    offers = q.open_offers(session, antenna_id=antenna.id)
    completed = q.completed_exchange_counts(session, antenna_id=antenna.id)
    given, received = q.minutes_exchanged(session, antenna_id=antenna.id)
    load = q.open_helper_load(session, antenna_id=antenna.id)
    profiles = [
        MemberProfile(
            id=row_id(member),
            background=_background(background),
            completed_exchanges=completed.get(row_id(member), 0),
            minutes_given=given.get(row_id(member), 0),
            minutes_received=received.get(row_id(member), 0),
            open_load=load.get(row_id(member), 0),
            paused=member.paused or member.erased_at is not None,
        )
        for member, background in q.members_and_backgrounds(session, antenna_id=antenna.id)
    ]
    exclusions = q.excluded_pairs(
        session, antenna_id=antenna.id, declined_since=now - timedelta(days=settings.decline_cooldown_days)
    ) | q.blocked_round_pairs(session, antenna_id=antenna.id)
    inputs = RoundInputs.build(
        requests=(
            OpenRequest(
                id=row_id(r),
                requester_id=r.member_id,
                category=r.category,
                lat=_located(r)[0],
                lon=_located(r)[1],
                availability=_slots(r.availability),
                created_at=r.created_at,
            )
            for r in requests
        ),
        offers=(
            MatchOffer(
                id=row_id(o),
                helper_id=o.member_id,
                category=o.category,
                lat=_located(o)[0],
                lon=_located(o)[1],
                availability=_slots(o.availability),
            )
            for o in offers
        ),
        members=profiles,
        exclusions=exclusions,
    )
    return inputs, {r.id: r for r in requests if r.id is not None}


def _queue(
    session: Session,
    *,
    antenna: Antenna,
    run: MatchRun,
    result: RoundResult,
    requests: dict[int, HelpRequest],
    now: datetime,
) -> list[Proposal]:
    """Writes the round's proposals; a pair that already has an open proposal (unique live_key) is skipped."""
    declaration = antenna.declaration()
    written: list[Proposal] = []
    for proposal in result.proposals:
        request = requests[proposal.request_id]
        value = rules.new_proposal(origin=Origin.SCHEDULER, initiator=None, lifecycle=declaration.lifecycle, now=now)
        row = Proposal(
            antenna_id=row_id(antenna),
            request_id=proposal.request_id,
            offer_id=proposal.offer_id,
            helper_id=proposal.helper_id,
            receiver_id=proposal.receiver_id,
            category=request.category,
            minutes=request.minutes,
            origin=Origin.SCHEDULER,
            initiator=None,
            state=value.state,
            created_at=value.created_at,
            state_since=value.state_since,
            live_key=live_key(
                request_id=proposal.request_id,
                offer_id=proposal.offer_id,
                helper_id=proposal.helper_id,
                receiver_id=proposal.receiver_id,
            ),
            match_run_id=run.id,
            score=proposal.score,
            distance_m=round(proposal.distance_m),
            bridging=proposal.bridging,
            bridging_dimensions=[d.value for d in proposal.bridging_dimensions],
            explanation=in_every_language(proposal.explanation),
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            log.info("match run %s: pair already proposed, skipped (request %s)", run.id, proposal.request_id)
            continue
        written.append(row)
    return written


def _summary(result: RoundResult, written: list[Proposal], inputs: RoundInputs) -> dict[str, Any]:
    distances = [p.distance_m for p in written if p.distance_m is not None]
    matched = {p.request_id for p in written}
    unmatched = sorted(r.id for r in inputs.requests if r.id not in matched)
    return {
        "requests_seen": result.summary.requests_seen,
        "candidates": result.summary.candidates,
        "proposals": len(written),
        "unmatched": len(unmatched),
        "mean_distance_m": round(sum(distances) / len(distances), 1) if distances else 0.0,
        "bridging_share": round(sum(bool(p.bridging) for p in written) / len(written), 4) if written else 0.0,
        "skipped_duplicates": len(result.proposals) - len(written),
        "excluded_pairs": len(inputs.exclusions),
        "unmatched_request_ids": unmatched[:UNMATCHED_IDS_KEPT],
    }


def run_match_round(
    session: Session,
    *,
    antenna: Antenna,
    trigger: MatchTrigger,
    triggered_by: int | None = None,
    now: datetime | None = None,
) -> MatchRun:
    """One round for one antenna, inside the caller's transaction; returns the recorded run (with summary)."""
    assert antenna.id is not None
    advisory_xact_lock(session, f"match:{antenna.slug}")
    now = now or utcnow()
    declaration = antenna.declaration()
    run = MatchRun(antenna_id=antenna.id, trigger=trigger, triggered_by=triggered_by, started_at=now)
    session.add(run)
    session.flush()

    inputs, request_rows = _load(session, antenna=antenna, now=now)
    result = run_round(inputs, declaration.matching, radius_km=declaration.area.radius_km)
    written = _queue(session, antenna=antenna, run=run, result=result, requests=request_rows, now=now)

    run.summary = _summary(result, written, inputs)
    run.finished_at = utcnow()
    session.add(run)
    if triggered_by is not None:
        audit.record(
            session,
            actor_id=triggered_by,
            action=AuditAction.MATCH_RUN,
            antenna_id=antenna.id,
            detail={"match_run_id": run.id, "proposals": len(written)},
        )
    session.flush()
    log.info(
        "match run %s (%s): %s",
        run.id,
        antenna.slug,
        {k: v for k, v in run.summary.items() if k != "unmatched_request_ids"},
    )
    return run
