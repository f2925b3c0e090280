"""Reciprocity on a hand-built network, against networkx on random ones, and exactly equal to the figures
computed row by row from their definitions."""

import random
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from domain.errors import InvalidInput
from domain.stats.inequality import gini
from domain.stats.network import PairFlow, minutes_in_cycles, strongly_connected_components, weighted_ties
from domain.stats.reciprocity import (
    MemberTotals,
    ReciprocityInput,
    balance_class,
    compute_reciprocity,
)

# Members 1, 2, 3 form a circle (1 -> 2 -> 3 -> 1) with a way back 2 -> 1; member 4 only receives.
FLOWS = (
    PairFlow(1, 2, 30),
    PairFlow(2, 1, 10),
    PairFlow(2, 3, 20),
    PairFlow(3, 1, 20),
    PairFlow(3, 4, 45),
)


def _totals(flows):
    given, received = {}, {}
    for f in flows:
        given[f.giver] = given.get(f.giver, 0) + f.minutes
        received[f.receiver] = received.get(f.receiver, 0) + f.minutes
    members = set(given) | set(received)
    return tuple(MemberTotals(given.get(m, 0), received.get(m, 0)) for m in sorted(members))


def test_hand_built_network():
    r = compute_reciprocity(
        ReciprocityInput(members=(*_totals(FLOWS), MemberTotals(0, 0)), flows=FLOWS, days_to_first_giving=(4, 9))
    )
    assert r.active_members == 4  # the member without minutes is not active
    assert r.gave_and_received.value == 0.75  # members 1, 2, 3
    # Balance ratios: 1 -> 0, 2 -> 0, 3 -> (65 - 20) / 85 = 0.53, 4 -> -1.
    assert (r.balance_classes.givers, r.balance_classes.balanced, r.balance_classes.receivers) == (1, 2, 1)
    assert r.ties == 5 and r.reciprocated_ties == 2
    assert r.dyadic_reciprocity == pytest.approx(2 / 5)
    assert r.total_minutes == 125
    assert r.weighted_reciprocity == pytest.approx(2 * 10 / 125)
    assert r.cycle_minutes_share == pytest.approx((30 + 10 + 20 + 20) / 125)
    assert r.gini_given == pytest.approx(195 / 500)  # given: 0, 30, 30, 65
    assert r.gini_received == pytest.approx(75 / 500)  # received: 20, 30, 30, 45
    assert r.days_to_first_giving.value == 6.5 and r.days_to_first_receiving.value is None


def test_balance_class_boundaries_are_balanced():
    assert balance_class(2, 1) == "balanced"  # ratio exactly 1/3
    assert balance_class(1, 2) == "balanced"  # ratio exactly -1/3
    assert balance_class(3, 1) == "giver"
    assert balance_class(0, 15) == "receiver"


def test_pair_rows_add_up_and_bad_rows_are_refused():
    assert weighted_ties([PairFlow(1, 2, 15), PairFlow(1, 2, 30)]) == {(1, 2): 45}
    with pytest.raises(InvalidInput):
        weighted_ties([PairFlow(1, 1, 15)])
    with pytest.raises(InvalidInput):
        weighted_ties([PairFlow(1, 2, 0)])


def test_empty_window():
    r = compute_reciprocity(ReciprocityInput(members=(), flows=()))
    assert r.dyadic_reciprocity is None and r.cycle_minutes_share is None and r.gini_given is None


def test_long_chain_does_not_recurse():
    n = 20_000
    edges = [(i, i + 1) for i in range(n)] + [(n, 0)]
    assert [len(c) for c in strongly_connected_components((), edges)] == [n + 1]


def _random_flows(rng: random.Random) -> tuple[PairFlow, ...]:
    n = rng.randint(2, 25)
    p = rng.uniform(0.02, 0.4)
    return tuple(
        PairFlow(i, j, 15 * rng.randint(1, 8)) for i in range(n) for j in range(n) if i != j and rng.random() < p
    )


def _digraph(flows) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_weighted_edges_from((f.giver, f.receiver, f.minutes) for f in flows)
    return graph


