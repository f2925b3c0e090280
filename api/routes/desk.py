"""Members enrolled at an antenna's desk (moderators), and leaving an antenna (members)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, cast

from fastapi import APIRouter, Path, status

from api.deps import AntennaDep, CurrentActor, ModeratedAntenna, SessionDep, SettingsDep, SignedIn
from api.problems import problem_responses
from api.routes.me import me_out
from api.schemas.accounts import EnrolIn, EnrolOut, LeftOut, PartnerCardOut, ResetCodeOut, WelcomeCardOut
from api.schemas.common import MAX_ID, LanguageCode
from services import desk, leaving

router = APIRouter(prefix="/antennas", tags=["desk"])

MemberIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the member's id")]


@router.post(
    "/{slug}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=EnrolOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def enrol(
    body: EnrolIn, antenna: ModeratedAntenna, moderator: SignedIn, session: SessionDep, settings: SettingsDep
) -> EnrolOut:
    """Enrol a person who has no e-mail or smartphone: approved in this antenna at once, managed by its
    moderators. The answer carries the member number and a one-time login code, shown this once."""
    background = None
    if body.background is not None:
        background = desk.BackgroundDeclaration(**body.background.model_dump())
    enrolled = desk.enrol(
        session,
        moderator=moderator,
        antenna=antenna,
        data=desk.Enrolment(
            display_name=body.display_name,
            language=body.language,
            phone=body.phone,
            postcode=body.postcode,
            background=background,
            background_consent=body.background_consent,
        ),
        login_code_lifetime=timedelta(days=settings.login_code_days),
    )
    member = me_out(session, enrolled.member)
    # The moderator sees whether consent was given, never the declaration itself.
    return EnrolOut(
        **member.model_dump(exclude={"background"}),
        background=None,
        login_code=enrolled.login_code,
        login_code_expires_at=enrolled.login_code_expires_at,
    )


@router.get(
    "/{slug}/members/{member_id}/card",
    response_model=WelcomeCardOut,
    responses=problem_responses(401, 403, 404, 422),
)
def welcome_card(
    antenna: ModeratedAntenna, member_id: MemberIdPath, moderator: SignedIn, session: SessionDep
) -> WelcomeCardOut:
    """The welcome card of a member enrolled at this antenna's desk: to print or show (no code on it)."""
    card = desk.welcome_card(session, moderator=moderator, antenna=antenna, member_id=member_id)
    return WelcomeCardOut(
        display_name=card.display_name,
        member_number=card.member_number,
        language=cast(LanguageCode, card.language),  # validated on the way in
        antenna=card.antenna_slug,
        antenna_name_nl=card.antenna_name_nl,
        antenna_name_fr=card.antenna_name_fr,
        partner=PartnerCardOut(**card.partner),
    )


@router.post(
    "/{slug}/members/{member_id}/reset-code",
    status_code=status.HTTP_201_CREATED,
    response_model=ResetCodeOut,
    responses=problem_responses(401, 403, 404, 422),
)
def reset_code(
    antenna: ModeratedAntenna,
    member_id: MemberIdPath,
    moderator: SignedIn,
    session: SessionDep,
    settings: SettingsDep,
) -> ResetCodeOut:
    """A one-time code (valid reset_code_hours, 24 by default) for a member approved in this antenna."""
    code, expires_at = desk.issue_reset_code(
        session,
        moderator=moderator,
        antenna=antenna,
        member_id=member_id,
        lifetime=timedelta(hours=settings.reset_code_hours),
    )
    return ResetCodeOut(code=code, expires_at=expires_at)


@router.delete(
    "/{slug}/memberships/mine",
    response_model=LeftOut,
    responses=problem_responses(401, 403, 404, 422),
)
def leave(antenna: AntennaDep, actor: CurrentActor, session: SessionDep) -> LeftOut:
    """Leave the antenna, or withdraw a pending request to join. Open listings and proposals there are
    withdrawn, planned exchanges cancelled (the other party is told); the ledger is not touched."""
    departure = leaving.leave_antenna(session, actor, antenna)
    return LeftOut(
        antenna=antenna.slug,
        was=departure.was.value,
        exchanges_cancelled=departure.exchanges_cancelled,
        proposals_withdrawn=departure.proposals_withdrawn,
        listings_withdrawn=departure.listings_withdrawn,
    )
