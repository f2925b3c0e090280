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
    """Change my password or PIN (the current one is required). Every other session of mine ends."""
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
    """Add (or change) my e-mail address: I can log in with it, and my account is no longer desk-managed."""
    member = accounts.add_email(session, actor, email=body.email)
    return me_out(session, member)
