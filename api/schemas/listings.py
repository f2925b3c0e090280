"""Bodies for offers (what I can give) and requests (what I need)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, field_validator

from api.schemas.common import MemberRef
from domain.background import AVAILABILITY_SLOTS

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Slot = Annotated[str, StringConstraints(max_length=16)]
_AVAILABILITY = Field(
    default=None,
    max_length=len(AVAILABILITY_SLOTS),
    description="weekday-daypart slots such as mon-morning; empty: flexible",
)
_CATEGORY = Field(max_length=40, description="a key from GET /v1/categories")
_MINUTES = Field(default=None, ge=1, le=24 * 60, description="estimated minutes, in steps of the antenna's time step")


def _future(value: date | None) -> date | None:
    if value is not None and value < datetime.now(UTC).date():
        raise ValueError("needed_by lies in the past")
    return value


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    antenna: str = Field(max_length=60, description="antenna slug")
    category: str = _CATEGORY
    title: Title
    description: Description = ""
    availability: list[Slot] | None = _AVAILABILITY


class OfferPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=40)
    title: Title | None = None
    description: Description | None = None
    availability: list[Slot] | None = _AVAILABILITY

    @field_validator("category", "title", "description")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("may not be null")
        return value


class RequestIn(OfferIn):
    needed_by: date | None = None
    minutes: StrictInt | None = _MINUTES

    _check_needed_by = field_validator("needed_by")(_future)


class RequestPatch(OfferPatch):
    needed_by: date | None = None
    minutes: StrictInt | None = _MINUTES

    _check_needed_by = field_validator("needed_by")(_future)


class OfferOut(BaseModel):
    id: int
    antenna: str
    category: str
    title: str
    description: str
    availability: list[str] | None
    status: str
    member: MemberRef
    mine: bool
    distance_km: float | None = Field(description="from your location, rounded to 0.5 km")
    distance_band: str | None
    created_at: datetime
    updated_at: datetime


class RequestOut(OfferOut):
    needed_by: date | None
    minutes: int | None
