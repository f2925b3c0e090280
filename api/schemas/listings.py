"""Bodies for offers (what I can give) and requests (what I need)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from api.schemas.common import DistanceBand, MemberRef, visible_text
from domain.background import AVAILABILITY_SLOTS
from store.listings import ListingStatus

Title = Annotated[str, visible_text(min_length=3, max_length=120)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Slot = Annotated[str, StringConstraints(max_length=16)]
_AVAILABILITY = Field(
    default=None,
    max_length=len(AVAILABILITY_SLOTS),
    description="weekday-daypart slots such as mon-morning; empty: flexible",
)
_CATEGORY = Field(max_length=40, description="a key from GET /v1/categories")
_MINUTES = Field(default=None, ge=1, le=24 * 60, description="estimated minutes, in steps of the antenna's time step")


class OfferIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "antenna": "molenbeek",
                    "category": "shopping",
                    "title": "Ik doe graag boodschappen",
                    "availability": ["mon-morning", "thu-afternoon"],
                }
            ]
        },
    )

    antenna: str = Field(max_length=60, description="antenna slug")
    category: str = _CATEGORY
    title: Title
    description: Description = ""
    availability: list[Slot] | None = _AVAILABILITY


class OfferPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # May be left out, not set to null: typed without None (the default is not validated), so the schema
    # does not advertise a null that would be refused.
    category: str = Field(default=None, max_length=40)  # type: ignore[assignment]  # absent, never null (see above)
    title: Title = Field(default=None)  # type: ignore[assignment]  # absent, never null (see above)
    description: Description = Field(default=None)  # type: ignore[assignment]  # absent, never null (see above)
    availability: list[Slot] | None = _AVAILABILITY


class RequestIn(OfferIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"antenna": "molenbeek", "category": "shopping", "title": "Hulp bij boodschappen", "minutes": 60}
            ]
        },
    )

    needed_by: date | None = Field(default=None, description="not in the past (checked by the service: 422)")
    minutes: StrictInt | None = _MINUTES


class RequestPatch(OfferPatch):
    needed_by: date | None = Field(default=None, description="not in the past (checked by the service: 422)")
    minutes: StrictInt | None = _MINUTES


class OfferOut(BaseModel):
    id: int
    antenna: str
    category: str
    title: str
    description: str
    availability: list[str] | None
    status: ListingStatus
    member: MemberRef
    mine: bool
    distance_km: float | None = Field(description="from your location, rounded to 0.5 km")
    distance_band: DistanceBand | None
    created_at: datetime
    updated_at: datetime


class RequestOut(OfferOut):
    needed_by: date | None
    minutes: int | None
