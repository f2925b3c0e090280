"""Analysts' statistics: every figure with its meaning, formula and privacy, so /openapi.json documents them.

A figure is an object {value, lower, upper, suppressed, reason, noise_sd, epsilon}. Every value comes from a
differentially private release (see GET /v1/stats/privacy): it is noisy, `noise_sd` says how noisy, and
lower/upper bound the central 95% of the noise (never the exact figure's sampling error). A withheld figure has
value null, suppressed true and a reason; a figure that does not exist (a share of nothing) has value null,
suppressed false and reason `undefined`. A withheld figure is never shown as 0.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from stats.rules.backgrounds import BRIDGING_DIMENSIONS
from stats.rules.figures import DROPPED, Reason
from stats.rules.windows import Period

Dimension = StrEnum("Dimension", {d: d for d in BRIDGING_DIMENSIONS})  # type: ignore[misc]  # an enum built from the rules' names, so the two cannot drift
ReasonCode = StrEnum("ReasonCode", {r.value: r.value for r in Reason})  # type: ignore[misc]  # an enum built from the rules' names, so the two cannot drift


class Figure(BaseModel):
    value: int | float | None = Field(
        description="the released figure (noisy: differential privacy); null when withheld or undefined"
    )
    lower: float | None = Field(default=None, description="lower end of the central 95% of the noise around value")
    upper: float | None = Field(default=None, description="upper end of the central 95% of the noise around value")
    suppressed: bool = Field(description="true when withheld (then value is null)")
    reason: ReasonCode | None = Field(
        default=None,
        description="why value is null: too_noisy (the noise is too large for the figure to be useful: a count's "
        "95% half-width over half its value, or a share's interval wider than 0.5), not_released (no member-level "
        "private mechanism of useful accuracy exists for it), derived_from_suppressed, budget_exhausted (the "
        "privacy budget of the antenna's quarter did not allow this release), or undefined (not withheld: the "
        "figure does not exist, e.g. a share of zero)",
    )
    noise_sd: float | None = Field(
        default=None,
        description="standard deviation of the noise in value (Laplace: sqrt(2) times its scale); for `all` and "
        "derived figures, that of the combination",
    )
    epsilon: float | None = Field(
        default=None, description="privacy spent on this figure itself; null for `all` and derived figures (free)"
    )


_B = "Released with noise; one member counts at most to the contribution bounds of GET /v1/stats/privacy."
_D = "Derived from released figures (post-processing, no extra privacy cost)."
MEASURE_DOCS: dict[str, str] = {
    "registered_members": "Members with a membership request for the antenna (any status) at the window's end. " + _B,
    "approved_members": "Members whose membership was approved by the window's end. " + _B,
    "active_members": "Members who gave or received at least one settled minute in the window (each member "
    "absorbs at most `partners` others: a maximum-flow bound). " + _B,
    "members_gave": "Active members who gave at least one minute. " + _B,
    "members_received": "Active members who received at least one minute. " + _B,
    "exchanges": "Exchanges settled (or resolved) in the window with a positive number of minutes. " + _B,
    "minutes": "Minutes of those exchanges. " + _B,
    "reciprocated_minutes": "sum over ordered pairs of min(w_ij, w_ji): minutes returned directly. " + _B,
    "offers_posted": "Offers posted in the window. " + _B,
    "requests_posted": "Requests posted in the window. " + _B,
    "requests_matched": "Requests posted in the window that led to a settled exchange. " + _B,
    "moderator_approved": "Proposals moderators approved in the window. " + _B,
    "moderator_rejected": "Proposals moderators rejected in the window. " + _B,
    "member_accepted": "Proposals members accepted in the window. " + _B,
    "member_declined": "Proposals members declined in the window. " + _B,
    "pool_inflow_minutes": "Minutes donated to the antenna's solidarity pool in the window. " + _B,
    "pool_outflow_minutes": "Minutes the solidarity pool paid out in the window. " + _B,
    "members_gave_and_received": "members_gave + members_received - active_members. " + _D,
    "members_gave_only": "active_members - members_received. " + _D,
    "members_received_only": "active_members - members_gave. " + _D,
    "share_gave_and_received": "members_gave_and_received / active_members. " + _D,
    "weighted_reciprocity": "reciprocated_minutes / minutes (Squartini et al. 2013). " + _D,
    "request_match_share": "requests_matched / requests_posted. " + _D,
    "moderator_approval_rate": "moderator_approved / (moderator_approved + moderator_rejected). " + _D,
    "member_acceptance_rate": "member_accepted / (member_accepted + member_declined). " + _D,
    "external_exchanges": "E: exchanges between members who both declared the dimension and differ on it "
    "(languages: no shared language; any: differ on at least one dimension both declared). " + _B,
    "internal_exchanges": "I: exchanges between members who declared the dimension and do not differ. " + _B,
    "compared_exchanges": "E + I. " + _D,
    "external_share": "E / (E + I); lower/upper from the noise of E and I. " + _D,
    "ei_index": "Krackhardt and Stern's E-I index (E - I) / (E + I), from -1 (all internal) to 1. " + _D,
    **{m: f"Not released (always null, reason not_released): {why}." for m, why in DROPPED.items()},
}


class _Row(BaseModel):
    antenna: str = Field(description="antenna slug, or `all`: the sum of the antennas' releases")
    period: str = Field(description="the window: a calendar month `2026-03` or quarter `2026-Q1`")


class ReciprocityRow(_Row):
    """Participation and reciprocity of one antenna in one window, from its release."""

    # One field per name in RECIPROCITY_MEASURES, in its order (tests/api/test_stats_api.py checks both).
    registered_members: Figure = Field(description=MEASURE_DOCS["registered_members"])
    approved_members: Figure = Field(description=MEASURE_DOCS["approved_members"])
    active_members: Figure = Field(description=MEASURE_DOCS["active_members"])
    members_gave: Figure = Field(description=MEASURE_DOCS["members_gave"])
    members_received: Figure = Field(description=MEASURE_DOCS["members_received"])
    exchanges: Figure = Field(description=MEASURE_DOCS["exchanges"])
    minutes: Figure = Field(description=MEASURE_DOCS["minutes"])
    reciprocated_minutes: Figure = Field(description=MEASURE_DOCS["reciprocated_minutes"])
    offers_posted: Figure = Field(description=MEASURE_DOCS["offers_posted"])
    requests_posted: Figure = Field(description=MEASURE_DOCS["requests_posted"])
    requests_matched: Figure = Field(description=MEASURE_DOCS["requests_matched"])
    moderator_approved: Figure = Field(description=MEASURE_DOCS["moderator_approved"])
    moderator_rejected: Figure = Field(description=MEASURE_DOCS["moderator_rejected"])
    member_accepted: Figure = Field(description=MEASURE_DOCS["member_accepted"])
    member_declined: Figure = Field(description=MEASURE_DOCS["member_declined"])
    pool_inflow_minutes: Figure = Field(description=MEASURE_DOCS["pool_inflow_minutes"])
    pool_outflow_minutes: Figure = Field(description=MEASURE_DOCS["pool_outflow_minutes"])
    members_gave_and_received: Figure = Field(description=MEASURE_DOCS["members_gave_and_received"])
    members_gave_only: Figure = Field(description=MEASURE_DOCS["members_gave_only"])
    members_received_only: Figure = Field(description=MEASURE_DOCS["members_received_only"])
    share_gave_and_received: Figure = Field(description=MEASURE_DOCS["share_gave_and_received"])
    weighted_reciprocity: Figure = Field(description=MEASURE_DOCS["weighted_reciprocity"])
    request_match_share: Figure = Field(description=MEASURE_DOCS["request_match_share"])
    moderator_approval_rate: Figure = Field(description=MEASURE_DOCS["moderator_approval_rate"])
    member_acceptance_rate: Figure = Field(description=MEASURE_DOCS["member_acceptance_rate"])
    members_giver: Figure = Field(description=MEASURE_DOCS["members_giver"])
    members_balanced: Figure = Field(description=MEASURE_DOCS["members_balanced"])
    members_receiver: Figure = Field(description=MEASURE_DOCS["members_receiver"])
    dyadic_reciprocity: Figure = Field(description=MEASURE_DOCS["dyadic_reciprocity"])
    cycle_minutes_share: Figure = Field(description=MEASURE_DOCS["cycle_minutes_share"])
    gini_given: Figure = Field(description=MEASURE_DOCS["gini_given"])
    gini_received: Figure = Field(description=MEASURE_DOCS["gini_received"])
    median_days_to_proposal: Figure = Field(description=MEASURE_DOCS["median_days_to_proposal"])
    median_days_to_settlement: Figure = Field(description=MEASURE_DOCS["median_days_to_settlement"])
    median_days_to_first_giving: Figure = Field(description=MEASURE_DOCS["median_days_to_first_giving"])
    median_days_to_first_receiving: Figure = Field(description=MEASURE_DOCS["median_days_to_first_receiving"])


class BridgingRow(_Row):
    """Bridging on one background dimension, for one antenna in one window, from its release."""

    dimension: Dimension = Field(description="the background dimension, or `any`: differs on any declared one")
    active_members: Figure = Field(description=MEASURE_DOCS["active_members"])
    # One field per name in BRIDGING_MEASURES, in its order (tests/api/test_stats_api.py checks both).
    external_exchanges: Figure = Field(description=MEASURE_DOCS["external_exchanges"])
    internal_exchanges: Figure = Field(description=MEASURE_DOCS["internal_exchanges"])
    compared_exchanges: Figure = Field(description=MEASURE_DOCS["compared_exchanges"])
    external_share: Figure = Field(description=MEASURE_DOCS["external_share"])
    ei_index: Figure = Field(description=MEASURE_DOCS["ei_index"])
    blau: Figure = Field(description=MEASURE_DOCS["blau"])
    baseline_ratio: Figure = Field(description=MEASURE_DOCS["baseline_ratio"])
    cohort_members: Figure = Field(description=MEASURE_DOCS["cohort_members"])
    cohort_bridged: Figure = Field(description=MEASURE_DOCS["cohort_bridged"])
    cohort_bridged_share: Figure = Field(description=MEASURE_DOCS["cohort_bridged_share"])
    median_days_to_first_bridge: Figure = Field(description=MEASURE_DOCS["median_days_to_first_bridge"])


class StatsAnswer(BaseModel):
    start: date = Field(alias="from", description="first day asked for (windows are widened to whole ones)")
    end: date = Field(alias="to", description="last day asked for")
    period: Period = Field(description="month or quarter")
    periods: list[str] = Field(description="the released windows covered, in order (closed windows only)")
    open_periods: list[str] = Field(
        default_factory=list, description="windows asked for that have not closed yet: never published"
    )
    as_of: datetime = Field(description="when the newest release shown was made (releases never change after)")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class ReciprocityAnswer(StatsAnswer):
    rows: list[ReciprocityRow]


class BridgingAnswer(StatsAnswer):
    rows: list[BridgingRow]


class Bounds(BaseModel):
    exchanges: int = Field(description="exchanges taken part in (given or received) counted per member")
    minutes: int = Field(description="minutes given plus received counted per member")
    partners: int = Field(description="others a member can count for in active_members, members_gave/received")
    posts: int = Field(description="offers, requests, matched requests and proposal decisions counted per member")
    pool_minutes: int = Field(description="minutes donated to or paid by the pool counted per member")


class ReleaseSpend(BaseModel):
    period: str
    epsilon: float
    released_at: datetime


class QuarterSpend(BaseModel):
    antenna: str
    quarter: str = Field(description="the calendar quarter whose data the releases use")
    budget: float
    spent: float = Field(description="sum of the epsilons of the quarter's release and of its months' releases")
    remaining: float
    releases: list[ReleaseSpend]


class PrivacyAnswer(BaseModel):
    """The privacy parameters in force and the budget spent per antenna and quarter."""

    guarantee: str = Field(description="what is protected, in one sentence")
    mechanism: str
    epsilon_month: float = Field(description="epsilon of one antenna's month release")
    epsilon_quarter: float = Field(description="epsilon of one antenna's quarter release")
    delta: float = Field(description="0: pure differential privacy")
    budget_per_quarter: float = Field(description="the most one antenna's quarter and its months may spend")
    release_delay_days: int = Field(description="a window is released this many days after it ends")
    quarter_bounds: Bounds = Field(description="contribution bounds per member in a quarter release")
    month_bounds: Bounds = Field(description="contribution bounds per member in a month release")
    spent: list[QuarterSpend]
