"""Feedback after a settled exchange: a thank-you and whether it brought someone new into the member's
life. Kept for the statistics only: nobody else ever reads it back (not even the other party)."""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import InvalidTransition
from domain.exchanges import ExchangeState
from services.actors import Actor
from services.exchanges import visible_exchange
from services.proposals import party_of
from store.base import utcnow
from store.feedback import ExchangeFeedback, get_feedback

AFTER = (ExchangeState.SETTLED, ExchangeState.RESOLVED)


def give_feedback(
    session: Session, actor: Actor, *, exchange_id: int, thanks: bool, met_someone_new: bool | None
) -> ExchangeFeedback:
    """One answer per member and exchange; answering again replaces it."""
    row = visible_exchange(session, actor, exchange_id, lock=True)
    party_of(row, actor.member_id)
    if row.state not in AFTER:
        raise InvalidTransition("error.feedback.not_settled", state=row.state.value)
    now = utcnow()
    feedback = get_feedback(session, exchange_id=exchange_id, member_id=actor.member_id) or ExchangeFeedback(
        exchange_id=exchange_id, member_id=actor.member_id, thanks=thanks, created_at=now
    )
    feedback.thanks, feedback.met_someone_new, feedback.updated_at = thanks, met_someone_new, now
    session.add(feedback)
    session.flush()
    return feedback
