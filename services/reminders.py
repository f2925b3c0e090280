"""Reminders: nudge members who have not confirmed an exchange, or not answered an approved proposal.

Run by the scheduler (confirm_reminders job). A member is reminded about the same exchange or proposal at
most once per `every` (exchanges.reminded_at, and the notifications already written).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from services.notifications import notify
from store.base import row_id
from store.meetings import meetings_for
from store.notifications import NotificationKind, recently_notified
from store.reminders import exchanges_to_remind, proposals_waiting_for_answer

CONFIRM_AFTER = timedelta(days=3)
REMIND_EVERY = timedelta(days=3)
BATCH = 1000


@dataclass(frozen=True, slots=True)
class ReminderReport:
    confirm_reminders: int
    proposal_reminders: int


def send_reminders(
    session: Session, *, now: datetime, after: timedelta = CONFIRM_AFTER, every: timedelta = REMIND_EVERY
) -> ReminderReport:
    confirm = 0
    due = exchanges_to_remind(session, planned_before=now - after, reminded_before=now - every, limit=BATCH)
    meetings = meetings_for(session, [e.id for e in due if e.id is not None])
    for exchange in due:
        meeting = meetings.get(row_id(exchange))
        if meeting is not None and meeting.starts_at > now:
            continue  # they have not met yet: nothing to confirm
        # The planned time, when they agreed one, is in the reminder ("your exchange of Tuesday 3 March").
        planned = {"starts_at": meeting.starts_at.isoformat(), "variant": "met"} if meeting is not None else {}
        for member_id, minutes, role in (
            (exchange.helper_id, exchange.helper_minutes, "helper"),
            (exchange.receiver_id, exchange.receiver_minutes, "receiver"),
        ):
            if minutes is None:
                notify(
                    session,
                    member_id=member_id,
                    kind=NotificationKind.CONFIRM_REMINDER,
                    subject_id=exchange.id,
                    payload={"exchange_id": exchange.id, "category": exchange.category, "role": role, **planned},
                    now=now,
                )
                confirm += 1
        exchange.reminded_at = now
        session.add(exchange)

    waiting = proposals_waiting_for_answer(session, limit=BATCH)
    already = recently_notified(
        session,
        kind=NotificationKind.PROPOSAL_WAITING,
        subject_ids=[p.id for p in waiting if p.id is not None],
        since=now - every,
    )
    proposals = 0
    for proposal in waiting:
        for member_id, accepted, role in (
            (proposal.helper_id, proposal.helper_accepted, "helper"),
            (proposal.receiver_id, proposal.receiver_accepted, "receiver"),
        ):
            if accepted or (member_id, proposal.id) in already:
                continue
            notify(
                session,
                member_id=member_id,
                kind=NotificationKind.PROPOSAL_WAITING,
                subject_id=proposal.id,
                payload={"proposal_id": proposal.id, "category": proposal.category, "role": role},
                now=now,
            )
            proposals += 1
    session.flush()
    return ReminderReport(confirm_reminders=confirm, proposal_reminders=proposals)
