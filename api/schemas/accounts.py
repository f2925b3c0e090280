"""Request and response bodies of accounts for everyone: desk enrolment, codes, sessions, passwords."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.common import DisplayName, Email, LanguageCode
from api.schemas.members import BackgroundIn, MeOut
from domain.antenna_config import PartnerKind

# A new password or PIN: the schema only bounds its length; what is acceptable (not blank, not common,
# a six-digit PIN only for a member number) is a rule, answered with its own 422 problem type.
NewPassword = Annotated[str, StringConstraints(min_length=6, max_length=128)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=254)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ./-]{5,19}$")]


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName
    language: LanguageCode = "nl"
    phone: Phone | None = Field(default=None, description="kept for the antenna's moderators only")
    postcode: Annotated[str, StringConstraints(pattern=r"^1\d{3}$")] | None = Field(
        default=None, description="a Brussels postcode; stored as its centroid"
    )
    background: BackgroundIn | None = Field(
        default=None, description="declared in person; needs background_consent (the moderator records it)"
    )
    background_consent: bool = Field(
        default=False, description="the person consented at the desk; the moderator and the time are kept"
    )


class EnrolOut(MeOut):
    login_code: str = Field(description="shown once: the member's first login, with the member number")
    login_code_expires_at: datetime


class PartnerCardOut(BaseModel):
    kind: PartnerKind
    name: str
    phone: str | None
    email: str | None
    address: str | None


class WelcomeCardOut(BaseModel):
    """What a moderator prints or shows for a member enrolled at the desk. The login code is not on it."""

    display_name: str
    member_number: str
    language: LanguageCode
    antenna: str
    antenna_name_nl: str
    antenna_name_fr: str
    partner: PartnerCardOut


class ResetCodeOut(BaseModel):
    code: str = Field(description="shown once; the member sets a new password or PIN with it")
    expires_at: datetime


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="required, except for a first PIN or password after a one-time login code"
    )
    new_password: NewPassword = Field(
        description="at least 8 characters, not a common password; or a six-digit PIN for a member number"
    )


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username = Field(description="an e-mail address or a member number")
    code: Code
    new_password: NewPassword


class ResetMailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Email = Field(description="the e-mail address of the account")


class EmailChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class LeftOut(BaseModel):
    antenna: str
    was: str = Field(description="pending or approved: what the membership was before")
    exchanges_cancelled: int
    proposals_withdrawn: int
    listings_withdrawn: int
