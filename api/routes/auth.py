from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import SessionDep, SettingsDep
from api.idempotency import IdempotencyDep, run_before_an_account
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
def register(body: RegisterIn, session: SessionDep, settings: SettingsDep, idempotency: IdempotencyDep) -> MeOut:
    def act() -> MeOut:
        member = accounts.register(
            session, email=body.email, password=body.password, display_name=body.display_name, language=body.language
        )
        return me_out(session, member)

    return run_before_an_account(  # type: ignore[no-any-return]
        session,
        key=idempotency.key,
        fingerprint=idempotency.fingerprint,
        secret=settings.resolved_secret_key(),
        status_code=201,
        action=act,
        owner=lambda answer: answer.id,  # type: ignore[attr-defined]
    )


class PasswordForm(OAuth2PasswordRequestForm):
    """OAuth2's password form, saying in the schema that both fields must be non-empty.

    FastAPI treats an empty form field as missing, so `password=` would be schema-valid and still refused.
    """

    def __init__(
        self,
        *,
        username: Annotated[str, Form(min_length=1, max_length=254)],
        password: Annotated[str, Form(min_length=1, max_length=128, json_schema_extra={"format": "password"})],
        grant_type: Annotated[str, Form(pattern="^password$")] = None,  # type: ignore[assignment]  # absent, not null
        scope: Annotated[str, Form()] = "",
    ) -> None:
        super().__init__(grant_type=grant_type, username=username, password=password, scope=scope)


@router.post("/token", response_model=TokenOut, responses=problem_responses(401, 422, 429))
def token(form: Annotated[PasswordForm, Depends()], session: SessionDep, settings: SettingsDep) -> TokenOut:
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
