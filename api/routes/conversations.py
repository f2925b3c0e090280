"""The conversation of a proposal and of its exchange (one thread), oldest first: newest last."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlmodel import Session

from api.deps import CurrentActor, LanguageDep, SessionDep
from api.pagination import CursorQuery, LimitQuery, Page, decode_cursor, encode_cursor
from api.problems import problem_responses
from api.schemas.common import MAX_ID, MemberRef
from api.schemas.neighbours import MessageIn, MessageOut
from buurtbank.i18n import translate
from services import conversations as service
from services.actors import Actor
from store.antennas import get_antenna
from store.conversations import Message
from store.members import members_by_id

router = APIRouter(tags=["conversations"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
_READ_ERRORS = problem_responses(401, 403, 404, 422)
_POST_ERRORS = problem_responses(401, 403, 404, 422)


def messages_out(
    session: Session, thread: service.Thread, rows: Sequence[Message], *, actor: Actor, lang: str
) -> list[MessageOut]:
    """One query for the authors of the page, one for the antenna."""
    authors = members_by_id(session, sorted({m.author_id for m in rows if not m.as_antenna}))
    antenna = get_antenna(session, thread.proposal.antenna_id)
    antenna_name = (antenna.name_fr if lang == "fr" else antenna.name_nl) if antenna else ""
    reader = actor.acting_id if thread.as_antenna else actor.member_id
    out = []
    for row in rows:
        removed = row.erased_at is not None
        author = authors.get(row.author_id)
        out.append(
            MessageOut(
                id=row.id or 0,
                text=translate("message.removed", lang) if removed else row.text,
                removed=removed,
                author=None
                if removed or row.as_antenna or author is None
                else MemberRef(id=row.author_id, display_name=author.display_name),
                from_antenna=antenna_name if row.as_antenna else None,
                mine=row.author_id == reader and row.as_antenna == thread.as_antenna,
                created_at=row.created_at,
            )
        )
    return out


def _page(
    session: Session, thread: service.Thread, *, actor: Actor, lang: str, limit: int, cursor: str | None
) -> Page[MessageOut]:
    after = decode_cursor(cursor, size=1)
    rows = service.read(session, thread, after_id=after[0] if after else None, limit=limit + 1)
    page = rows[:limit]
    more = len(rows) > limit and bool(page)
    return Page[MessageOut](
        items=messages_out(session, thread, page, actor=actor, lang=lang),
        next_cursor=encode_cursor(page[-1].id or 0) if more else None,
    )


def _post(session: Session, thread: service.Thread, body: MessageIn, *, actor: Actor, lang: str) -> MessageOut:
    row = service.post(session, actor, thread, text=body.text)
    return messages_out(session, thread, [row], actor=actor, lang=lang)[0]


@router.get(
    "/proposals/{proposal_id}/messages",
    response_model=Page[MessageOut],
    responses=_READ_ERRORS,
)
def proposal_messages(
    proposal_id: IdPath,
    actor: CurrentActor,
    session: SessionDep,
    lang: LanguageDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MessageOut]:
    """Read the conversation of a proposal, oldest first

    For the proposal's two members and its antenna's moderators (who read along). A moderator's message is shown as
    the antenna's; an erased member's as a neutral marker in the reader's language. Paginated with `limit` and
    `cursor` (newer messages continue the page). A moderator may call it for a member of an antenna they moderate by
    adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no proposal with this id that you are a party to or moderate
    """
    thread = service.proposal_thread(session, actor, proposal_id)
    return _page(session, thread, actor=actor, lang=lang, limit=limit, cursor=cursor)


@router.post(
    "/proposals/{proposal_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=_POST_ERRORS,
)
def post_proposal_message(
    proposal_id: IdPath, body: MessageIn, actor: CurrentActor, session: SessionDep, lang: LanguageDep
) -> MessageOut:
    """Write in the conversation of a proposal

    For the proposal's two members (plain text, at most 2,000 characters; the other is notified) and its antenna's
    moderators, whose messages are shown as the antenna's. Contact details are never shown: this is the channel. A
    moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited),
    only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or one of the two members blocked the other
    - 404: no proposal with this id that you are a party to or moderate
    - 422: the text is empty or longer than 2,000 characters
    """
    return _post(session, service.proposal_thread(session, actor, proposal_id), body, actor=actor, lang=lang)


@router.get(
    "/exchanges/{exchange_id}/messages",
    response_model=Page[MessageOut],
    responses=_READ_ERRORS,
)
def exchange_messages(
    exchange_id: IdPath,
    actor: CurrentActor,
    session: SessionDep,
    lang: LanguageDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MessageOut]:
    """Read the conversation of an exchange, oldest first

    The same thread as its proposal's, continued. For the exchange's two members and its antenna's moderators;
    paginated with `limit` and `cursor`. A moderator may call it for a member of an antenna they moderate by adding
    `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: no exchange with this id that you are a party to or moderate
    """
    thread = service.exchange_thread(session, actor, exchange_id)
    return _page(session, thread, actor=actor, lang=lang, limit=limit, cursor=cursor)


@router.post(
    "/exchanges/{exchange_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=_POST_ERRORS,
)
def post_exchange_message(
    exchange_id: IdPath, body: MessageIn, actor: CurrentActor, session: SessionDep, lang: LanguageDep
) -> MessageOut:
    """Write in the conversation of an exchange

    For the exchange's two members (plain text, at most 2,000 characters; the other is notified) and its antenna's
    moderators, whose messages are shown as the antenna's. A moderator may call it for a member of an antenna they
    moderate by adding `On-Behalf-Of: <member id>` (audited), only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate, or one of the two members blocked the other
    - 404: no exchange with this id that you are a party to or moderate
    - 422: the text is empty or longer than 2,000 characters
    """
    return _post(session, service.exchange_thread(session, actor, exchange_id), body, actor=actor, lang=lang)
