"""GET /v1/me/export: everything held about a member, in the same models as the API's own answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.antennas import AuditEntryOut, MembershipOut
from api.schemas.exchanges import ExchangeOut
from api.schemas.ledger import StatementOut
from api.schemas.listings import OfferOut, RequestOut
from api.schemas.matching import NotificationOut
from api.schemas.members import BackgroundOut, MeOut
from api.schemas.neighbours import BlockOut, DeviceOut, FeedbackOut, MessageOut, QuietHoursOut, ReportOut
from api.schemas.proposals import ProposalOut


class BackgroundExportOut(BackgroundOut):
    consented_at: datetime = Field(description="when you gave consent to keep it")


class ListingsExportOut(BaseModel):
    offers: list[OfferOut] = Field(description="your offers, every status, oldest first (as `GET /v1/offers/{id}`)")
    requests: list[RequestOut] = Field(description="your requests, every status, oldest first")


class ConversationExportOut(BaseModel):
    proposal_id: int
    exchange_id: int | None = Field(description="the exchange the proposal became, if it did")
    as_antenna: bool = Field(description="true: you wrote these as the antenna's moderator, not as a party")
    messages: list[MessageOut] = Field(
        description="the messages you wrote in this conversation, oldest first (as `GET "
        "/v1/proposals/{id}/messages` shows them to you); the other person's messages are theirs"
    )


class NeighboursExportOut(BaseModel):
    conversations: list[ConversationExportOut]
    devices: list[DeviceOut] = Field(description="your registered push devices (as `GET /v1/me/devices`)")
    quiet_hours: QuietHoursOut | None = Field(description="your quiet hours; null if you never set them")
    blocks: list[BlockOut] = Field(description="the members you blocked (as `GET /v1/me/blocks`)")
    reports: list[ReportOut] = Field(description="the reports you filed, oldest first")
    feedback: list[FeedbackOut] = Field(description="your feedback after settled exchanges")


class DeskAccountOut(BaseModel):
    member_number: str
    phone: str | None = Field(description="kept for your antenna's moderators only")
    managed: bool = Field(description="the antenna's moderators manage this account for you")
    enrolled_at: datetime


class ExportOut(BaseModel):
    """Everything the service holds about you (GDPR access), each part in the model the API answers with."""

    generated_at: datetime
    profile: MeOut = Field(description="as `GET /v1/me`")
    background: BackgroundExportOut | None = Field(
        description="your background and when you consented; null without consent, and when a moderator acting "
        "for you asks (they see only `profile.background_consent`)"
    )
    memberships: list[MembershipOut] = Field(description="every antenna you asked to join, oldest first")
    listings: ListingsExportOut
    proposals: list[ProposalOut] = Field(description="every proposal you are a party to, oldest first")
    exchanges: list[ExchangeOut] = Field(description="every exchange you are a party to, oldest first")
    ledger: StatementOut = Field(
        description="your balance and every entry, newest first (as `GET /v1/me/ledger`; `next_cursor` is null)"
    )
    notifications: list[NotificationOut] = Field(description="oldest first, in the language asked for")
    neighbours: NeighboursExportOut
    audit_about_me: list[AuditEntryOut] = Field(
        description="the audit trail's entries about you: decisions on you and acts for you, oldest first"
    )
    desk_account: DeskAccountOut | None = Field(description="set when you were enrolled at an antenna's desk")
