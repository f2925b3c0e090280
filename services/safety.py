"""Safety between members: blocks (mutual in effect) and reports to an antenna's moderators.

A block keeps the pair apart everywhere: the matching scheduler never proposes them (services/matching.py
loads the blocked pairs with the other exclusions), neither can respond to the other's listings, their
conversations take no more messages and their open proposals end. A report lands in the moderators'
queue of the antenna it concerns; closing it carries a note and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.audit import AuditAction
from domain.errors import Conflict, InvalidInput, NotFound
from domain.exchanges import ProposalState
from services import events
from services.actors import Actor
from services.exchanges import visible_exchange
from services.listings import get_listing
from services.proposals import visible_proposal
from store import audit
from store.antennas import Antenna, get_antenna, is_moderator
from store.base import utcnow
from store.listings import HelpRequest, Offer
from store.members import Member, get_member
from store.proposals import get_proposal_for_update
from store.safety import (
    Block,
    ListingKind,
    Report,
    ReportAbout,
    ReportStatus,
    common_antenna_id,
    get_block,
    get_report,
    open_proposals_between,
)


def _member_in_contact(session: Session, actor: Actor, member_id: int) -> tuple[Member, int]:
    """Another member the actor can see (a shared antenna, or a proposal between them), and that antenna."""
    other = get_member(session, member_id) if member_id != actor.member_id else None
    antenna_id = common_antenna_id(session, actor.member_id, member_id) if other is not None else None
    if other is None or antenna_id is None:
        raise NotFound()
    return other, antenna_id


def block(session: Session, actor: Actor, *, member_id: int) -> Block:
    if member_id == actor.member_id:
        raise InvalidInput("error.block.self", field="body.member_id")
    _member_in_contact(session, actor, member_id)
    existing = get_block(session, blocker_id=actor.member_id, blocked_id=member_id)
    if existing is not None:
        return existing  # blocking twice is blocking once
    row = Block(blocker_id=actor.member_id, blocked_id=member_id, created_at=utcnow())
    session.add(row)
    now = utcnow()
    for proposal_id in open_proposals_between(session, actor.member_id, member_id):
        proposal = get_proposal_for_update(session, proposal_id)
        if proposal is not None:
            proposal.state, proposal.state_since, proposal.live_key = ProposalState.WITHDRAWN, now, None
            session.add(proposal)
    session.flush()
    return row


def unblock(session: Session, actor: Actor, *, member_id: int) -> None:
    existing = get_block(session, blocker_id=actor.member_id, blocked_id=member_id)
    if existing is None:
        raise NotFound()
    session.delete(existing)
    session.flush()


@dataclass(frozen=True, slots=True)
class ReportInput:
    about: ReportAbout
    subject_id: int
    reason: str
    listing_kind: ListingKind | None = None


def _listing(
    session: Session, actor: Actor, subject_id: int, kind: ListingKind | None
) -> tuple[Offer | HelpRequest, ListingKind]:
    kinds = [kind] if kind is not None else [ListingKind.OFFER, ListingKind.REQUEST]
    found: list[tuple[Offer | HelpRequest, ListingKind]] = []
    for candidate in kinds:
        try:
            found.append(
                (
                    get_listing(session, actor, Offer if candidate is ListingKind.OFFER else HelpRequest, subject_id),
                    candidate,
                )
            )
        except NotFound:
            continue
    if not found:
        raise NotFound()
    if len(found) > 1:
        raise InvalidInput("error.report.listing_kind", field="body.listing_kind")
    return found[0]


def file_report(session: Session, actor: Actor, data: ReportInput) -> Report:
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput("error.reason_required.detail", field="body.reason")
    listing_kind: ListingKind | None = None
    if data.about is ReportAbout.MEMBER:
        other, antenna_id = _member_in_contact(session, actor, data.subject_id)
        reported: int | None = other.id
    elif data.about is ReportAbout.LISTING:
        listing, listing_kind = _listing(session, actor, data.subject_id, data.listing_kind)
        antenna_id, reported = listing.antenna_id, listing.member_id
    elif data.about is ReportAbout.PROPOSAL:
        proposal = visible_proposal(session, actor, data.subject_id)
        antenna_id = proposal.antenna_id
        reported = proposal.receiver_id if proposal.helper_id == actor.member_id else proposal.helper_id
    else:
        exchange = visible_exchange(session, actor, data.subject_id)
        antenna_id = exchange.antenna_id
        reported = exchange.receiver_id if exchange.helper_id == actor.member_id else exchange.helper_id
    if reported == actor.member_id:
        raise InvalidInput("error.report.self", field="body.id")
    row = Report(
        antenna_id=antenna_id,
        reporter_id=actor.member_id,
        about=data.about,
        subject_id=data.subject_id,
        listing_kind=listing_kind,
        reported_member_id=reported,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    events.report_filed(session, antenna_id=antenna_id, report_id=row.id, about=data.about.value)
    session.flush()
    return row


def close_report(session: Session, *, moderator: Member, report_id: int, note: str) -> Report:
    row = get_report(session, report_id, lock=True)
    if row is None:
        raise NotFound()
    assert moderator.id is not None
    if not is_moderator(session, member_id=moderator.id, antenna_id=row.antenna_id):
        raise NotFound()  # another antenna's report: not visible
    if row.status is ReportStatus.CLOSED:
        raise Conflict("error.report.closed")
    cleaned = note.strip()
    if not cleaned:
        raise InvalidInput("error.reason_required.detail", field="body.note")
    row.status, row.closed_at, row.closed_by, row.close_note = ReportStatus.CLOSED, utcnow(), moderator.id, cleaned
    session.add(row)
    audit.record(
        session,
        actor_id=moderator.id,
        action=AuditAction.REPORT_CLOSE,
        antenna_id=row.antenna_id,
        subject_member_id=row.reported_member_id,
        detail={"report_id": row.id, "about": row.about.value, "subject_id": row.subject_id, "note": cleaned},
    )
    session.flush()
    return row


def antenna_of_report(session: Session, row: Report) -> Antenna:
    antenna = get_antenna(session, row.antenna_id)
    assert antenna is not None
    return antenna
