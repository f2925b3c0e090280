"""The member's own credentials: changing the password or PIN, adding an e-mail address."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.deps import AuthSessionId, CurrentActor, SessionDep
from api.problems import problem_responses
from api.routes.me import me_out
from api.schemas.accounts import EmailChangeIn, PasswordChangeIn
from api.schemas.members import MeOut
from services import accounts

router = APIRouter(prefix="/me", tags=["me"])


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 422),
)
def change_password(
    body: PasswordChangeIn, actor: CurrentActor, session: SessionDep, session_id: AuthSessionId
) -> Response:
    """Change my password or PIN

    For the signed-in member, with the current password (a member who logged in with a one-time code has none to
    give). Answers 204; every other session of the member ends, the current one stays. Not possible with
    `On-Behalf-Of`: a moderator never sets a member's password (they make a reset code instead).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate, or a moderator
      tried to change a member's password for them
    - 422: the current password is wrong, or the new one is refused (blank, too short or too common)
    """
    accounts.change_password(
        session,
        actor,
        current_password=body.current_password,
        new_password=body.new_password,
        session_id=session_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/email", response_model=MeOut, responses=problem_responses(401, 403, 409, 422))
def add_email(body: EmailChangeIn, actor: CurrentActor, session: SessionDep) -> MeOut:
    """Add or change my e-mail address

    For the signed-in member. Answers the profile; from now on the member can log in with this address, and a
    desk-enrolled account is no longer managed by the antenna's moderators. A moderator may call it for a member of
    an antenna they moderate by adding `On-Behalf-Of: <member id>` (audited).

    Errors:
    - 403: `On-Behalf-Of` names someone who is not an approved member of an antenna you moderate
    - 409: the address belongs to another account, or the account has no password yet (set one first)
    """
    member = accounts.add_email(session, actor, email=body.email)
    return me_out(session, member)
