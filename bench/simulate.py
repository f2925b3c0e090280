"""A simulated year of one antenna in monthly rounds: our scheduler against a distance-only matcher.

    python bench/simulate.py            # molenbeek, 1,500 founding members, 40 newcomers a month
    python bench/simulate.py --small    # 400 founding members, 10 newcomers a month

Both matchers use the same candidates and the same min-cost-flow solver; the distance-only one sets every
weight but distance_weight to 0. Members respond to a proposal as a simple behavioural model says:

    p(accept) = 0.9 * exp(-distance / 1.5 km) * (0.5 if the match is bridging and the less experienced
                                                  member has not yet completed bonding_base exchanges)

An accepted proposal becomes a completed exchange with probability 0.9, which adds to both members'
completed exchanges (their bonding base) and moves minutes from giver to receiver. A declined pair is kept
apart for decline_cooldown_days (two monthly rounds). Unmatched and declined requests stay open for up to
three rounds. The antenna starts new: every founding member has zero completed exchanges. Fixed seed.

Printed per month and matcher: proposals, acceptance rate, bridging share of the proposals and of the
completed exchanges, and the mean number of bridging dimensions per completed exchange.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import matching as synthetic  # noqa: E402  (bench/matching.py: the same synthetic population)

from domain.antenna_config import MatchingSettings  # noqa: E402
from domain.categories import CATEGORIES  # noqa: E402
from domain.matching.model import MemberProfile, Offer, OpenRequest, RoundInputs  # noqa: E402
from domain.matching.round import run_round  # noqa: E402

SEED = 20250301
ANTENNA = "molenbeek"
MONTHS = 12
REQUEST_RATE = 0.12  # share of members who ask for something in a month
REQUEST_ROUNDS = 3  # rounds a request stays open
COOLDOWN_ROUNDS = 2  # decline_cooldown_days = 60 in monthly rounds
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


@dataclass(slots=True)
class Member:
    profile: MemberProfile
    lat: float
    lon: float


@dataclass(slots=True)
class OpenItem:
    request: OpenRequest
    rounds_left: int


@dataclass(slots=True)
class MonthStats:
    proposals: int = 0
    accepted: int = 0
    bridging_proposed: int = 0
    completed: int = 0
    bridging_completed: int = 0
    bridging_dimensions: int = 0


@dataclass(slots=True)
class World:
    """One antenna's state; each matcher gets its own copy of the same starting world."""

    members: dict[int, Member]
    offers: list[Offer]
    open_requests: list[OpenItem] = field(default_factory=list)
    cooldown: dict[tuple[int, int], int] = field(default_factory=dict)
    next_id: int = 1


def _new_members(rng: np.random.Generator, antenna: synthetic.Antenna, *, count: int, world: World) -> list[Member]:
    origin_p = synthetic._origin_weights(antenna.config)
    lat, lon = synthetic._locations(rng, antenna, count)
    created = []
    for i in range(count):
        mid = world.next_id
        world.next_id += 1
        created.append(Member(MemberProfile(mid, synthetic._background(rng, antenna.config, origin_p)), lat[i], lon[i]))
    return created


def _offers_for(rng: np.random.Generator, members: list[Member], *, world: World) -> list[Offer]:
    keys = [c.key for c in CATEGORIES]
    weights = np.array([synthetic.CATEGORY_WEIGHTS[k] for k in keys], dtype=float)
    offers = []
    for m in members:
        for _ in range(int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))):
            offers.append(
                Offer(
                    world.next_id,
                    m.profile.id,
                    str(rng.choice(keys, p=weights / weights.sum())),
                    m.lat,
                    m.lon,
                    synthetic._slots(rng, flexible_share=0.25, low=3, high=8),
                )
            )
            world.next_id += 1
    return offers


def _new_requests(rng: np.random.Generator, world: World, *, when: datetime) -> None:
    keys = [c.key for c in CATEGORIES]
    weights = np.array([synthetic.CATEGORY_WEIGHTS[k] for k in keys], dtype=float)
    for m in world.members.values():
        if rng.random() < REQUEST_RATE:
            request = OpenRequest(
                world.next_id,
                m.profile.id,
                str(rng.choice(keys, p=weights / weights.sum())),
                m.lat,
                m.lon,
                synthetic._slots(rng, flexible_share=0.3, low=2, high=6),
                when,
            )
            world.next_id += 1
            world.open_requests.append(OpenItem(request, REQUEST_ROUNDS))


def _accept_probability(distance_m: float, *, bridging: bool, newcomer: bool) -> float:
    return 0.9 * math.exp(-distance_m / 1500.0) * (0.5 if bridging and newcomer else 1.0)


