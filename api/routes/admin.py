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
    member = roles.grant_analyst(session, admin=admin, email=body.email)
    return PersonOut(id=member.id or 0, display_name=member.display_name, email=member.email)
