"""Choosing the proposals: a maximum-score assignment with helper loads, solved exactly as a min-cost flow.

The network, with integer scores s(q, h) from scoring.integer_scores:

    source --(cap 1, cost 0)--> request q --(cap 1, cost -s(q, h))--> helper h --(cap c_h, cost 0)--> sink
                                request q --(cap 1, cost 0)-----------------------------------------> sink

The source supplies one unit per request and the sink absorbs them all, so every unit either reaches a
helper (a proposal) or takes the bypass arc (the request stays unmatched and is reported, never forced
onto a poor match). c_h = max_load_per_helper - current load. Min cost = -(max total score), and integral
capacities give an integral optimum, so the flow is an optimal assignment.

Pruning: `prune_top_k` keeps the k best helpers of each request (and the k best requests of each helper,
so a helper wanted by many keeps its best options); the bench measures what that costs against
`solve` on all feasible pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from domain.matching.tables import IntArray

DEFAULT_TOP_K = 12


class SolverFailed(RuntimeError):
    """The flow solver did not report an optimum; with a bypass per request that means a bug or overflow."""


@dataclass(frozen=True, slots=True)
class Assignment:
    chosen: IntArray
    """Indices into the pair arrays given to `solve`, one per matched request."""
    objective: int
    """Total integer score of the chosen pairs."""


def solve(
    *,
    request_index: IntArray,
    helper_index: IntArray,
    scores: IntArray,
    helper_capacity: IntArray,
) -> Assignment:
    """Pick pairs maximising the total score, each request at most once, helper h at most capacity[h] times.

    request_index and helper_index are indices from 0 (requests above the largest index are left out; a
    helper index may have no pair); scores are positive integers; the same (request, helper) may appear
    twice (two offers of one helper): a request still takes at most one.
    """
    n_pairs = len(request_index)
    if n_pairs == 0:
        return Assignment(chosen=np.zeros(0, dtype=np.int64), objective=0)
    n_requests = int(request_index.max()) + 1
    n_helpers = len(helper_capacity)
    source = 0
    first_request = 1
    first_helper = first_request + n_requests
    sink = first_helper + n_helpers

    requests = np.arange(n_requests, dtype=np.int64)
    helpers = np.arange(n_helpers, dtype=np.int64)
    tails = np.concatenate(
        (
            request_index + first_request,  # pair arcs first, so their arc ids are 0..n_pairs-1
            np.full(n_requests, source),
            requests + first_request,
            helpers + first_helper,
        )
    )
    heads = np.concatenate(
        (
            helper_index + first_helper,
            requests + first_request,
            np.full(n_requests, sink),
            np.full(n_helpers, sink),
        )
    )
    capacities = np.concatenate(
        (np.ones(n_pairs), np.ones(n_requests), np.ones(n_requests), np.maximum(helper_capacity, 0))
    ).astype(np.int64)
    costs = np.concatenate((-scores, np.zeros(2 * n_requests + n_helpers, dtype=np.int64))).astype(np.int64)

    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source] = n_requests
    supplies[sink] = -n_requests
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverFailed(f"min-cost flow ended with status {status}")
    chosen = np.flatnonzero(flow.flows(arcs[:n_pairs]) > 0)
    return Assignment(chosen=chosen.astype(np.int64), objective=int(scores[chosen].sum()))


def _stable_argsort(keys: IntArray) -> IntArray:
    """Stable argsort of non-negative integers."""
    if len(keys) and int(keys.max()) < 2**16:
        # numpy sorts 16-bit integers with a radix sort: several times faster on a million pairs.
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _top_k_within(group: IntArray, best_first: IntArray, k: int) -> IntArray:
    """Indices of the first k pairs of each group in the `best_first` order (a permutation of the pairs)."""
    group_sorted = group[best_first]
    by_group = _stable_argsort(group_sorted)
    group_sorted = group_sorted[by_group]
    counts = np.bincount(group_sorted)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(group_sorted)) - starts[group_sorted]
    return best_first[by_group][rank < k]


def prune_top_k(*, request_index: IntArray, helper_index: IntArray, scores: IntArray, k: int) -> IntArray:
    """Sorted indices of the pairs kept: each request's k best helpers plus each helper's k best requests.

    Ties keep the earlier pair, so the same inputs always keep the same pairs.
    """
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    best_first = _stable_argsort(int(scores.max()) - scores)
    by_request = _top_k_within(request_index, best_first, k)
    by_helper = _top_k_within(helper_index, best_first, k)
    return np.union1d(by_request, by_helper)
