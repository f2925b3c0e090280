"""The declaration of an antenna, as written in antennas/<slug>.toml and validated on load.

Everything an antenna's partner organisation may decide for itself lives here: its area, languages,
time step, credit limits, the circles members may say they came through, and the matching weights.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartnerKind(StrEnum):
    LOCAL_SERVICE_CENTRE = "local_service_centre"
    COMMUNITY_HOUSE = "community_house"
    CARE_HOME = "care_home"
    SELF_ORGANISATION = "self_organisation"


class Partner(_Strict):
    kind: PartnerKind
    name: str = Field(min_length=2, max_length=200)
    # How members reach the partner (printed on the welcome card of members enrolled at the desk).
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(
        default=None, min_length=5, max_length=300, description="where members may meet (place antenna_partner)"
    )


class Point(_Strict):
    lat: float = Field(ge=50.75, le=50.93, description="WGS84 latitude, inside the Brussels region")
    lon: float = Field(ge=4.23, le=4.50, description="WGS84 longitude, inside the Brussels region")


class Area(_Strict):
    postcodes: list[str] = Field(min_length=1)
    centre: Point
    radius_km: float = Field(gt=0, le=15, description="matching radius around a member, in km")

    @model_validator(mode="after")
    def _postcodes_are_brussels(self) -> Area:
        for code in self.postcodes:
            if not (code.isdigit() and len(code) == 4 and code.startswith("1")):
                raise ValueError(f"postcode {code!r} is not a Brussels postcode")
        return self


class Credit(_Strict):
    """Limits block a transfer that would cross them; anchors only flag the member to the moderators.

    An anchor is a softer line inside the limits: a member who has received much more than they gave (or
    the reverse) is not stopped, but a moderator is told, so someone can have a chat before the limit.
    """

    lowest_balance_minutes: int = Field(le=0, description="a settlement may not take a member below this")
    highest_balance_minutes: int = Field(gt=0, description="a settlement may not take a member above this")
    low_anchor_minutes: int | None = Field(default=None, le=0, description="below this, moderators are told")
    high_anchor_minutes: int | None = Field(default=None, gt=0, description="above this, moderators are told")

    @model_validator(mode="after")
    def _anchors_inside_limits(self) -> Credit:
        if self.low_anchor_minutes is not None and self.low_anchor_minutes < self.lowest_balance_minutes:
            raise ValueError("low_anchor_minutes lies below lowest_balance_minutes")
        if self.high_anchor_minutes is not None and self.high_anchor_minutes > self.highest_balance_minutes:
            raise ValueError("high_anchor_minutes lies above highest_balance_minutes")
        return self


class Circle(_Strict):
    key: str = Field(pattern=SLUG_PATTERN)
    nl: str
    fr: str
    en: str | None = None


class MatchingSettings(_Strict):
    """Weights of the nearby-match score and the limits of a matching round (sensible defaults)."""

    distance_weight: float = Field(default=1.0, ge=0)
    category_weight: float = Field(default=1.0, ge=0)
    availability_weight: float = Field(default=0.5, ge=0)
    reciprocity_weight: float = Field(default=0.5, ge=0)
    bridging_weight: float = Field(default=0.8, ge=0)
    bonding_base_exchanges: int = Field(
        default=3, ge=1, description="completed exchanges after which a member gets the full bridging bonus"
    )
    max_load_per_helper: int = Field(default=2, ge=1, description="open proposals and exchanges per helper")
    decline_cooldown_days: int = Field(default=60, ge=0)
    run_every_hours: int = Field(default=24, ge=1)


class Lifecycle(_Strict):
    member_proposals_need_review: bool = Field(
        default=True, description="false: proposals made by members skip the moderator (scheduler ones never do)"
    )
    proposal_expiry_days: int = Field(default=14, ge=1)
    exchange_confirm_days: int = Field(default=21, ge=1)


class AntennaConfig(_Strict):
    slug: str = Field(pattern=SLUG_PATTERN, max_length=60)
    name_nl: str = Field(min_length=2)
    name_fr: str = Field(min_length=2)
    partner: Partner
    area: Area
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes spoken at the antenna")
    time_step_minutes: int = Field(default=15, ge=5, le=60)
    credit: Credit
    circles: list[Circle] = Field(default_factory=list)
    lifecycle: Lifecycle = Lifecycle()
    matching: MatchingSettings = MatchingSettings()

    @model_validator(mode="after")
    def _consistent(self) -> AntennaConfig:
        for lang in self.languages:
            if not (len(lang) == 2 and lang.isalpha() and lang.islower()):
                raise ValueError(f"language {lang!r} is not an ISO 639-1 code")
        keys = [c.key for c in self.circles]
        if len(keys) != len(set(keys)):
            raise ValueError("circle keys must be unique")
        return self
