"""The solver is optimal: compared with brute force on every small instance hypothesis can think of."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.matching.assignment import prune_top_k, solve


@st.composite
def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_requests = draw(st.integers(1, 5))
    n_helpers = draw(st.integers(1, 4))
    all_pairs = list(itertools.product(range(n_requests), range(n_helpers)))
    chosen = draw(st.lists(st.sampled_from(all_pairs), min_size=1, max_size=len(all_pairs), unique=True))
    # Every request index must appear so the request ids stay dense, as the round guarantees.
    chosen = sorted(set(chosen) | {(r, draw(st.integers(0, n_helpers - 1))) for r in range(n_requests)})
    scores = draw(st.lists(st.integers(1, 1000), min_size=len(chosen), max_size=len(chosen)))
    capacity = draw(st.lists(st.integers(1, 3), min_size=n_helpers, max_size=n_helpers))
    req = np.array([p[0] for p in chosen], dtype=np.int64)
    hlp = np.array([p[1] for p in chosen], dtype=np.int64)
    return req, hlp, np.array(scores, dtype=np.int64), np.array(capacity, dtype=np.int64)


def brute_force(req: np.ndarray, hlp: np.ndarray, scores: np.ndarray, capacity: np.ndarray) -> int:
    """Each request takes one of its pairs or none; keep the best assignment within the capacities."""
    options = [[None, *np.flatnonzero(req == r).tolist()] for r in range(int(req.max()) + 1)]
    best = 0
    for choice in itertools.product(*options):
        used = np.zeros(len(capacity), dtype=np.int64)
        total = 0
        for pair in choice:
            if pair is not None:
                used[hlp[pair]] += 1
                total += int(scores[pair])
        if (used <= capacity).all():
            best = max(best, total)
    return best


@settings(max_examples=300, deadline=None)
@given(instances())
def test_min_cost_flow_matches_brute_force(instance: tuple[np.ndarray, ...]) -> None:
    req, hlp, scores, capacity = instance
    result = solve(request_index=req, helper_index=hlp, scores=scores, helper_capacity=capacity)
    assert result.objective == brute_force(req, hlp, scores, capacity)
    chosen_req = req[result.chosen]
    assert len(set(chosen_req.tolist())) == len(chosen_req)  # a request at most once
    assert (np.bincount(hlp[result.chosen], minlength=len(capacity)) <= capacity).all()


def test_requests_are_left_unmatched_rather_than_forced() -> None:
    # Two requests want the same helper with room for one: one stays unmatched.
    req, hlp = np.array([0, 1]), np.array([0, 0])
    result = solve(request_index=req, helper_index=hlp, scores=np.array([5, 7]), helper_capacity=np.array([1]))
    assert result.chosen.tolist() == [1] and result.objective == 7


def test_empty_instance() -> None:
    empty = np.zeros(0, dtype=np.int64)
    result = solve(request_index=empty, helper_index=empty, scores=empty, helper_capacity=empty)
    assert result.chosen.size == 0 and result.objective == 0


def test_prune_keeps_the_best_of_each_request_and_each_helper() -> None:
    req = np.array([0, 0, 0, 1, 1, 2])
    hlp = np.array([0, 1, 2, 0, 2, 2])
    scores = np.array([9, 5, 1, 3, 8, 2])
    kept = prune_top_k(request_index=req, helper_index=hlp, scores=scores, k=1)
    # request bests: 0 (9), 4 (8), 5 (2); helper bests: 0 (9), 1 (5), 4 (8)
    assert kept.tolist() == [0, 1, 4, 5]