@pytest.mark.parametrize("seed", range(60))
def test_against_networkx_on_random_networks(seed):
    rng = random.Random(seed)
    flows = _random_flows(rng)
    if not flows:
        return
    graph = _digraph(flows)
    r = compute_reciprocity(ReciprocityInput(members=_totals(flows), flows=flows))

    assert r.dyadic_reciprocity == pytest.approx(nx.reciprocity(graph))

    ours = sorted(sorted(c) for c in strongly_connected_components(graph.nodes, graph.edges))
    theirs = sorted(sorted(c) for c in nx.strongly_connected_components(graph))
    assert ours == theirs
    component = {n: i for i, c in enumerate(nx.strongly_connected_components(graph)) for n in c}
    sizes = {i: sum(1 for v in component.values() if v == i) for i in set(component.values())}
    expected = sum(
        w for u, v, w in graph.edges(data="weight") if component[u] == component[v] and sizes[component[u]] > 1
    )
    assert minutes_in_cycles(weighted_ties(flows)) == expected

    # Weighted reciprocity straight from its definition: sum over ordered pairs of min(w_ij, w_ji) / W.
    mutual = sum(min(w, graph[v][u]["weight"]) for u, v, w in graph.edges(data="weight") if graph.has_edge(v, u))
    assert r.weighted_reciprocity == pytest.approx(mutual / graph.size(weight="weight"))


def _row_by_row(data: ReciprocityInput) -> tuple:
    """The measures from their definitions, one member and one tie at a time (what the arrays must equal)."""
    active = [m for m in data.members if m.given_minutes + m.received_minutes > 0]
    classes = [balance_class(m.given_minutes, m.received_minutes) for m in active]
    ties: dict[tuple[int, int], int] = {}
    for f in data.flows:
        ties[(f.giver, f.receiver)] = ties.get((f.giver, f.receiver), 0) + f.minutes
    graph = nx.DiGraph(list(ties))
    component = {n: i for i, c in enumerate(nx.strongly_connected_components(graph)) for n in c}
    sizes = Counter(component.values())
    mutual = [(i, j) for i, j in ties if (j, i) in ties]
    return (
        len(active),
        sum(1 for m in active if m.given_minutes and m.received_minutes),
        tuple(classes.count(c) for c in ("giver", "balanced", "receiver")),
        len(ties),
        len(mutual),
        sum(ties.values()),
        sum(min(ties[(i, j)], ties[(j, i)]) for i, j in mutual),
        sum(w for (i, j), w in ties.items() if component[i] == component[j] and sizes[component[i]] > 1),
        gini([m.given_minutes for m in active]),
        gini([m.received_minutes for m in active]),
    )


@pytest.mark.parametrize("seed", range(40))
def test_exactly_the_row_by_row_figures(seed):
    rng = random.Random(seed)
    # Repeated pair rows (as when months are added up to a quarter), sparse, huge or negative node keys (two
    # ways of numbering the nodes), members without flows.
    key = (lambda n: 1000 * n + 7, lambda n: 2**40 + 3 * n, lambda n: -n)[seed % 3]
    flows = tuple(PairFlow(key(f.giver), key(f.receiver), f.minutes) for f in _random_flows(rng) * rng.randint(1, 3))
    members = (*_totals(flows), *(MemberTotals(0, 0) for _ in range(rng.randint(0, 3))))
    r = compute_reciprocity(ReciprocityInput(members=members, flows=flows))
    assert (
        r.active_members,
        r.gave_and_received.numerator,
        (r.balance_classes.givers, r.balance_classes.balanced, r.balance_classes.receivers),
        r.ties,
        r.reciprocated_ties,
        r.total_minutes,
        r.reciprocated_minutes,
        r.cycle_minutes,
        r.gini_given,
        r.gini_received,
    ) == _row_by_row(ReciprocityInput(members=members, flows=flows))
    assert minutes_in_cycles(weighted_ties(flows)) == r.cycle_minutes


def test_first_bad_row_decides_the_error():
    with pytest.raises(InvalidInput) as refused:
        weighted_ties([PairFlow(1, 2, 15), PairFlow(3, 4, 0), PairFlow(5, 5, 15)])
    assert refused.value.message_key == "error.stats.non_positive_minutes"
    with pytest.raises(InvalidInput) as refused:
        weighted_ties([PairFlow(5, 5, 15), PairFlow(3, 4, 0)])
    assert refused.value.message_key == "error.stats.self_exchange"
    with pytest.raises(InvalidInput):
        compute_reciprocity(ReciprocityInput(members=(MemberTotals(-1, 0),), flows=()))


def test_integer_gini_is_the_list_gini():
    rng = random.Random(3)
    for _ in range(50):
        values = [rng.choice((0, 15, 30, 45, 60, 600, 10**6)) for _ in range(rng.randint(0, 40))]
        assert gini(np.array(values, dtype=np.int64)) == gini(values)
