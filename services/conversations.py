"""The conversation between the two parties of a proposal and of the exchange it led to.

Who may read: the two parties (once they can see the proposal) and the antenna's moderators. Who may post:
the same, except a party blocked by (or blocking) the other; a moderator posts as the antenna. A message to
a thread one cannot see is NotFound, whatever the reason, so a thread's existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.errors import InvalidInput, NotAllowed
from services import events
from services.actors import Actor
from services.exchanges import visible_exchange
from services.proposals import visible_proposal
from store.antennas import is_moderator
from store.base import utcnow
from store.conversations import MAX_MESSAGE_LENGTH, Message, list_thread
from store.proposals import Proposal, get_proposal
from store.safety import blocked_between


@dataclass(frozen=True, slots=True)
class Thread:
    proposal: Proposal
    exchange_id: int | None
    as_antenna: bool  # the reader is one of the antenna's moderators, not a party


def proposal_thread(session: Session, actor: Actor, proposal_id: int) -> Thread:
    proposal = visible_proposal(session, actor, proposal_id)
    return Thread(proposal=proposal, exchange_id=None, as_antenna=_moderating(actor, proposal))


def exchange_thread(session: Session, actor: Actor, exchange_id: int) -> Thread:
    exchange = visible_exchange(session, actor, exchange_id)
    proposal = get_proposal(session, exchange.proposal_id)
    assert proposal is not None
    return Thread(proposal=proposal, exchange_id=exchange.id, as_antenna=_moderating(actor, proposal))


def _moderating(actor: Actor, proposal: Proposal) -> bool:
    # visible_* let the actor through as a party or as a moderator of the antenna: not a party, so moderator.
    return actor.member_id not in (proposal.helper_id, proposal.receiver_id)


def read(session: Session, thread: Thread, *, after_id: int | None, limit: int) -> list[Message]:
    assert thread.proposal.id is not None
    return list_thread(session, proposal_id=thread.proposal.id, after_id=after_id, limit=limit)


def clean_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("error.message.empty", field="body.text")
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise InvalidInput("error.message.too_long", field="body.text", max=MAX_MESSAGE_LENGTH)
    return cleaned


def post(session: Session, actor: Actor, thread: Thread, *, text: str) -> Message:
    proposal = thread.proposal
    assert proposal.id is not None
    cleaned = clean_text(text)
    if thread.as_antenna:
        # Only a moderator of this antenna reaches here (visible_* checked it); say so again for clarity.
        if not is_moderator(session, member_id=actor.acting_id, antenna_id=proposal.antenna_id):
            raise NotAllowed("error.moderator_only")
    elif blocked_between(session, proposal.helper_id, proposal.receiver_id):
        raise NotAllowed("error.block.no_contact")
    message = Message(
        proposal_id=proposal.id,
        author_id=actor.acting_id if thread.as_antenna else actor.member_id,
        as_antenna=thread.as_antenna,
        text=cleaned,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    events.message_posted(
        session, proposal, author_id=None if thread.as_antenna else actor.member_id, exchange_id=thread.exchange_id
    )
    session.flush()
    return message
