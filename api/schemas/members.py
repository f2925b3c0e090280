"""Request and response bodies for accounts and the member's own profile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import DisplayName, Email, LanguageCode, visible_text
from domain.background import AGE_BANDS, ORIGINS
from store.memberships import MembershipStatus

JsonDict = dict[str, Any]  # a JSON Schema fragment, as pydantic hands it to json_schema_extra

Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]


def _one_of(values: tuple[str, ...]) -> Callable[[JsonDict], None]:
    """json_schema_extra enumerating a string's values; on a nullable field, on its string branch."""

    def extra(schema: JsonDict) -> None:
        branches = schema.get("anyOf", [schema])
        for branch in branches if isinstance(branches, list) else []:
            if isinstance(branch, dict) and branch.get("type") == "string":
                branch["enum"] = list(values)

    return extra


_ORIGIN = _one_of(ORIGINS)
_AGE_BAND = _one_of(AGE_BANDS)


class RegisterIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "anna@example.org", "password": "correct horse battery", "display_name": "Anna"}]
        },
    )

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

    postcode: Annotated[str, StringConstraints(pattern=r"^1\d{3}$")] = Field(examples=["1080"])


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
    # Enumerated in the schema; the service refuses other values with its own problem type.
    origin: str | None = Field(default=None, description="a coarse region of origin", json_schema_extra=_ORIGIN)
    age_band: str | None = Field(default=None, description="an age band", json_schema_extra=_AGE_BAND)
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
    origin: str | None = Field(json_schema_extra=_ORIGIN)
    age_band: str | None = Field(json_schema_extra=_AGE_BAND)
    circle: str | None


class MembershipSummary(BaseModel):
    id: int
    antenna: str
    status: MembershipStatus
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
    language: LanguageCode
    location: LocationOut | None = Field(description="your own stored (coarsened) location; nobody else sees it")
    background_consent: bool
    background: BackgroundOut | None
    paused: bool
    roles: RolesOut
    memberships: list[MembershipSummary]
    created_at: datetime
