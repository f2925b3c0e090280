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


@router.get(
    "/proposals/{proposal_id}/messages",
    response_model=Page[MessageOut],
    responses=_READ_ERRORS,
    summary="the conversation of a proposal, newest last",
)
def proposal_messages(
    proposal_id: IdPath,
    actor: CurrentActor,
    session: SessionDep,
    lang: LanguageDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MessageOut]:
    thread = service.proposal_thread(session, actor, proposal_id)
    return _page(session, thread, actor=actor, lang=lang, limit=limit, cursor=cursor)


@router.post(
    "/proposals/{proposal_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=_POST_ERRORS,
    summary="write to the other party of a proposal (a moderator writes as the antenna)",
)
def post_proposal_message(
    proposal_id: IdPath, body: MessageIn, actor: CurrentActor, session: SessionDep, lang: LanguageDep
) -> MessageOut:
    thread = service.proposal_thread(session, actor, proposal_id)
    row = service.post(session, actor, thread, text=body.text)
    return messages_out(session, thread, [row], actor=actor, lang=lang)[0]


@router.get(
    "/exchanges/{exchange_id}/messages",
    response_model=Page[MessageOut],
    responses=_READ_ERRORS,
    summary="the conversation of an exchange (it continues its proposal's), newest last",
)
def exchange_messages(
    exchange_id: IdPath,
    actor: CurrentActor,
    session: SessionDep,
    lang: LanguageDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[MessageOut]:
    thread = service.exchange_thread(session, actor, exchange_id)
    return _page(session, thread, actor=actor, lang=lang, limit=limit, cursor=cursor)


@router.post(
    "/exchanges/{exchange_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
    responses=_POST_ERRORS,
    summary="write to the other party of an exchange (a moderator writes as the antenna)",
)
def post_exchange_message(
    exchange_id: IdPath, body: MessageIn, actor: CurrentActor, session: SessionDep, lang: LanguageDep
) -> MessageOut:
    thread = service.exchange_thread(session, actor, exchange_id)
    row = service.post(session, actor, thread, text=body.text)
    return messages_out(session, thread, [row], actor=actor, lang=lang)[0]
