"""Planning the meeting of an exchange: either party proposes when and where, the other accepts or
proposes another; the scheduler reminds both the day before (meeting_reminders job)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from domain import meetings as rules
from domain.errors import Conflict, InvalidTransition, NotAllowed
from domain.exchanges import ExchangeState
from services import events
from services.actors import Actor
from services.exchanges import visible_exchange
from services.proposals import party_of
from store.antennas import get_antenna
from store.base import utcnow
from store.exchanges import Exchange, get_exchange
from store.meetings import Meeting, PlaceKind, get_meeting, meetings_to_remind
from store.safety import blocked_between

BATCH = 500


def _planned_between_parties(session: Session, actor: Actor, exchange_id: int) -> Exchange:
    row = visible_exchange(session, actor, exchange_id, lock=True)
    party_of(row, actor.member_id)  # moderators see the exchange, but only its two members plan the meeting
    if row.state is not ExchangeState.PLANNED:
        raise InvalidTransition("error.meeting.not_planned", state=row.state.value)
    if blocked_between(session, row.helper_id, row.receiver_id):
        raise NotAllowed("error.block.no_contact")
    return row


def propose(session: Session, actor: Actor, *, exchange_id: int, starts_at: datetime, place: str) -> Meeting:
    row = _planned_between_parties(session, actor, exchange_id)
    now = utcnow()
    when = rules.check_starts_at(starts_at, now=now)
    antenna = get_antenna(session, row.antenna_id)
    assert antenna is not None
    is_partner, text = rules.place_text(place, partner_address=antenna.declaration().partner.address)
    meeting = get_meeting(session, exchange_id, lock=True) or Meeting(
        exchange_id=exchange_id, starts_at=when, place="", proposed_by=actor.member_id
    )
    meeting.starts_at, meeting.place = when, text
    meeting.place_kind = PlaceKind.ANTENNA_PARTNER if is_partner else PlaceKind.TEXT
    meeting.proposed_by, meeting.proposed_at = actor.member_id, now
    meeting.accepted_at = meeting.reminded_at = None
    session.add(meeting)
    session.flush()
    events.meeting_proposed(session, row, meeting)
    session.flush()
    return meeting


def accept(session: Session, actor: Actor, *, exchange_id: int) -> Meeting:
    row = _planned_between_parties(session, actor, exchange_id)
    meeting = get_meeting(session, exchange_id, lock=True)
    if meeting is None:
        raise Conflict("error.meeting.none")
    if meeting.accepted_at is not None:
        return meeting  # a retried accept changes nothing
    if meeting.proposed_by == actor.member_id:
        raise Conflict("error.meeting.own_proposal")
    if meeting.starts_at <= utcnow():
        raise Conflict("error.meeting.passed")
    meeting.accepted_at = utcnow()
    session.add(meeting)
    session.flush()
    events.meeting_accepted(session, row, meeting)
    session.flush()
    return meeting


def send_meeting_reminders(session: Session, *, now: datetime) -> int:
    """Reminds both parties of every accepted meeting starting within a day; once per meeting."""
    sent = 0
    for meeting in meetings_to_remind(session, starting_before=now + rules.REMIND_BEFORE, now=now, limit=BATCH):
        exchange = get_exchange(session, meeting.exchange_id)
        assert exchange is not None
        events.meeting_tomorrow(session, exchange, meeting, now=now)
        meeting.reminded_at = now
        session.add(meeting)
        sent += 1
    session.flush()
    return sent
