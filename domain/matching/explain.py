"""Plain-language reasons for a proposal, in the moderator's language (catalogue: locales/*/matching.po).

Two audiences, two functions:
- `moderator_explanation` says why the pair was proposed: distance band, what fits, the helper's
  give-and-take, and whether it is a bridging (or bonding) match and on which dimensions. It names the
  dimensions, never a member's values (no language, origin, age or circle), so even moderators only learn
  what they need to judge the proposal.
- `member_distance_text` is all a member may see about the other person's location: a distance band.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from buurtbank.i18n import translate
from domain.background import Dimension
from domain.categories import category
from domain.matching.relatedness import EXACT_FIT

_RECIPROCITY_SIGNIFICANT_MINUTES = 60


class DistanceBand(StrEnum):
    UNDER_500_M = "under_500m"
    UNDER_1_KM = "500m_1km"
    UNDER_2_KM = "1km_2km"
    OVER_2_KM = "over_2km"


def distance_band(distance_m: float) -> DistanceBand:
    if distance_m < 500:
        return DistanceBand.UNDER_500_M
    if distance_m < 1000:
        return DistanceBand.UNDER_1_KM
    if distance_m < 2000:
        return DistanceBand.UNDER_2_KM
    return DistanceBand.OVER_2_KM


def distance_band_text(band: DistanceBand, lang: str) -> str:
    return translate(f"matching.distance.{band.value}", lang)


def member_distance_text(distance_m: float, lang: str) -> str:
    """What a member may be told about a proposed match: only how far, as a band."""
    return translate("matching.member.distance", lang, band=distance_band_text(distance_band(distance_m), lang))


@dataclass(frozen=True, slots=True)
class ExplanationFacts:
    """What the explanation is built from; no background values, only dimension names."""

    distance_m: float
    requested_category: str
    offered_category: str
    fit: float
    request_flexible: bool
    offer_flexible: bool
    shared_slots: int
    helper_minutes_given: int
    helper_minutes_received: int
    bridging_dimensions: tuple[Dimension, ...]
    bonding_dimensions: tuple[Dimension, ...]
    newcomer: bool
    """True when the less experienced member has not yet reached the bonding base."""


def _category_label(key: str, lang: str) -> str:
    found = category(key)
    if found is None:
        return key
    return str(getattr(found, lang, found.en))


def _dimensions_text(dimensions: tuple[Dimension, ...], lang: str) -> str:
    return ", ".join(translate(f"matching.dimension.{d.value}", lang) for d in dimensions)


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}".rstrip("0").rstrip(".")


def moderator_explanation(facts: ExplanationFacts, lang: str) -> str:
    parts = [
        translate("matching.explain.distance", lang, band=distance_band_text(distance_band(facts.distance_m), lang))
    ]

    requested = _category_label(facts.requested_category, lang)
    if facts.fit >= EXACT_FIT:
        parts.append(translate("matching.explain.category_exact", lang, category=requested))
    else:
        offered = _category_label(facts.offered_category, lang)
        parts.append(translate("matching.explain.category_related", lang, requested=requested, offered=offered))

    if facts.request_flexible and facts.offer_flexible:
        parts.append(translate("matching.explain.availability_both_flexible", lang))
    elif facts.request_flexible or facts.offer_flexible:
        parts.append(translate("matching.explain.availability_one_flexible", lang))
    else:
        parts.append(translate("matching.explain.availability_overlap", lang, count=facts.shared_slots))

    balance = facts.helper_minutes_received - facts.helper_minutes_given
    if balance >= _RECIPROCITY_SIGNIFICANT_MINUTES:
        parts.append(translate("matching.explain.reciprocity_receiver", lang, hours=_hours(balance)))
    elif balance <= -_RECIPROCITY_SIGNIFICANT_MINUTES:
        parts.append(translate("matching.explain.reciprocity_giver", lang, hours=_hours(-balance)))
    else:
        parts.append(translate("matching.explain.reciprocity_balanced", lang))

    if facts.bridging_dimensions:
        key = "matching.explain.bridging_newcomer" if facts.newcomer else "matching.explain.bridging"
        parts.append(translate(key, lang, dimensions=_dimensions_text(facts.bridging_dimensions, lang)))
    elif facts.newcomer and facts.bonding_dimensions:
        parts.append(
            translate("matching.explain.bonding", lang, dimensions=_dimensions_text(facts.bonding_dimensions, lang))
        )
    else:
        parts.append(translate("matching.explain.not_bridging", lang))
    return " ".join(parts)
