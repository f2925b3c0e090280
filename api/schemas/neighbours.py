"""Bodies of the exchange between two neighbours: messages, meetings, devices, quiet hours, reports,
blocks and feedback (field names fixed by the contract: text; starts_at, place; platform, token; count;
about, id, reason; member_id; thanks, met_someone_new)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from api.schemas.common import MAX_ID, MemberRef, Reason, visible_text
from store.conversations import MAX_MESSAGE_LENGTH
from store.meetings import MAX_PLACE_LENGTH
from store.push import MAX_TOKEN_LENGTH
from store.safety import MAX_REASON_LENGTH

MessageText = Annotated[str, visible_text(min_length=1, max_length=MAX_MESSAGE_LENGTH)]
MemberId = Annotated[int, Field(ge=1, le=MAX_ID)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: MessageText = Field(description=f"plain text, at most {MAX_MESSAGE_LENGTH} characters")


class MessageOut(BaseModel):
    id: int
    text: str = Field(description="the message; a neutral marker in the reader's language once its author left")
    removed: bool = Field(description="the author was erased: `text` is the marker")
    author: MemberRef | None = Field(description="the member who wrote it; null for the antenna or a removed one")
    from_antenna: str | None = Field(description="set when a moderator wrote it: the antenna's name")
    mine: bool
    created_at: datetime


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: AwareDatetime = Field(description="when, with its offset; must lie in the future")
    place: Annotated[str, visible_text(min_length=1, max_length=MAX_PLACE_LENGTH)] = Field(
        description='free text, or "antenna_partner" for the address of the antenna\'s partner organisation'
    )


class MeetingOut(BaseModel):
    starts_at: datetime
    place: str = Field(description="the text to show: what was typed, or the partner's address")
    at_antenna_partner: bool
    proposed_by: Literal["helper", "receiver"]
    accepted: bool
    accepted_at: datetime | None


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["expo", "webpush"]
    token: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_LENGTH)] = Field(
        description="an Expo push token (ExponentPushToken[...]), or a Web Push subscription as JSON"
    )


class DeviceOut(BaseModel):
    id: int
    platform: Literal["expo", "webpush"]
    created_at: datetime


# A local time of day as HH:MM (JSON Schema's "time" format wants an offset, which a local time has not).
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: ClockTime = Field(description="local time the quiet hours begin, e.g. 22:00")
    end: ClockTime = Field(description="local time they end, e.g. 08:00 (the next morning); equal times: none")
    timezone: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(
        default="Europe/Brussels", description="an IANA time zone"
    )


class QuietHoursOut(BaseModel):
    start: ClockTime
    end: ClockTime
    timezone: str


class UnreadCountOut(BaseModel):
    count: int


class ReadAllOut(BaseModel):
    marked: int = Field(description="how many notifications were unread and are now read")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    about: Literal["member", "listing", "proposal", "exchange"]
    id: MemberId = Field(description="the member, listing, proposal or exchange reported")
    reason: Annotated[str, visible_text(min_length=3, max_length=MAX_REASON_LENGTH)]
    listing_kind: Literal["offer", "request"] | None = Field(
        default=None, description="for about=listing: needed only when an offer and a request share the id"
    )


class ReportOut(BaseModel):
    id: int
    antenna: str
    about: Literal["member", "listing", "proposal", "exchange"]
    subject_id: int
    listing_kind: Literal["offer", "request"] | None
    reporter: MemberRef
    reported: MemberRef | None = Field(description="the member the report concerns")
    reason: str
    status: Literal["open", "closed"]
    created_at: datetime
    closed_at: datetime | None
    close_note: str | None


class CloseReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: MemberId


class BlockOut(BaseModel):
    member: MemberRef
    created_at: datetime


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    thanks: StrictBool
    met_someone_new: StrictBool | None = Field(
        default=None, description="did this exchange bring you in touch with someone new? (statistics only)"
    )


class FeedbackOut(BaseModel):
    exchange_id: int
    thanks: bool
    met_someone_new: bool | None
