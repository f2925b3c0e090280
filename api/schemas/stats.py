"""Analysts' statistics: every figure with its meaning and formula, so /openapi.json documents them.

A figure is an object {value, lower, upper, suppressed, reason}: a figure hidden for privacy has value null,
suppressed true and a reason; a figure that does not exist (a share of nothing) has value null, suppressed
false and reason `undefined`. A hidden figure is never shown as 0. Counts and minutes are rounded to 5.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, create_model

from domain.stats.bridging import BRIDGING_DIMENSIONS
from domain.stats.privacy import Reason
from domain.stats.windows import Period
from services.stats import BRIDGING_MEASURES, RECIPROCITY_MEASURES

Dimension = StrEnum("Dimension", {d: d for d in BRIDGING_DIMENSIONS})  # type: ignore[misc]
ReasonCode = StrEnum("ReasonCode", {r.value: r.value for r in Reason})  # type: ignore[misc]


class Figure(BaseModel):
    value: int | float | None = Field(
        description="the figure; null when suppressed or undefined. Counts and minutes are rounded to 5"
    )
    lower: float | None = Field(default=None, description="lower bound of the 95% Wilson interval, for a share")
    upper: float | None = Field(default=None, description="upper bound of the 95% Wilson interval, for a share")
    suppressed: bool = Field(description="true when hidden to protect individuals (then value is null)")
    reason: ReasonCode | None = Field(  # type: ignore[valid-type]
        default=None,
        description="why value is null: small_count (a count under its threshold: 10 for origin, languages and "
        "any, 5 otherwise), small_base (computed from too few people), small_antenna (no breakdown under 10 "
        "active members), derived_from_suppressed, secondary (hidden so another hidden figure cannot be "
        "recovered from a total), or undefined (not hidden: the figure does not exist, e.g. a share of zero)",
    )


MEASURE_DOCS: dict[str, str] = {
    "registered_members": "Members with a membership request for the antenna (any status) at the window's end.",
    "approved_members": "Members whose membership was approved by the window's end.",
    "active_members": "Members who gave or received at least one settled minute in the window.",
    "exchanges": "Exchanges settled (or resolved) in the window with a positive number of minutes.",
    "minutes": "Minutes of those exchanges.",
    "offers_posted": "Offers posted in the window.",
    "requests_posted": "Requests posted in the window.",
    "requests_matched": "Requests posted in the window that led to a settled exchange.",
    "request_match_share": "requests_matched / requests_posted.",
    "median_days_to_proposal": "Median days from posting a request (in the window) to its first proposal.",
    "median_days_to_settlement": "Median days from posting a request (in the window) to its settled exchange.",
    "moderator_approval_rate": "approved / (approved + rejected) proposals decided by moderators in the window.",
    "member_acceptance_rate": "accepted / (accepted + declined) answers members gave to proposals in the window.",
    "members_gave_and_received": "Active members who both gave and received in the window.",
    "share_gave_and_received": "members_gave_and_received / active_members.",
    "members_giver": "Active members with balance ratio b = (g - r) / (g + r) > 1/3 (g given, r received minutes).",
    "members_balanced": "Active members with -1/3 <= b <= 1/3.",
    "members_receiver": "Active members with b < -1/3.",
    "dyadic_reciprocity": "Share of giver -> receiver ties whose reverse tie exists (networkx reciprocity).",
    "weighted_reciprocity": "sum over ordered pairs of min(w_ij, w_ji) / all minutes: minutes returned directly.",
    "cycle_minutes_share": "Minutes on ties inside a strongly connected component of 2+ members / all minutes "
    "(generalised reciprocity: minutes that come back around a circle).",
    "gini_given": "Gini coefficient of minutes given across active members, sum((2i-n-1) x_i) / (n sum x).",
    "gini_received": "Gini coefficient of minutes received across active members.",
    "median_days_to_first_giving": "Median days from approval to a member's first ever giving, over members "
    "whose first giving falls in the window.",
    "median_days_to_first_receiving": "Median days from approval to a member's first ever receiving.",
    "pool_inflow_minutes": "Minutes donated to the antenna's solidarity pool in the window.",
    "pool_outflow_minutes": "Minutes the solidarity pool paid out in the window.",
    "compared_exchanges": "E + I: exchanges between members who both declared the dimension.",
    "external_exchanges": "E: exchanges between members who differ on the dimension (languages: no shared "
    "language; any: differ on at least one dimension both declared).",
    "internal_exchanges": "I: exchanges between members who do not differ on the dimension.",
    "external_share": "E / (E + I), with its 95% Wilson score interval in lower/upper.",
    "ei_index": "Krackhardt and Stern's E-I index (E - I) / (E + I), from -1 (all internal) to 1 (all external).",
    "blau": "Chance that two active members drawn at random differ: Blau's heterogeneity 1 - sum p_k^2.",
    "baseline_ratio": "external_share / blau: 1 is random mixing, below 1 homophily, above 1 more bridging.",
    "cohort_members": "Consenting members (who declared the dimension) whose six-month anniversary of joining "
    "falls in the window.",
    "cohort_bridged": "Of those, members with at least one external exchange within six months of joining.",
    "cohort_bridged_share": "cohort_bridged / cohort_members.",
    "median_days_to_first_bridge": "Median days from joining to the first external exchange, over the cohort "
    "members who bridged within six months.",
}


def _figures(measures: tuple[str, ...]) -> dict[str, Any]:
    return {m: (Figure, Field(description=MEASURE_DOCS[m])) for m in measures}


_ROW_DOC = {
    "antenna": (str, Field(description="antenna slug, or `all` for all antennas together")),
    "period": (str, Field(description="the window: a calendar month `2026-03` or quarter `2026-Q1`")),
}
ReciprocityRow = create_model(  # type: ignore[call-overload]
    "ReciprocityRow", __doc__="Participation and reciprocity of one antenna in one window.",
    **_ROW_DOC, **_figures(RECIPROCITY_MEASURES),
)  # fmt: skip
BridgingRow = create_model(  # type: ignore[call-overload]
    "BridgingRow", __doc__="Bridging on one background dimension, for one antenna in one window.",
    **_ROW_DOC,
    dimension=(Dimension, Field(description="the background dimension, or `any`: differs on any declared one")),
    active_members=(Figure, Field(description=MEASURE_DOCS["active_members"] + " (totals; breakdowns need 10)")),
    **_figures(BRIDGING_MEASURES),
)  # fmt: skip


class StatsAnswer(BaseModel):
    start: date = Field(alias="from", description="first day asked for (windows are widened to whole ones)")
    end: date = Field(alias="to", description="last day asked for")
    period: Period = Field(description="month or quarter")
    periods: list[str] = Field(description="the windows covered, in order")
    as_of: datetime = Field(
        description="the figures reflect the data as it was at this moment (UTC); the service re-checks the data "
        "every few minutes and recomputes a quarter whose data changed"
    )

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


class ReciprocityAnswer(StatsAnswer):
    rows: list[ReciprocityRow]  # type: ignore[valid-type]


class BridgingAnswer(StatsAnswer):
    rows: list[BridgingRow]  # type: ignore[valid-type]
