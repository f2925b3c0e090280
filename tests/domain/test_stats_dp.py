"""The privacy rules without a database: bounded contributions, OpenDP noise, the figures and the accountant."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stats.rules.accountant import BudgetExhausted, check_budget
from stats.rules.backgrounds import BackgroundProfile
from stats.rules.bounded import Shared, Side, bounded_members, bounded_total, clamped_total
from stats.rules.figures import (
    BASE_FIGURES,
    Bounds,
    Estimate,
    PairActivity,
    PairDecisions,
    Reason,
    WindowData,
    bounded_values,
    epsilon_shares,
    exact_values,
    figures,
    release,
    sensitivity,
)
from stats.rules.noise import laplace

BOUNDS = Bounds(exchanges=6, minutes=450, partners=3, posts=3, pool_minutes=300)

items = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 5)).filter(lambda t: t[0] != t[1]),
    max_size=25,
)


def _without(rows: list[tuple[int, int, int]], member: int) -> list[tuple[int, int, int]]:
    return [r for r in rows if member not in r[:2]]


@settings(max_examples=150, deadline=None)
@given(rows=items, bound=st.integers(1, 8))
def test_bounded_total_moves_at_most_the_bound_when_a_member_leaves(rows: list, bound: int) -> None:
    total = bounded_total([Shared(*r) for r in rows], bound=bound)
    for member in range(8):
        without = bounded_total([Shared(*r) for r in _without(rows, member)], bound=bound)
        assert 0 <= total - without <= bound


@settings(max_examples=150, deadline=None)
@given(rows=items)
def test_bounded_total_is_exact_when_everyone_is_within_the_bound(rows: list) -> None:
    load: dict[int, int] = {}
    for a, b, c in rows:
        load[a] = load.get(a, 0) + c
        load[b] = load.get(b, 0) + c
    bound = max(load.values(), default=1)
    assert bounded_total([Shared(*r) for r in rows], bound=bound) == sum(c for *_, c in rows)


@settings(max_examples=150, deadline=None)
@given(rows=items, bound=st.integers(1, 5), side=st.sampled_from(list(Side)))
def test_bounded_members_moves_at_most_bound_plus_one(rows: list, bound: int, side: Side) -> None:
    links = [(a, b) for a, b, _ in rows]
    count = bounded_members(links, bound=bound, side=side)
    for member in range(8):
        without = bounded_members([link for link in links if member not in link], bound=bound, side=side)
        assert abs(count - without) <= bound + 1
    partners: dict[int, set[int]] = {}
    for a, b in links:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    if all(len(p) <= bound for p in partners.values()):
        counted = {
            Side.FIRST: {a for a, _ in links}, Side.SECOND: {b for _, b in links}, Side.EITHER: set(partners)
        }[side]  # fmt: skip
        assert count == len(counted)


def test_a_hub_member_cannot_move_a_total_beyond_the_bound() -> None:
    # One member exchanged with 300 others: without bounds removing them would remove 300 exchanges.
    hub = [Shared(0, k, 1) for k in range(1, 301)]
    assert bounded_total(hub, bound=6) == 6
    assert bounded_members([(0, k) for k in range(1, 301)], bound=6) == 7
    assert clamped_total({1: 50, 2: 2}, bound=6) == 8


def test_laplace_is_opendp_calibrated_and_noisy() -> None:
    draws = [laplace(1000, sensitivity=6, epsilon=0.5) for _ in range(400)]
    assert {d.scale for d in draws} == {12.0}
    assert all(d.epsilon <= 0.5 + 1e-12 for d in draws)
    values = [d.value for d in draws]
    assert len(set(values)) > 20  # noisy, not a fixed offset
    # Laplace of scale 12: mean absolute deviation 12 (a generous band keeps this test from flaking).
    assert 8 < statistics.fmean(abs(v - 1000) for v in values) < 16
    assert draws[0].half_width == pytest.approx(12 * math.log(20))


def _data(members: int, seed: int = 3) -> WindowData:
    rng = random.Random(seed)
    pairs = []
    for i in range(members):
        for k in (1, 2):
            pairs.append(PairActivity(i, (i + k) % members, rng.randint(1, 2), 15 * rng.randint(2, 8)))
    origins = ["BE", "Maghreb", "EU"]
    profiles = {i: BackgroundProfile(origin=origins[i % 3], languages=frozenset({"fr"})) for i in range(0, members, 2)}
    return WindowData(registered=members + 10, approved=members + 5, pairs=tuple(pairs), profiles=profiles,
                      requests={i: 1 for i in range(members)}, offers={i: 2 for i in range(0, members, 3)})  # fmt: skip


def test_a_release_spends_its_epsilon_split_over_the_base_figures() -> None:
    noisy = release(_data(40), bounds=BOUNDS, epsilon=1.0)
    assert set(noisy) == {f.key for f in BASE_FIGURES}
    assert sum(n.epsilon for n in noisy.values()) == pytest.approx(1.0)
    shares = epsilon_shares(1.0)
    for f in BASE_FIGURES:
        assert noisy[f.key].epsilon == pytest.approx(shares[f.key])
        assert noisy[f.key].sensitivity == sensitivity(f, BOUNDS)
        assert noisy[f.key].scale == pytest.approx(sensitivity(f, BOUNDS) / shares[f.key])


def test_bounded_values_equal_exact_ones_for_members_within_the_bounds() -> None:
    data = _data(40)
    loose = Bounds(exchanges=100, minutes=10_000, partners=10, posts=10, pool_minutes=1000)
    assert bounded_values(data, loose) == exact_values(data)
    exact = exact_values(data)
    assert exact[("active_members", None)] == 40
    assert exact[("exchanges", None)] == sum(p.exchanges for p in data.pairs)
    assert exact[("minutes", None)] == sum(p.minutes for p in data.pairs)
    assert exact[("external_exchanges", "origin")] + exact[("internal_exchanges", "origin")] == sum(
        p.exchanges for p in data.pairs if p.giver % 2 == 0 and p.receiver % 2 == 0
    )


def _estimates(values: dict, sd: float) -> dict:
    return {k: Estimate(float(v), sd, sd * 2.118) for k, v in values.items()}


def test_figures_are_post_processing_of_noisy_values() -> None:
    exact = exact_values(_data(40))
    published = {(f.measure, f.dimension): f for f in figures(_estimates(exact, sd=0.5))}
    assert published[("exchanges", None)].value == exact[("exchanges", None)]
    lower, upper = published[("exchanges", None)].lower, published[("exchanges", None)].upper
    assert lower is not None and upper is not None and upper - lower == pytest.approx(2 * 0.5 * 2.118)
    share = published[("external_share", "origin")]
    e, i = exact[("external_exchanges", "origin")], exact[("internal_exchanges", "origin")]
    assert share.value == pytest.approx(e / (e + i))
    assert share.lower is not None and share.upper is not None
    assert share.lower <= share.value <= share.upper and share.lower < share.upper
    assert published[("gini_given", None)].reason == Reason.NOT_RELEASED
    assert published[("median_days_to_proposal", None)].value is None
    # The same values with large noise: withheld as too noisy, never shown as 0.
    noisy = {(f.measure, f.dimension): f for f in figures(_estimates(exact, sd=200))}
    assert noisy[("exchanges", None)].reason == Reason.TOO_NOISY and noisy[("exchanges", None)].value is None
    assert noisy[("external_share", "origin")].reason == Reason.TOO_NOISY


def test_the_accountant_refuses_a_release_past_the_budget() -> None:
    check_budget(spent=0.0, epsilon=2.0, budget=5.0)
    check_budget(spent=4.0, epsilon=1.0, budget=5.0)  # exactly at the budget
    with pytest.raises(BudgetExhausted):
        check_budget(spent=4.5, epsilon=1.0, budget=5.0)
    with pytest.raises(BudgetExhausted):
        check_budget(spent=0.0, epsilon=6.0, budget=5.0)


def _remove(data: WindowData, member: int) -> WindowData:
    """The same window without one member and everything they took part in (the neighbouring data set)."""
    return WindowData(
        registered=data.registered - 1,
        approved=data.approved - 1,
        pairs=tuple(p for p in data.pairs if member not in (p.giver, p.receiver)),
        offers={m: n for m, n in data.offers.items() if m != member},
        requests={m: n for m, n in data.requests.items() if m != member},
        matched=tuple(s for s in data.matched if member not in (s.first, s.second)),
        decisions=tuple(d for d in data.decisions if member not in (d.helper, d.receiver)),
        pool_in={m: n for m, n in data.pool_in.items() if m != member},
        pool_out={m: n for m, n in data.pool_out.items() if m != member},
        profiles={m: p for m, p in data.profiles.items() if m != member},
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), members=st.integers(2, 14))
def test_one_member_moves_every_base_figure_by_at_most_its_sensitivity(seed: int, members: int) -> None:
    # The whole privacy argument: the noise of each figure is calibrated to this sensitivity.
    rng = random.Random(seed)
    pairs = []
    for _ in range(rng.randint(0, 40)):
        giver, receiver = rng.sample(range(members), 2)
        pairs.append(PairActivity(giver, receiver, rng.randint(1, 4), 15 * rng.randint(1, 12)))
    origins = ["BE", "EU", "Maghreb"]
    data = WindowData(
        registered=members, approved=members, pairs=tuple(pairs),
        offers={m: rng.randint(0, 5) for m in range(members)}, requests={m: rng.randint(0, 5) for m in range(members)},
        matched=tuple(Shared(p.receiver, p.giver, 1) for p in pairs[: len(pairs) // 2]),
        decisions=tuple(PairDecisions(p.giver, p.receiver, approved=rng.randint(0, 2), rejected=rng.randint(0, 1),
                                      accepted=rng.randint(0, 2), declined=rng.randint(0, 1)) for p in pairs),
        pool_in={m: 30 * rng.randint(0, 20) for m in range(members)},
        pool_out={m: 30 * rng.randint(0, 20) for m in range(members)},
        profiles={m: BackgroundProfile(origin=rng.choice(origins), languages=frozenset({rng.choice("ab")}))
                  for m in range(members) if rng.random() < 0.7},
    )  # fmt: skip
    values = bounded_values(data, BOUNDS)
    for member in range(members):
        without = bounded_values(_remove(data, member), BOUNDS)
        for f in BASE_FIGURES:
            assert abs(values[f.key] - without[f.key]) <= sensitivity(f, BOUNDS), (f.key, member)