def _month(
    world: World, settings: MatchingSettings, *, radius_km: float, rng: np.random.Generator, round_no: int
) -> MonthStats:
    stats = MonthStats()
    inputs = RoundInputs.build(
        requests=[item.request for item in world.open_requests],
        offers=world.offers,
        members=[m.profile for m in world.members.values()],
        exclusions=[pair for pair, until in world.cooldown.items() if until > round_no],
    )
    result = run_round(inputs, settings, radius_km=radius_km)
    closed: set[int] = set()
    base = settings.bonding_base_exchanges
    for p in result.proposals:
        stats.proposals += 1
        stats.bridging_proposed += p.bridging
        receiver, helper = world.members[p.receiver_id], world.members[p.helper_id]
        newcomer = min(receiver.profile.completed_exchanges, helper.profile.completed_exchanges) < base
        if rng.random() >= _accept_probability(p.distance_m, bridging=p.bridging, newcomer=newcomer):
            world.cooldown[(p.receiver_id, p.helper_id)] = round_no + COOLDOWN_ROUNDS
            continue
        stats.accepted += 1
        closed.add(p.request_id)
        if rng.random() < 0.9:
            minutes = int(rng.choice([60, 90, 120]))
            stats.completed += 1
            stats.bridging_completed += p.bridging
            stats.bridging_dimensions += len(p.bridging_dimensions)
            receiver.profile = replace(
                receiver.profile,
                completed_exchanges=receiver.profile.completed_exchanges + 1,
                minutes_received=receiver.profile.minutes_received + minutes,
            )
            helper.profile = replace(
                helper.profile,
                completed_exchanges=helper.profile.completed_exchanges + 1,
                minutes_given=helper.profile.minutes_given + minutes,
            )
    still_open = []
    for item in world.open_requests:
        if item.request.id not in closed and item.rounds_left > 1:
            item.rounds_left -= 1
            still_open.append(item)
    world.open_requests = still_open
    return stats


def _copy(world: World) -> World:
    members = {mid: Member(m.profile, m.lat, m.lon) for mid, m in world.members.items()}
    return World(members=members, offers=list(world.offers), next_id=world.next_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a smaller antenna, for a quick run")
    args = parser.parse_args()
    founders, monthly_newcomers = (400, 10) if args.small else (1500, 40)

    antenna = next(a for a in synthetic.load_antennas() if a.config.slug == ANTENNA)
    ours_settings = antenna.config.matching
    distance_only = MatchingSettings(
        distance_weight=1.0,
        category_weight=0.0,
        availability_weight=0.0,
        reciprocity_weight=0.0,
        bridging_weight=0.0,
        bonding_base_exchanges=ours_settings.bonding_base_exchanges,
        max_load_per_helper=ours_settings.max_load_per_helper,
    )
    radius_km = antenna.config.area.radius_km

    population_rng = np.random.default_rng(SEED)
    start = World(members={}, offers=[])
    first = _new_members(population_rng, antenna, count=founders, world=start)
    start.members = {m.profile.id: m for m in first}
    start.offers = _offers_for(population_rng, first, world=start)

    # The same founders, arrivals and requests for both matchers: only the proposals differ.
    worlds = {"ours": _copy(start), "distance": _copy(start)}
    # Two streams per matcher: arrivals and requests (identical for both) and members' decisions.
    arrival_rngs = {name: np.random.default_rng(SEED + 1) for name in worlds}
    decision_rngs = {name: np.random.default_rng(SEED + 2) for name in worlds}
    settings = {"ours": ours_settings, "distance": distance_only}
    totals = {name: MonthStats() for name in worlds}

    print(
        f"antenna {ANTENNA}: {founders} founding members (+{monthly_newcomers}/month), "
        f"radius {radius_km} km, bonding base {ours_settings.bonding_base_exchanges} exchanges, seed {SEED}"
    )
    print(
        f"{'month':7} | {'ours: props':>11} {'accept':>7} {'bridg.prop':>10} {'bridg.done':>10} {'dims':>5} "
        f"| {'distance-only':>13} {'accept':>7} {'bridg.prop':>10} {'bridg.done':>10} {'dims':>5}"
    )
    for month in range(MONTHS):
        when = START.replace(month=month + 1)
        row = f"{when:%Y-%m}"
        for name, world in worlds.items():
            rng = arrival_rngs[name]
            if month > 0:
                arrivals = _new_members(rng, antenna, count=monthly_newcomers, world=world)
                world.members.update({m.profile.id: m for m in arrivals})
                world.offers.extend(_offers_for(rng, arrivals, world=world))
            _new_requests(rng, world, when=when)
            s = _month(world, settings[name], radius_km=radius_km, rng=decision_rngs[name], round_no=month)
            t = totals[name]
            for attr in MonthStats.__slots__:
                setattr(t, attr, getattr(t, attr) + getattr(s, attr))
            width = 11 if name == "ours" else 13
            row += (
                f" | {s.proposals:>{width}} {s.accepted / max(s.proposals, 1):>7.1%} "
                f"{s.bridging_proposed / max(s.proposals, 1):>10.1%} "
                f"{s.bridging_completed / max(s.completed, 1):>10.1%} "
                f"{s.bridging_dimensions / max(s.completed, 1):>5.2f}"
            )
        print(row)
    print()
    for name, t in totals.items():
        world = worlds[name]
        settled = sum(
            m.profile.completed_exchanges >= ours_settings.bonding_base_exchanges for m in world.members.values()
        )
        print(
            f"{name:>8}: {t.proposals} proposals, acceptance {t.accepted / max(t.proposals, 1):.1%}, "
            f"{t.completed} completed exchanges, "
            f"bridging share of completed {t.bridging_completed / max(t.completed, 1):.1%}"
            f" ({t.bridging_dimensions / max(t.completed, 1):.2f} dimensions each), "
            f"members with a bonding base {settled}/{len(world.members)}"
        )


if __name__ == "__main__":
    main()
