"""Participation in one antenna (or all antennas) during one window.

The counts come from the database; this module only checks them and derives the rates and medians:

- registered_members: people with a membership request for the antenna at the window's end (any status).
- approved_members: memberships approved at the window's end.
- active_members: members who gave or received at least one settled minute in the window.
- exchanges / minutes: exchanges settled in the window and their minutes.
- offers_posted / requests_posted: offers and requests created in the window.
- requests_matched: of the requests posted in the window, those that led to a settled exchange.
- request_match_share = requests_matched / requests_posted.
- median_days_to_proposal / median_days_to_settlement: median, over the requests posted in the window that
  got there, of the days from posting to the first proposal / to settlement.
- moderator_approval_rate = approved / (approved + rejected) proposals decided by moderators in the window.
- member_acceptance_rate = accepted / (accepted + declined) answers members gave to proposals in the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import InvalidInput
from domain.stats.intervals import median, ratio


@dataclass(frozen=True, slots=True)
class ParticipationInput:
    registered_members: int
    approved_members: int
    active_members: int
    exchanges: int
    minutes: int
    offers_posted: int
    requests_posted: int
    requests_matched: int
    days_to_proposal: tuple[float, ...] = ()
    days_to_settlement: tuple[float, ...] = ()
    moderator_approved: int = 0
    moderator_rejected: int = 0
    member_accepted: int = 0
    member_declined: int = 0


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with the two counts it comes from (kept so privacy rules can judge it)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return ratio(self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class MedianDays:
    value: float | None
    sample_size: int


def median_days(durations: tuple[float, ...]) -> MedianDays:
    return MedianDays(value=median(durations), sample_size=len(durations))


@dataclass(frozen=True, slots=True)
class ParticipationMeasures:
    registered_members: int
    approved_members: int
    active_members: int
    exchanges: int
    minutes: int
    offers_posted: int
    requests_posted: int
    requests_matched: int
    request_match_share: Rate
    days_to_proposal: MedianDays
    days_to_settlement: MedianDays
    moderator_approval_rate: Rate
    member_acceptance_rate: Rate


def compute_participation(data: ParticipationInput) -> ParticipationMeasures:
    counts = (
        data.registered_members, data.approved_members, data.active_members, data.exchanges, data.minutes,
        data.offers_posted, data.requests_posted, data.requests_matched, data.moderator_approved,
        data.moderator_rejected, data.member_accepted, data.member_declined,
    )  # fmt: skip
    if min(counts) < 0:
        raise InvalidInput("error.stats.negative_count")
    # Inconsistent counts usually mean two queries used different windows; refuse rather than publish them.
    if not data.active_members <= data.approved_members <= data.registered_members:
        raise InvalidInput("error.stats.inconsistent_members")
    if data.requests_matched > data.requests_posted:
        raise InvalidInput("error.stats.inconsistent_requests")
    return ParticipationMeasures(
        registered_members=data.registered_members,
        approved_members=data.approved_members,
        active_members=data.active_members,
        exchanges=data.exchanges,
        minutes=data.minutes,
        offers_posted=data.offers_posted,
        requests_posted=data.requests_posted,
        requests_matched=data.requests_matched,
        request_match_share=Rate(data.requests_matched, data.requests_posted),
        days_to_proposal=median_days(data.days_to_proposal),
        days_to_settlement=median_days(data.days_to_settlement),
        moderator_approval_rate=Rate(data.moderator_approved, data.moderator_approved + data.moderator_rejected),
        member_acceptance_rate=Rate(data.member_accepted, data.member_accepted + data.member_declined),
    )
