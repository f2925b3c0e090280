from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import AdminUser, SessionDep
from api.problems import problem_responses
from api.schemas.antennas import EmailIn, PersonOut
from services import roles

router = APIRouter(tags=["admin"])


@router.post(
    "/analysts",
    status_code=status.HTTP_201_CREATED,
    response_model=PersonOut,
    responses=problem_responses(401, 403, 404, 422),
)
def grant_analyst(body: EmailIn, admin: AdminUser, session: SessionDep) -> PersonOut:
    """Grant the analyst role to a registered person

    Administrators only (they are created from the command line, never over the API). Answers the person; analysts
    read the statistics under `/v1/stats` and nothing about individual members. Audited.

    Errors:
    - 403: you are not an administrator
    - 404: no account has this e-mail address
    """
    member = roles.grant_analyst(session, admin=admin, email=body.email)
    return PersonOut(id=member.id or 0, display_name=member.display_name, email=member.email)
