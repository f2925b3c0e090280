"""Request and response bodies for accounts and the member's own profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import DisplayName, Email, LanguageCode, visible_text
from domain.background import AGE_BANDS, ORIGINS

Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: Password
    display_name: DisplayName
    language: LanguageCode = "nl"


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the access token is valid; then use the refresh token")
    refresh_token: str = Field(description="for POST /v1/auth/refresh, once: each refresh returns a new one")
    must_set_password: bool = Field(
        default=False, description="logged in with a one-time login code: set a PIN or password (POST /v1/me/password)"
    )


class PostcodeIn(BaseModel):
    """A Brussels postcode; stored as the postcode's centroid."""

    model_config = ConfigDict(extra="forbid")

    postcode: Annotated[str, StringConstraints(pattern=r"^1\d{3}$")]


class PointIn(BaseModel):
    """A device position; stored snapped to a ~250 m grid."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class AddressIn(BaseModel):
    """A free-text address (when the server has a geocoder); geocoded, coarsened, and not kept."""

    model_config = ConfigDict(extra="forbid")

    address: Annotated[str, visible_text(min_length=3, max_length=200)]


# Exactly one kind of location. As a union of closed models (rather than one model with a validator) the
# OpenAPI document says so too, and a client cannot send a schema-valid location that is then refused.
LocationIn = PostcodeIn | PointIn | AddressIn


class BackgroundIn(BaseModel):
    """Optional, self-declared, only with background_consent; never shown to other members."""

    model_config = ConfigDict(extra="forbid")

    languages: list[Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}$")]] | None = Field(
        default=None, max_length=10, description="ISO 639-1 codes"
    )
    origin: str | None = Field(default=None, description=f"one of: {', '.join(ORIGINS)}", max_length=40)
    age_band: str | None = Field(default=None, description=f"one of: {', '.join(AGE_BANDS)}", max_length=8)
    circle: str | None = Field(default=None, description="a circle key of one of your antennas", max_length=60)


class MePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Fields that may be left out but not set to null are typed without None (the default is not
    # validated), so the schema does not advertise null where null is refused.
    display_name: DisplayName = Field(default=None)  # type: ignore[assignment]  # absent, never null (see above)
    language: LanguageCode = Field(default=None)  # type: ignore[arg-type]  # absent, never null (see above)
    location: LocationIn | None = None
    background: BackgroundIn | None = None
    background_consent: bool = Field(default=None)  # type: ignore[assignment]  # absent, never null (see above)
    paused: bool = Field(default=None, description="true: the scheduler proposes nothing to you")  # type: ignore[assignment]  # absent, never null (see above)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> MePatch:
        for name in ("display_name", "language", "background_consent", "paused"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class LocationOut(BaseModel):
    postcode: str | None
    lat: float | None
    lon: float | None


class BackgroundOut(BaseModel):
    languages: list[str] | None
    origin: str | None
    age_band: str | None
    circle: str | None


class MembershipSummary(BaseModel):
    id: int
    antenna: str
    status: str
    reason: str | None = Field(default=None, description="why a moderator rejected it (status rejected)")


class RolesOut(BaseModel):
    admin: bool
    analyst: bool
    moderator_of: list[str]


class MeOut(BaseModel):
    id: int
    email: str | None = Field(description="none for a member enrolled at a desk who has not added one")
    member_number: str | None = Field(default=None, description="for members enrolled at an antenna's desk")
    managed: bool = Field(default=False, description="the antenna's moderators manage this account for the member")
    display_name: str
    language: str
    location: LocationOut | None = Field(description="your own stored (coarsened) location; nobody else sees it")
    background_consent: bool
    background: BackgroundOut | None
    paused: bool
    roles: RolesOut
    memberships: list[MembershipSummary]
    created_at: datetime
