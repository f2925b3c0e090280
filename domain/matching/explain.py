"""Why a proposal was made, as message keys and data (catalogue: buurtbank/locales/*/matching.po).

The domain does not translate: it says which messages apply and with what values, and
services/explanations.py renders them in Dutch, French or English. Two audiences, two functions:
- `moderator_explanation` says why the pair was proposed: distance band, what fits, the helper's
  give-and-take, and whether it is a bridging (or bonding) match and on which dimensions. It names the
  dimensions, never a member's values (no language, origin, age or circle), so even moderators only learn
  what they need to judge the proposal.
- `member_distance_message` is all a member may see about the other person's location: a distance band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from domain.background import Dimension
from domain.matching.relatedness import EXACT_FIT

_RECIPROCITY_SIGNIFICANT_MINUTES = 60


@dataclass(frozen=True, slots=True)
class CategoryLabel:
    """A category's name, in the reader's language (domain.categories holds the three names)."""

    key: str


@dataclass(frozen=True, slots=True)
class Hours:
    """A number of hours, written for the reader (whole hours from ten on, else one decimal)."""

    minutes: int


@dataclass(frozen=True, slots=True)
class Message:
    """A catalogue key and the values of its placeholders; a value may itself be a message, or a tuple of
    messages that the renderer lists ("language, origin")."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)


Param = str | int | CategoryLabel | Hours | Message | tuple[Message, ...]


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


def distance_band_message(band: DistanceBand) -> Message:
    return Message(f"matching.distance.{band.value}")


def member_distance_message(distance_m: float) -> Message:
    """What a member may be told about a proposed match: only how far, as a band."""
    return Message("matching.member.distance", {"band": distance_band_message(distance_band(distance_m))})


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


def _dimensions(dimensions: tuple[Dimension, ...]) -> tuple[Message, ...]:
    return tuple(Message(f"matching.dimension.{d.value}") for d in dimensions)


def moderator_explanation(facts: ExplanationFacts) -> tuple[Message, ...]:
    """The sentences of the explanation, in order."""
    parts = [Message("matching.explain.distance", {"band": distance_band_message(distance_band(facts.distance_m))})]

    requested = CategoryLabel(facts.requested_category)
    if facts.fit >= EXACT_FIT:
        parts.append(Message("matching.explain.category_exact", {"category": requested}))
    else:
        offered = CategoryLabel(facts.offered_category)
        parts.append(Message("matching.explain.category_related", {"requested": requested, "offered": offered}))

    if facts.request_flexible and facts.offer_flexible:
        parts.append(Message("matching.explain.availability_both_flexible"))
    elif facts.request_flexible or facts.offer_flexible:
        parts.append(Message("matching.explain.availability_one_flexible"))
    else:
        parts.append(Message("matching.explain.availability_overlap", {"count": facts.shared_slots}))

    balance = facts.helper_minutes_received - facts.helper_minutes_given
    if balance >= _RECIPROCITY_SIGNIFICANT_MINUTES:
        parts.append(Message("matching.explain.reciprocity_receiver", {"hours": Hours(balance)}))
    elif balance <= -_RECIPROCITY_SIGNIFICANT_MINUTES:
        parts.append(Message("matching.explain.reciprocity_giver", {"hours": Hours(-balance)}))
    else:
        parts.append(Message("matching.explain.reciprocity_balanced"))

    if facts.bridging_dimensions:
        key = "matching.explain.bridging_newcomer" if facts.newcomer else "matching.explain.bridging"
        parts.append(Message(key, {"dimensions": _dimensions(facts.bridging_dimensions)}))
    elif facts.newcomer and facts.bonding_dimensions:
        parts.append(Message("matching.explain.bonding", {"dimensions": _dimensions(facts.bonding_dimensions)}))
    else:
        parts.append(Message("matching.explain.not_bridging"))
    return tuple(parts)
