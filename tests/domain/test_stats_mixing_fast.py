"""The random-mixing baseline merges profiles before its quadratic loop (and uses declared patterns for
`any`); it must equal the plain pair-by-pair definition on every table."""

import random

import pytest

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


@pytest.mark.parametrize("seed", range(40))
def test_same_as_pair_by_pair(seed: int) -> None:
    rng = random.Random(seed)
    profiles = [
        b.ProfileCount(
            b.BackgroundProfile(
                languages=frozenset(rng.sample(["nl", "fr", "ar", "en"], rng.randint(0, 2))),
                origin=rng.choice([None, "BE", "EU", "Maghreb"]),
                age_band=rng.choice([None, "<25", "80+"]),
                circle=rng.choice([None, "x", "y"]),
            ),
            rng.randint(0, 5),
        )
        for _ in range(rng.randint(0, 25))
    ]
    for dimension in b.BRIDGING_DIMENSIONS:
        fast, slow = b.random_mixing_external_share(dimension, profiles), _pair_by_pair(dimension, profiles)
        assert fast == pytest.approx(slow) if slow is not None else fast is None
