"""The score: bridging bonus ramps with experience, newcomers bond, reciprocity favours receivers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest

from domain.antenna_config import MatchingSettings
from domain.background import AGE_BANDS, ORIGINS, Dimension
from domain.matching.candidates import find_candidates
from domain.matching.model import Background, MemberProfile, Offer, OpenRequest, RoundInputs
from domain.matching.scoring import (
    MIN_SCORE,
    background_bonus,
    background_counts,
    bonding_dimensions,
    bridging_dimensions,
    bridging_ramp,
    integer_scores,
    reciprocity_term,
    score_candidates,
)
from domain.matching.tables import build_tables

SETTINGS = MatchingSettings()
HOME = Background(languages=frozenset({"fr"}), origin="BE", age_band="25-44", circle="parish")
AWAY = Background(languages=frozenset({"ar"}), origin="Maghreb", age_band="65-79", circle="mosque")


def member(mid: int, background: Background, *, completed: int = 0, **kw: int) -> MemberProfile:
    return MemberProfile(mid, background, completed_exchanges=completed, **kw)


def test_bridging_dimensions_count_only_what_both_declared() -> None:
    assert bridging_dimensions(HOME, AWAY) == (
        Dimension.LANGUAGES,
        Dimension.ORIGIN,
        Dimension.AGE_BAND,
        Dimension.CIRCLE,
    )
    assert bridging_dimensions(HOME, Background(origin="EU")) == (Dimension.ORIGIN,)
    assert bridging_dimensions(HOME, Background()) == ()
    # One shared language is enough to not be a language bridge; adjacent age bands are one generation.
    assert bridging_dimensions(HOME, Background(languages=frozenset({"fr", "ar"}), age_band="45-64")) == ()
    assert bonding_dimensions(HOME, HOME) == (Dimension.LANGUAGES, Dimension.CIRCLE)


def test_bridging_ramp_follows_the_less_experienced_member() -> None:
    base = SETTINGS.bonding_base_exchanges
    assert bridging_ramp(0, 10, bonding_base_exchanges=base) == 0.0
    assert bridging_ramp(10, 1, bonding_base_exchanges=base) == pytest.approx(1 / base)
    assert bridging_ramp(base, base, bonding_base_exchanges=base) == 1.0
    assert bridging_ramp(base + 5, base + 9, bonding_base_exchanges=base) == 1.0


def test_bridging_bonus_is_zero_for_newcomers_and_full_after_the_bonding_base() -> None:
    base = SETTINGS.bonding_base_exchanges
    bonuses = [
        background_bonus(member(1, HOME, completed=n), member(2, AWAY, completed=50), SETTINGS) for n in range(base + 3)
    ]
    assert bonuses[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(bonuses[: base + 1]))
    assert bonuses[base] == pytest.approx(SETTINGS.bridging_weight)  # all four dimensions differ
    assert bonuses[base:] == [bonuses[base]] * 3


def test_newcomers_get_a_small_bonding_bonus_that_fades() -> None:
    base = SETTINGS.bonding_base_exchanges
    newcomer_same = background_bonus(member(1, HOME), member(2, HOME, completed=9), SETTINGS)
    newcomer_other = background_bonus(member(1, HOME), member(2, AWAY, completed=9), SETTINGS)
    settled_same = background_bonus(member(1, HOME, completed=base), member(2, HOME, completed=9), SETTINGS)
    settled_other = background_bonus(member(1, HOME, completed=base), member(2, AWAY, completed=9), SETTINGS)
    assert 0 < newcomer_same < 0.5 * SETTINGS.bridging_weight
    assert newcomer_other == 0.0
    assert newcomer_same > newcomer_other  # bonding first
    assert settled_other > settled_same == 0.0  # bridging later


def test_reciprocity_favours_helpers_who_received_more_than_they_gave() -> None:
    receiver = reciprocity_term(MemberProfile(1, minutes_given=0, minutes_received=600))
    balanced = reciprocity_term(MemberProfile(2, minutes_given=300, minutes_received=300))
    giver = reciprocity_term(MemberProfile(3, minutes_given=900, minutes_received=0))
    assert receiver == 1.0 and balanced == 0.5 and giver == 0.0


def _two_helper_scores(helper_a: MemberProfile, helper_b: MemberProfile, requester: MemberProfile) -> list[float]:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    inputs = RoundInputs.build(
        requests=[OpenRequest(1, requester.id, "shopping", 50.85, 4.35, frozenset(), when)],
        offers=[
            Offer(10, helper_a.id, "shopping", 50.851, 4.35, frozenset()),
            Offer(11, helper_b.id, "shopping", 50.851, 4.35, frozenset()),
        ],
        members=[requester, helper_a, helper_b],
    )
    tables = build_tables(inputs)
    found = find_candidates(tables, radius_m=1500, max_load_per_helper=2)
    scores = score_candidates(tables, found, SETTINGS, radius_m=1500)
    by_offer = dict(zip(tables.offers.ids[found.offer_row].tolist(), scores.tolist(), strict=True))
    return [by_offer[10], by_offer[11]]


def test_round_scores_prefer_receivers_and_bridges_once_settled() -> None:
    requester = member(1, HOME, completed=5)
    a, b = _two_helper_scores(
        member(2, HOME, completed=5, minutes_received=600),
        member(3, HOME, completed=5, minutes_given=600),
        requester,
    )
    assert a - b == pytest.approx(SETTINGS.reciprocity_weight)
    bridge, bond = _two_helper_scores(member(2, AWAY, completed=5), member(3, HOME, completed=5), requester)
    assert bridge > bond
    newcomer = member(1, HOME)
    bridge, bond = _two_helper_scores(member(2, AWAY, completed=5), member(3, HOME, completed=5), newcomer)
    assert bond > bridge


def test_scores_are_positive_and_closer_is_better() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    inputs = RoundInputs.build(
        requests=[OpenRequest(1, 1, "shopping", 50.85, 4.35, frozenset(), when)],
        offers=[Offer(10 + i, 2 + i, "shopping", 50.85 + i * 0.002, 4.35, frozenset()) for i in range(6)],
        members=[MemberProfile(i) for i in range(1, 8)],
    )
    tables = build_tables(inputs)
    found = find_candidates(tables, radius_m=1200, max_load_per_helper=2)
    scores = score_candidates(tables, found, SETTINGS, radius_m=1200)
    order = np.argsort(found.distance_m)
    assert (scores > 0).all() and scores.min() >= MIN_SCORE
    assert (np.diff(scores[order]) < 0).all()
    assert (integer_scores(scores) >= 1).all()


def test_vectorised_background_counts_agree_with_the_record_functions() -> None:
    rng = np.random.default_rng(3)
    langs = ["fr", "nl", "ar", "en", "tr"]

    def maybe(values: list[str] | tuple[str, ...]) -> str | None:
        return None if rng.random() < 0.3 else str(rng.choice(values))

    profiles = [
        MemberProfile(
            i,
            Background(
                languages=None if rng.random() < 0.3 else frozenset(rng.choice(langs, rng.integers(1, 3)).tolist()),
                origin=maybe(ORIGINS),
                age_band=maybe(AGE_BANDS),
                circle=maybe(["a", "b", "c"]),
            ),
        )
        for i in range(40)
    ]
    tables = build_tables(RoundInputs.build(requests=[], offers=[], members=profiles))
    a, b = np.array(list(itertools.product(range(40), repeat=2))).T
    differing, shared = background_counts(tables.members, a, b)
    for i, j, d, s in zip(a, b, differing, shared, strict=True):
        pa, pb = profiles[i].background, profiles[j].background
        assert d == len(bridging_dimensions(pa, pb))
        assert s == len(bonding_dimensions(pa, pb))
