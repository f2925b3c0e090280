"""Reciprocity: do members both give and receive, directly or around a circle?

All figures are over one window and the members active in it (gave or received at least one minute):

- share_gave_and_received: active members who both gave and received / active members.
- balance classes, from the balance ratio b = (g - r) / (g + r) of minutes given g and received r:
  giver when b > 1/3 (gave more than twice what they received), receiver when b < -1/3 (received more
  than twice what they gave), balanced otherwise (boundaries included). The thresholds split [-1, 1] into
  three equal parts, and "twice as much" is easy to say to a moderator.
- dyadic_reciprocity: share of directed ties i -> j whose reverse j -> i also exists (as
  networkx.reciprocity defines it for a whole graph: a mutual pair contributes two ties).
- weighted_reciprocity (Squartini et al. 2013): sum over ordered pairs of min(w_ij, w_ji) / all minutes,
  i.e. the minutes that are matched by minutes flowing back along the same pair. 1 means every minute was
  returned directly, 0 that no pair exchanged both ways.
- cycle_minutes_share (generalised reciprocity): minutes on ties whose two ends are in the same strongly
  connected component of at least two members / all minutes. Such minutes come back to the giver, directly
  or through others.
- gini_given / gini_received: Gini coefficient (see inequality.py) of minutes given / received across the
  active members, zeros included.
- median days to first giving / receiving: over members whose first ever giving (receiving) falls in the
  window, the median number of days from their approval to it.
- solidarity pool: minutes donated to the antenna's pool (inflow) and paid out from it (outflow), with the
  number of transfers behind each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from domain.errors import InvalidInput
from domain.stats.inequality import gini
from domain.stats.intervals import ratio
from domain.stats.network import PairFlow, Ties
from domain.stats.participation import MedianDays, Rate, median_days

GIVER_THRESHOLD = 1 / 3
RECEIVER_THRESHOLD = -1 / 3


@dataclass(frozen=True, slots=True)
class MemberTotals:
    """Minutes one member gave and received in the window (one row of a GROUP BY member)."""

    given_minutes: int
    received_minutes: int


@dataclass(frozen=True, slots=True)
class PoolFlow:
    minutes: int = 0
    transfers: int = 0


@dataclass(frozen=True, slots=True)
class ReciprocityInput:
    members: tuple[MemberTotals, ...]
    flows: tuple[PairFlow, ...]
    days_to_first_giving: tuple[float, ...] = ()
    days_to_first_receiving: tuple[float, ...] = ()
    pool_inflow: PoolFlow = PoolFlow()
    pool_outflow: PoolFlow = PoolFlow()


@dataclass(frozen=True, slots=True)
class BalanceClasses:
    givers: int
    balanced: int
    receivers: int


@dataclass(frozen=True, slots=True)
class ReciprocityMeasures:
    active_members: int
    gave_and_received: Rate
    balance_classes: BalanceClasses
    ties: int
    reciprocated_ties: int
    total_minutes: int
    reciprocated_minutes: int
    cycle_minutes: int
    gini_given: float | None
    gini_received: float | None
    days_to_first_giving: MedianDays
    days_to_first_receiving: MedianDays
    pool_inflow: PoolFlow
    pool_outflow: PoolFlow

    @property
    def dyadic_reciprocity(self) -> float | None:
        return ratio(self.reciprocated_ties, self.ties)

    @property
    def weighted_reciprocity(self) -> float | None:
        return ratio(self.reciprocated_minutes, self.total_minutes)

    @property
    def cycle_minutes_share(self) -> float | None:
        return ratio(self.cycle_minutes, self.total_minutes)


def balance_class(given: int, received: int) -> str:
    """'giver', 'balanced' or 'receiver' for an active member (g + r > 0)."""
    # Compare 3(g - r) with (g + r) in integers: no float rounding exactly at the 1/3 boundaries.
    difference, volume = given - received, given + received
    if volume <= 0:
        raise ValueError("balance class of an inactive member")
    if 3 * difference > volume:
        return "giver"
    if 3 * difference < -volume:
        return "receiver"
    return "balanced"


_GIVEN, _RECEIVED = attrgetter("given_minutes"), attrgetter("received_minutes")


def compute_reciprocity(data: ReciprocityInput) -> ReciprocityMeasures:
    # Arrays rather than a loop per member and per tie: a quarter of all antennas has some 6,000 members and
    # 50,000 pair rows. Every count and sum is an integer, so the figures are exactly the loop's.
    n = len(data.members)
    given = np.fromiter(map(_GIVEN, data.members), dtype=np.int64, count=n)
    received = np.fromiter(map(_RECEIVED, data.members), dtype=np.int64, count=n)
    if (given < 0).any() or (received < 0).any():
        raise InvalidInput("error.stats.negative_count")
    volume, difference = given + received, given - received
    active = volume > 0
    # balance_class() on every active member, in integers: giver when 3(g - r) > g + r, receiver when < -(g + r).
    givers = int((active & (3 * difference > volume)).sum())
    receivers = int((active & (3 * difference < -volume)).sum())
    active_members = int(active.sum())

    ties = Ties.from_flows(data.flows)
    reverse = ties.reverse_positions()
    mutual = reverse >= 0
    return ReciprocityMeasures(
        active_members=active_members,
        gave_and_received=Rate(int((active & (given > 0) & (received > 0)).sum()), active_members),
        balance_classes=BalanceClasses(
            givers=givers,
            balanced=active_members - givers - receivers,
            receivers=receivers,
        ),
        ties=len(ties),
        reciprocated_ties=int(mutual.sum()),
        total_minutes=ties.total_minutes(),
        reciprocated_minutes=int(np.minimum(ties.minutes[mutual], ties.minutes[reverse[mutual]]).sum()),
        cycle_minutes=ties.cycle_minutes(),
        gini_given=gini(given[active]),
        gini_received=gini(received[active]),
        days_to_first_giving=median_days(data.days_to_first_giving),
        days_to_first_receiving=median_days(data.days_to_first_receiving),
        pool_inflow=data.pool_inflow,
        pool_outflow=data.pool_outflow,
    )
