"""A whole round: proposals, unmatched requests, summary, and explanations (message keys and data)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from domain.antenna_config import MatchingSettings
from domain.background import AGE_BANDS, ORIGINS
from domain.matching.explain import DistanceBand, Message, distance_band, member_distance_message
from domain.matching.model import Background, MemberProfile, Offer, OpenRequest, RoundInputs, RoundResult
from domain.matching.round import run_round

WHEN = datetime(2025, 3, 1, tzinfo=UTC)
SETTINGS = MatchingSettings()
HOME = Background(languages=frozenset({"fr"}), origin="BE", age_band="25-44", circle="parish-sint-gillis")
AWAY = Background(languages=frozenset({"ar"}), origin="Maghreb", age_band="65-79", circle="mosque-al-khalil")


def at(east_m: float) -> tuple[float, float]:
    return 50.85, 4.35 + east_m / (111_195.0 * math.cos(math.radians(50.85)))


def small_round() -> tuple[RoundInputs, RoundResult]:
    inputs = RoundInputs.build(
        requests=[
            OpenRequest(1, 1, "translation", *at(0), frozenset({"mon-morning"}), WHEN),
            OpenRequest(2, 3, "gardening", *at(100), frozenset(), WHEN),  # nobody gardens
            OpenRequest(3, 4, "shopping", *at(0), frozenset(), WHEN),
        ],
        offers=[
            Offer(10, 2, "paperwork", *at(700), frozenset({"mon-morning", "fri-evening"})),
            Offer(11, 5, "shopping", *at(1500), frozenset()),
        ],
        members=[
            MemberProfile(1, HOME, completed_exchanges=5),
            MemberProfile(2, AWAY, completed_exchanges=4, minutes_received=300),
            MemberProfile(3),
            MemberProfile(4, HOME, completed_exchanges=5),
            MemberProfile(5, AWAY, completed_exchanges=8, minutes_given=600),
        ],
    )
    return inputs, run_round(inputs, SETTINGS, radius_km=2.0)


def test_round_proposes_reports_unmatched_and_summarises() -> None:
    _, result = small_round()
    assert [(p.request_id, p.offer_id, p.helper_id, p.receiver_id) for p in result.proposals] == [
        (1, 10, 2, 1),
        (3, 11, 5, 4),
    ]
    assert result.unmatched_request_ids == (2,)
    first = result.proposals[0]
    assert first.distance_band == DistanceBand.UNDER_1_KM
    assert first.bridging and len(first.bridging_dimensions) == 4
    summary = result.summary
    assert (summary.requests_seen, summary.candidates, summary.proposals, summary.unmatched) == (3, 2, 2, 1)
    assert summary.bridging_share == 1.0
    assert summary.mean_distance_m == pytest.approx((700 + 1500) / 2, abs=2)


def _walk(message: Message) -> list[Message]:
    found = [message]
    for value in message.params.values():
        for inner in value if isinstance(value, tuple) else (value,):
            if isinstance(inner, Message):
                found += _walk(inner)
    return found


def test_explanations_are_message_keys_and_data_never_background_values() -> None:
    _, result = small_round()
    first = result.proposals[0]
    messages = [m for part in first.explanation for m in _walk(part)]
    keys = [m.key for m in messages]
    assert keys[:2] == ["matching.explain.distance", "matching.distance.500m_1km"]
    assert "matching.explain.bridging" in keys and "matching.dimension.languages" in keys
    assert "matching.explain.reciprocity_receiver" in keys
    # No text a member typed or declared travels in a message: values are numbers, hours, categories or
    # other messages, never a free string (so no language, origin, age band or circle can appear).
    for message in messages:
        assert all(not isinstance(value, str) for value in message.params.values()), message


def test_member_distance_message_names_only_the_band() -> None:
    messages = [member_distance_message(d) for d in (120, 650, 1400, 2600)]
    bands = [m.params["band"] for m in messages]
    assert all(m.key == "matching.member.distance" and set(m.params) == {"band"} for m in messages)
    assert [b.key for b in bands if isinstance(b, Message)] == [
        f"matching.distance.{band.value}" for band in DistanceBand
    ]


def test_distance_bands() -> None:
    assert [distance_band(d) for d in (0, 499.9, 500, 999, 1000, 1999, 2000)] == [
        DistanceBand.UNDER_500_M,
        DistanceBand.UNDER_500_M,
        DistanceBand.UNDER_1_KM,
        DistanceBand.UNDER_1_KM,
        DistanceBand.UNDER_2_KM,
        DistanceBand.UNDER_2_KM,
        DistanceBand.OVER_2_KM,
    ]


def test_newcomers_are_matched_within_their_circle_then_across() -> None:
    # One request, two equidistant helpers: one from the requester's circle, one from another background.
    def choice(completed: int) -> int:
        inputs = RoundInputs.build(
            requests=[OpenRequest(1, 1, "shopping", *at(0), frozenset(), WHEN)],
            offers=[
                Offer(10, 2, "shopping", *at(300), frozenset()),
                Offer(11, 3, "shopping", *at(-300), frozenset()),
            ],
            members=[
                MemberProfile(1, HOME, completed_exchanges=completed),
                MemberProfile(2, HOME, completed_exchanges=6),
                MemberProfile(3, AWAY, completed_exchanges=6),
            ],
        )
        return run_round(inputs, SETTINGS, radius_km=1.0).proposals[0].helper_id

    assert choice(0) == 2
    assert choice(SETTINGS.bonding_base_exchanges) == 3


def test_pruned_round_reaches_the_exact_optimum_on_a_random_neighbourhood() -> None:
    rng = np.random.default_rng(11)
    cats = ["shopping", "transport", "accompanying", "visits_company"]
    members = [
        MemberProfile(
            i,
            Background(origin=str(rng.choice(ORIGINS)), age_band=str(rng.choice(AGE_BANDS))),
            completed_exchanges=int(rng.integers(0, 6)),
            minutes_given=int(rng.integers(0, 900)),
            minutes_received=int(rng.integers(0, 900)),
            open_load=int(rng.integers(0, 2)),
        )
        for i in range(1, 301)
    ]
    requests = [
        OpenRequest(i, int(rng.integers(1, 301)), str(rng.choice(cats)), *at(rng.normal(0, 800)), frozenset(), WHEN)
        for i in range(200)
    ]
    offers = [
        Offer(1000 + i, int(rng.integers(1, 301)), str(rng.choice(cats)), *at(rng.normal(0, 800)), frozenset())
        for i in range(150)
    ]
    inputs = RoundInputs.build(requests=requests, offers=offers, members=members)
    pruned = run_round(inputs, SETTINGS, radius_km=1.0)  # default top-k pruning
    exact = run_round(inputs, SETTINGS, radius_km=1.0, top_k=None).objective
    assert pruned.objective <= exact + 1e-6
    assert pruned.objective >= 0.995 * exact  # helpers are scarce here, the hard case for pruning
    helpers = [p.helper_id for p in pruned.proposals]
    load = {m.id: m.open_load for m in members}
    assert all(helpers.count(h) + load[h] <= SETTINGS.max_load_per_helper for h in set(helpers))


def test_empty_round() -> None:
    result = run_round(RoundInputs.build(requests=[], offers=[], members=[]), SETTINGS, radius_km=1.0)
    assert result.proposals == () and result.unmatched_request_ids == ()
    assert result.summary.mean_distance_m == 0.0 and result.summary.bridging_share == 0.0


def test_a_round_is_deterministic() -> None:
    inputs, first = small_round()
    assert run_round(inputs, SETTINGS, radius_km=2.0) == first
