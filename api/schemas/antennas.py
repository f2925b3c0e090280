"""Bodies for antennas, memberships, moderators, analysts, categories and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Email, MemberRef, Reason
from domain.antenna_config import PartnerKind
from domain.audit import AuditAction
from store.memberships import MembershipStatus


class PartnerOut(BaseModel):
    kind: PartnerKind
    name: str


class AreaOut(BaseModel):
    postcodes: list[str]
    centre_lat: float
    centre_lon: float
    radius_km: float


class CircleOut(BaseModel):
    key: str
    nl: str
    fr: str
    en: str | None


class AntennaOut(BaseModel):
    slug: str
    name_nl: str
    name_fr: str
    partner: PartnerOut
    area: AreaOut
    languages: list[str]
    time_step_minutes: int
    lowest_balance_minutes: int
    highest_balance_minutes: int
    circles: list[CircleOut]


class CategoryOut(BaseModel):
    key: str
    nl: str
    fr: str
    en: str


class MembershipOut(BaseModel):
    id: int
    antenna: str
    member: MemberRef
    status: MembershipStatus
    requested_at: datetime
    decided_at: datetime | None
    reason: str | None
    # Members enrolled at the desk (in the moderators' list only; the phone is for moderators alone).
    managed: bool = Field(default=False, description="enrolled at the desk and managed by the antenna's moderators")
    member_number: str | None = None
    phone: str | None = Field(default=None, description="moderators only: a desk-enrolled member's phone")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PersonOut(BaseModel):
    id: int
    display_name: str
    email: str | None


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: MemberRef
    subject: MemberRef | None
    action: AuditAction
    route: str | None = Field(
        description="for `member.act_for`: the call the moderator made for the member, as method and path "
        "template (`POST /v1/requests`, `POST /console/antennas/{slug}/act/{member_id}/donations`); null otherwise"
    )
    on_behalf: bool
    detail: dict[str, Any]
