"""The bridging measures are computed on integer codes (random mixing by declared patterns for `any`); they
must equal, to the last bit, the plain definitions: differs() on every pair of profiles or of exchange rows."""

import random
from dataclasses import replace

import pytest

from domain.background import Dimension
from domain.errors import InvalidInput
from domain.stats import bridging as b


def _pair_by_pair(dimension: str, profiles: list[b.ProfileCount]) -> float | None:
    comparable = differing = 0
    for x in profiles:
        for y in profiles:
            outcome = b.differs(dimension, x.profile, y.profile)
            if outcome is None or x.members <= 0 or y.members <= 0:
                continue
            comparable += x.members * y.members
            differing += x.members * y.members if outcome else 0
    return b.ratio(differing, comparable)


def _group_sizes(dimension: str, profiles: list[b.ProfileCount]) -> list[int]:
    sizes: dict[object, int] = {}
    for row in profiles:
        if dimension == b.ANY:
            if not any(row.profile.declared(d) for d in Dimension):
                continue
            key: object = row.profile
        elif not row.profile.declared(dimension):
            continue
        else:
            key = getattr(row.profile, dimension)
        sizes[key] = sizes.get(key, 0) + row.members
    return [s for s in sizes.values() if s > 0]


def _random_profile(rng: random.Random) -> b.BackgroundProfile:
    return b.BackgroundProfile(
        languages=frozenset(rng.sample(["nl", "fr", "ar", "en", "tr", "es", "pl", "ro"], rng.choice((0, 1, 1, 2, 3)))),
        origin=rng.choice([None, "BE", "EU", "Maghreb", "Turkey"]),
        age_band=rng.choice([None, "<25", "45-64", "80+"]),
        circle=rng.choice([None, "x", "y", "z"]),
    )


def _random_profiles(rng: random.Random, members=(0, 5)) -> list[b.ProfileCount]:
    return [b.ProfileCount(_random_profile(rng), rng.randint(*members)) for _ in range(rng.randint(0, 40))]


@pytest.mark.parametrize("seed", range(40))
def test_same_as_pair_by_pair(seed: int) -> None:
    profiles = _random_profiles(random.Random(seed), members=(-1, 5))
    for dimension in b.BRIDGING_DIMENSIONS:
        assert b.random_mixing_external_share(dimension, profiles) == _pair_by_pair(dimension, profiles)


@pytest.mark.parametrize("seed", range(10))
def test_sparse_tables_and_integer_sums_give_the_same(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fallbacks for many distinct values (histograms over the occurring values only) and for very many
    # members (int64 instead of float64 sums) are not reached by real antennas; force them.
    profiles = _random_profiles(random.Random(seed))
    expected = [_pair_by_pair(dimension, profiles) for dimension in b.BRIDGING_DIMENSIONS]
    monkeypatch.setattr(b, "_DENSE_CELLS", 1)
    monkeypatch.setattr(b, "_EXACT_FLOAT", 0)
    assert [b.random_mixing_external_share(d, profiles) for d in b.BRIDGING_DIMENSIONS] == expected


@pytest.mark.parametrize("seed", range(30))
def test_compute_bridging_is_its_definition(seed: int) -> None:
    rng = random.Random(seed)
    profiles = _random_profiles(rng)
    # Rows of the same profile as distinct but equal objects, and pairs whose profiles are not active ones.
    profiles += [replace(row, members=rng.randint(0, 3)) for row in rng.sample(profiles, len(profiles) // 3)]
    pool = [row.profile for row in profiles] + [_random_profile(rng) for _ in range(5)]
    pairs = tuple(
        b.ProfilePairExchanges(rng.choice(pool), rng.choice(pool), rng.randint(0, 9)) for _ in range(rng.randint(0, 60))
    )
    measured = b.compute_bridging(b.BridgingInput(pair_exchanges=pairs, active_profiles=tuple(profiles)))
    for m in measured:
        outcomes = [(b.differs(m.dimension, p.first, p.second), p.exchanges) for p in pairs]
        sizes = _group_sizes(m.dimension, profiles)
        assert m.external == sum(n for outcome, n in outcomes if outcome is True)
        assert m.internal == sum(n for outcome, n in outcomes if outcome is False)
        assert (m.comparable_members, m.smallest_group) == (sum(sizes), min(sizes, default=0))
        assert m.blau == _pair_by_pair(m.dimension, profiles)
        assert all(type(v) is int for v in (m.external, m.internal, m.comparable_members, m.smallest_group))


def test_unknown_dimension_is_refused() -> None:
    with pytest.raises(InvalidInput):
        b.random_mixing_external_share("religion", [])
