"""What a matching round takes in and gives back: plain frozen records with integer ids.

The round never sees the database: a service loads open requests, offers, member profiles and the
pairs to keep apart, builds a `RoundInputs`, and writes the `RoundResult` proposals to the review queue.
Locations arrive already coarsened (see domain/geo.py); the round only measures distances between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from domain.background import AGE_BANDS, AVAILABILITY_SLOTS, ORIGINS, Dimension, is_language_code
from domain.categories import CATEGORY_KEYS
from domain.errors import InvalidInput
from domain.matching.explain import Message

_SLOTS = frozenset(AVAILABILITY_SLOTS)


def _check_slots(slots: frozenset[str], *, field_name: str) -> None:
    unknown = slots - _SLOTS
    if unknown:
        raise InvalidInput("error.matching.unknown_slot", field=field_name, slot=sorted(unknown)[0])


def _check_category(key: str) -> None:
    if key not in CATEGORY_KEYS:
        raise InvalidInput("error.matching.unknown_category", field="category", category=key)


@dataclass(frozen=True, slots=True)
class Background:
    """The dimensions a member consented to declare; None (or an empty language set) means not declared."""

    languages: frozenset[str] | None = None
    origin: str | None = None
    age_band: str | None = None
    circle: str | None = None

    def __post_init__(self) -> None:
        if self.languages is not None:
            if not isinstance(self.languages, frozenset):
                # Callers often pass a set or a tuple; store it frozen so the record stays hashable.
                object.__setattr__(self, "languages", frozenset(self.languages))
            for code in self.languages or ():
                if not is_language_code(code):
                    raise InvalidInput("error.matching.unknown_language", field="languages", language=code)
        if self.origin is not None and self.origin not in ORIGINS:
            raise InvalidInput("error.matching.unknown_origin", field="origin", origin=self.origin)
        if self.age_band is not None and self.age_band not in AGE_BANDS:
            raise InvalidInput("error.matching.unknown_age_band", field="age_band", age_band=self.age_band)

    def declared(self) -> frozenset[Dimension]:
        present = set()
        if self.languages:
            present.add(Dimension.LANGUAGES)
        if self.origin is not None:
            present.add(Dimension.ORIGIN)
        if self.age_band is not None:
            present.add(Dimension.AGE_BAND)
        if self.circle is not None:
            present.add(Dimension.CIRCLE)
        return frozenset(present)


NO_BACKGROUND = Background()


@dataclass(frozen=True, slots=True)
class MemberProfile:
    id: int
    background: Background = NO_BACKGROUND
    completed_exchanges: int = 0
    minutes_given: int = 0
    minutes_received: int = 0
    open_load: int = 0
    """Open proposals and exchanges in which the member is the helper."""
    paused: bool = False


@dataclass(frozen=True, slots=True)
class OpenRequest:
    id: int
    requester_id: int
    category: str
    lat: float
    lon: float
    availability: frozenset[str]
    """Slots such as "mon-morning"; empty means flexible."""
    created_at: datetime

    def __post_init__(self) -> None:
        _check_category(self.category)
        object.__setattr__(self, "availability", frozenset(self.availability))
        _check_slots(self.availability, field_name="availability")


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    helper_id: int
    category: str
    lat: float
    lon: float
    availability: frozenset[str]
    """Slots such as "sat-afternoon"; empty means flexible."""

    def __post_init__(self) -> None:
        _check_category(self.category)
        object.__setattr__(self, "availability", frozenset(self.availability))
        _check_slots(self.availability, field_name="availability")


@dataclass(frozen=True, slots=True)
class RoundInputs:
    """Everything one antenna's round needs. Every member named by a request or offer must have a profile."""

    requests: tuple[OpenRequest, ...]
    offers: tuple[Offer, ...]
    members: tuple[MemberProfile, ...]
    exclusions: frozenset[tuple[int, int]] = frozenset()
    """(requester id, helper id) pairs never to propose: moderator-rejected, or declined in the cooldown."""

    @classmethod
    def build(
        cls,
        *,
        requests: Iterable[OpenRequest],
        offers: Iterable[Offer],
        members: Iterable[MemberProfile],
        exclusions: Iterable[tuple[int, int]] = (),
    ) -> RoundInputs:
        return cls(tuple(requests), tuple(offers), tuple(members), frozenset(exclusions))


@dataclass(frozen=True, slots=True)
class Proposal:
    """One suggested match, for a moderator to approve. The explanation is for moderators only."""

    request_id: int
    offer_id: int
    helper_id: int
    receiver_id: int
    score: float
    distance_m: float
    distance_band: str
    """A DistanceBand value; safe to show members (see explain.member_distance_message)."""
    bridging: bool
    bridging_dimensions: tuple[Dimension, ...]
    explanation: tuple[Message, ...]
    """For moderators: message keys and values, rendered by services/explanations.py."""


@dataclass(frozen=True, slots=True)
class RoundSummary:
    requests_seen: int
    candidates: int
    """Feasible (request, offer) pairs before any pruning."""
    proposals: int
    unmatched: int
    mean_distance_m: float
    bridging_share: float
    """Share of proposals that are bridging; 0.0 when there are none."""


@dataclass(frozen=True, slots=True)
class RoundResult:
    proposals: tuple[Proposal, ...]
    unmatched_request_ids: tuple[int, ...]
    summary: RoundSummary
    objective: float = field(default=0.0)
    """Total score of the chosen proposals (what the solver maximised, in score units)."""
