from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import SessionDep, SettingsDep
from api.problems import problem_responses
from api.routes.me import me_out
from api.schemas.members import MeOut, RegisterIn, TokenOut
from domain.errors import Unauthenticated
from services import accounts
from services.tokens import issue_token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=MeOut, responses=problem_responses(409, 422)
)
def register(body: RegisterIn, session: SessionDep) -> MeOut:
    member = accounts.register(
        session, email=body.email, password=body.password, display_name=body.display_name, language=body.language
    )
    return me_out(session, member)


@router.post("/token", response_model=TokenOut, responses=problem_responses(401, 422, 429))
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> TokenOut:
    outcome = accounts.authenticate(
        session,
        email=form.username,
        password=form.password,
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    if outcome.member is None:
        # The failed attempt must be kept although the answer is an error: commit it before raising.
        session.commit()
        raise Unauthenticated("error.bad_credentials")
    assert outcome.member.id is not None
    access = issue_token(
        member_id=outcome.member.id,
        secret=settings.resolved_secret_key(),
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )
    return TokenOut(access_token=access)
