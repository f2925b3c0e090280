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
    """Enrol a person who has no e-mail or smartphone at the antenna's desk

    For the antenna's moderators: `display_name`, `language`, optional `phone` (kept for the antenna's moderators
    only), `postcode` and `background` with the consent the person gave at the desk. The member is approved in this
    antenna at once and managed by its moderators. The answer carries the member number and a one-time login code:
    shown this once, never stored in the clear. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: there is no antenna with this slug
    - 409: the antenna has no member number left to give
    - 422: invalid input: e.g. a postcode outside Brussels, or a background without consent
    """
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
    """Read the welcome card of a member enrolled at the desk

    For the antenna's moderators: the member's name, number and language and how to reach the antenna's partner, to
    print or show. No code is on it. Audited.

    Errors:
    - 403: you are not a moderator of this antenna
    - 404: no member enrolled at this antenna's desk has this id, or no antenna has this slug
    """
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
    """Make a one-time reset code for a member of the antenna

    For the antenna's moderators, for a member approved in this antenna who forgot their password or PIN: the code
    (valid 24 hours unless configured otherwise) is shown this once; the member sets a new password with it at `POST
    /v1/auth/reset`. Audited.

    Errors:
    - 403: you are not a moderator of this antenna, or the member has a role (admin, analyst or moderator): nobody
      takes over such an account
    - 404: no approved member of this antenna has this id, or no antenna has this slug
    """
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
    """Leave an antenna, or withdraw my pending request to join

    For a member of the antenna. Open listings and proposals there are withdrawn and planned exchanges cancelled
    (the other party is told); the ledger is not touched. Answers what was ended. Rejoining is a new request. A
    moderator may call it for a member of an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited),
    only for that antenna's business.

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or the item is in
      an antenna you do not moderate
    - 404: you have no pending or approved membership of this antenna, or no antenna has this slug
    """
    departure = leaving.leave_antenna(session, actor, antenna)
    return LeftOut(
        antenna=antenna.slug,
        was=departure.was.value,
        exchanges_cancelled=departure.exchanges_cancelled,
        proposals_withdrawn=departure.proposals_withdrawn,
        listings_withdrawn=departure.listings_withdrawn,
    )
