"""Which pairs a round may propose at all: radius, category, availability, exclusions, load, pause, self."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from geopy.distance import great_circle

from domain.errors import InvalidInput
from domain.matching.candidates import availability_overlap, find_candidates
from domain.matching.geometry import haversine_m
from domain.matching.model import MemberProfile, Offer, OpenRequest, RoundInputs
from domain.matching.relatedness import EXACT_FIT, RELATED_FIT, category_fit
from domain.matching.tables import availability_mask, build_tables

LAT, LON = 50.85, 4.35
WHEN = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    return LAT + north_m / 111_195.0, LON + east_m / (111_195.0 * math.cos(math.radians(LAT)))


def request(
    rid: int,
    requester: int,
    cat: str = "shopping",
    *,
    east_m: float = 0.0,
    slots: frozenset[str] = frozenset(),
) -> OpenRequest:
    lat, lon = at(east_m)
    return OpenRequest(rid, requester, cat, lat, lon, slots, WHEN)


def offer(
    oid: int, helper: int, cat: str = "shopping", *, east_m: float = 0.0, slots: frozenset[str] = frozenset()
) -> Offer:
    lat, lon = at(east_m)
    return Offer(oid, helper, cat, lat, lon, slots)


def pairs(inputs: RoundInputs, *, radius_m: float = 1000.0, max_load: int = 2) -> set[tuple[int, int]]:
    tables = build_tables(inputs)
    found = find_candidates(tables, radius_m=radius_m, max_load_per_helper=max_load)
    return {
        (int(tables.requests.ids[r]), int(tables.offers.ids[o]))
        for r, o in zip(found.request_row, found.offer_row, strict=True)
    }


def members(*ids: int, **overrides: MemberProfile) -> list[MemberProfile]:
    return [overrides.get(f"m{i}", MemberProfile(i)) for i in ids]


def test_radius_is_inclusive_and_measured_by_haversine() -> None:
    inputs = RoundInputs.build(
        requests=[request(1, 1)],
        offers=[offer(10, 2, east_m=990), offer(11, 3, east_m=1010), offer(12, 4, east_m=-300)],
        members=members(1, 2, 3, 4),
    )
    assert pairs(inputs) == {(1, 10), (1, 12)}


def test_category_exact_or_related_only() -> None:
    inputs = RoundInputs.build(
        requests=[request(1, 1, "translation")],
        offers=[offer(10, 2, "translation"), offer(11, 3, "paperwork"), offer(12, 4, "gardening")],
        members=members(1, 2, 3, 4),
    )
    assert pairs(inputs) == {(1, 10), (1, 11)}
    assert category_fit("translation", "translation") == EXACT_FIT
    assert category_fit("accompanying", "transport") == category_fit("transport", "accompanying") == RELATED_FIT
    assert category_fit("gardening", "cooking") == 0.0


def test_availability_must_overlap_unless_flexible() -> None:
    inputs = RoundInputs.build(
        requests=[request(1, 1, slots=frozenset({"mon-morning", "tue-evening"}))],
        offers=[
            offer(10, 2, slots=frozenset({"tue-evening"})),
            offer(11, 3, slots=frozenset({"sat-morning"})),
            offer(12, 4),
        ],
        members=members(1, 2, 3, 4),
    )
    assert pairs(inputs) == {(1, 10), (1, 12)}


def test_availability_overlap_measure() -> None:
    mask = np.array
    a = availability_mask(frozenset({"mon-morning", "tue-evening"}))
    b = availability_mask(frozenset({"tue-evening"}))
    c = availability_mask(frozenset({"sun-evening"}))
    assert availability_overlap(mask([a, a, a, 0]), mask([b, c, 0, 0])).tolist() == [1.0, 0.0, 1.0, 1.0]


def test_never_self_paused_overloaded_or_excluded() -> None:
    inputs = RoundInputs.build(
        requests=[request(1, 1)],
        offers=[offer(10, 1), offer(11, 2), offer(12, 3), offer(13, 4), offer(14, 5)],
        members=[
            MemberProfile(1),
            MemberProfile(2, paused=True),
            MemberProfile(3, open_load=2),
            MemberProfile(4),
            MemberProfile(5, open_load=1),
        ],
        exclusions={(1, 4)},
    )
    assert pairs(inputs, max_load=2) == {(1, 14)}
    assert pairs(inputs, max_load=1) == set()


def test_exclusion_is_directed_requester_then_helper() -> None:
    inputs = RoundInputs.build(
        requests=[request(1, 1), request(2, 2)],
        offers=[offer(10, 2), offer(11, 1)],
        members=members(1, 2),
        exclusions={(1, 2)},
    )
    assert pairs(inputs) == {(2, 11)}


def test_unknown_member_is_an_input_error() -> None:
    inputs = RoundInputs.build(requests=[request(1, 1)], offers=[offer(10, 99)], members=members(1))
    with pytest.raises(InvalidInput):
        build_tables(inputs)


def test_unknown_category_and_slot_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        request(1, 1, "juggling")
    with pytest.raises(InvalidInput):
        offer(1, 1, slots=frozenset({"mon-night"}))


def test_matches_a_brute_force_scan_on_a_random_neighbourhood() -> None:
    rng = np.random.default_rng(7)
    cats = ["shopping", "transport", "accompanying", "translation", "paperwork", "gardening"]
    slots = ["mon-morning", "tue-afternoon", "sat-evening"]

    def some_slots() -> frozenset[str]:
        return frozenset(s for s in slots if rng.random() < 0.4)

    reqs = [
        OpenRequest(
            i,
            int(rng.integers(1, 40)),
            str(rng.choice(cats)),
            *at(*rng.normal(0, 900, 2)),
            some_slots(),
            WHEN,
        )
        for i in range(60)
    ]
    offs = [
        Offer(
            100 + i,
            int(rng.integers(1, 40)),
            str(rng.choice(cats)),
            *at(*rng.normal(0, 900, 2)),
            some_slots(),
        )
        for i in range(80)
    ]
    profiles = [
        MemberProfile(i, open_load=int(rng.integers(0, 3)), paused=bool(rng.random() < 0.1)) for i in range(1, 40)
    ]
    by_id = {m.id: m for m in profiles}
    exclusions = {(int(a), int(b)) for a, b in rng.integers(1, 40, (30, 2))}
    inputs = RoundInputs.build(requests=reqs, offers=offs, members=profiles, exclusions=exclusions)

    expected = set()
    for r in reqs:
        for o in offs:
            helper = by_id[o.helper_id]
            near = great_circle((r.lat, r.lon), (o.lat, o.lon)).m <= 1200
            fits = category_fit(r.category, o.category) > 0
            times = not r.availability or not o.availability or bool(r.availability & o.availability)
            free = not helper.paused and helper.open_load < 2 and o.helper_id != r.requester_id
            if near and fits and times and free and (r.requester_id, o.helper_id) not in exclusions:
                expected.add((r.id, o.id))
    assert expected  # the instance is not trivially empty
    assert pairs(inputs, radius_m=1200) == expected


def test_haversine_agrees_with_geopy() -> None:
    a, b = (50.8466, 4.3517), (50.8839, 4.3487)
    ours = haversine_m(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[0]
    assert ours == pytest.approx(great_circle(a, b).m, rel=1e-9)
