"""Bridging on hand-built profiles, and the baseline against networkx's attribute assortativity.

Identity tested: for an undirected simple graph of ties whose nodes carry one categorical attribute,
networkx.attribute_assortativity_coefficient gives r = (sum_k e_kk - sum_k a_k²) / (1 - sum_k a_k²), with
e the mixing matrix of tie ends and a_k the share of tie ends in category k. The internal share of ties
is sum_k e_kk = 1 - s (s = E / (E + I), each tie counted once), and 1 - sum_k a_k² is the Blau index
computed over tie ends (each member weighted by its degree). Hence

    s / Blau_degree_weighted = 1 - r      exactly, on every graph with at least two categories.

Our baseline weights each active member once, so `baseline_ratio == 1 - r` holds exactly when every member
has the same degree (random regular graphs), and only approximately otherwise.
"""

import random
from collections import Counter

import networkx as nx
import pytest

from domain.errors import InvalidInput
from domain.stats.bridging import (
    BackgroundProfile,
    BridgingCohort,
    BridgingInput,
    ProfileCount,
    ProfilePairExchanges,
    blau_heterogeneity,
    compute_bridging,
    differs,
    random_mixing_external_share,
)

P1 = BackgroundProfile(languages=frozenset({"nl", "fr"}), origin="BE", age_band="25-44")
P2 = BackgroundProfile(languages=frozenset({"ar", "fr"}), origin="Maghreb", age_band="45-64")
P3 = BackgroundProfile(languages=frozenset({"ar"}), origin="Maghreb")


def _hand_built():
    return {
        b.dimension: b
        for b in compute_bridging(
            BridgingInput(
                pair_exchanges=(
                    ProfilePairExchanges(P1, P2, 4),
                    ProfilePairExchanges(P1, P3, 3),
                    ProfilePairExchanges(P2, P3, 5),
                    ProfilePairExchanges(P1, P1, 2),
                ),
                active_profiles=(ProfileCount(P1, 6), ProfileCount(P2, 3), ProfileCount(P3, 1)),
                cohorts=(
                    BridgingCohort("origin", members=8, bridged_within_six_months=2, days_to_first_bridge=(30, 90)),
                ),
            )
        )
    }


def test_differs_rules():
    assert differs("languages", P1, P2) is False  # share fr
    assert differs("languages", P1, P3) is True  # no common language
    assert differs("age_band", P1, P3) is None  # P3 did not declare an age band
    assert differs("circle", P1, P2) is None
    assert differs("any", P2, P3) is False
    assert differs("any", P1, BackgroundProfile()) is None
    with pytest.raises(InvalidInput):
        differs("religion", P1, P2)


def test_hand_built_counts():
    b = _hand_built()
    assert (b["languages"].external, b["languages"].internal) == (3, 11)
    assert (b["origin"].external, b["origin"].internal) == (7, 7)
    assert (b["age_band"].external, b["age_band"].internal) == (4, 2)  # pairs with P3 left out
    assert (b["circle"].external, b["circle"].internal) == (0, 0)
    assert (b["any"].external, b["any"].internal) == (7, 7)


def test_hand_built_figures():
    origin = _hand_built()["origin"]
    assert origin.external_share == 0.5 and origin.ei_index == 0.0
    assert origin.blau == pytest.approx(1 - 0.6**2 - 0.4**2)  # BE 6, Maghreb 4
    assert origin.baseline_ratio == pytest.approx(0.5 / 0.48)
    assert origin.comparable_members == 10 and origin.smallest_group == 4
    assert origin.cohort.value == 0.25 and origin.days_to_first_bridge.value == 60
    interval = origin.external_share_interval
    assert interval.lower < 0.5 < interval.upper

    b = _hand_built()
    assert b["languages"].ei_index == pytest.approx((3 - 11) / 14)
    assert b["languages"].blau == pytest.approx(2 * 6 * 1 / 100)  # only P1 and P3 share no language
    assert b["languages"].smallest_group == 1
    assert b["age_band"].blau == pytest.approx(1 - (6 / 9) ** 2 - (3 / 9) ** 2)
    assert b["any"].blau == pytest.approx((2 * 6 * 3 + 2 * 6 * 1) / 100)
    assert b["circle"].external_share is None and b["circle"].blau is None and b["circle"].baseline_ratio is None


def test_single_valued_baseline_is_blau():
    counts = {"BE": 5, "EU": 3, "Maghreb": 2}
    profiles = [ProfileCount(BackgroundProfile(origin=k), v) for k, v in counts.items()]
    assert random_mixing_external_share("origin", profiles) == pytest.approx(blau_heterogeneity(counts.values()))
    assert blau_heterogeneity([]) is None


CATEGORIES = ("BE", "EU", "Maghreb", "Turkey")


def _external_share(graph, attribute):
    external = sum(1 for u, v in graph.edges if graph.nodes[u][attribute] != graph.nodes[v][attribute])
    return external / graph.number_of_edges()


@pytest.mark.parametrize("seed", range(30))
def test_share_over_degree_weighted_blau_is_one_minus_assortativity(seed):
    rng = random.Random(seed)
    graph = nx.gnm_random_graph(rng.randint(6, 40), rng.randint(8, 80), seed=seed)
    graph.remove_nodes_from([n for n in list(graph) if graph.degree(n) == 0])
    for node in graph:
        graph.nodes[node]["origin"] = rng.choice(CATEGORIES)
    ends = Counter()
    for u, v in graph.edges:
        ends[graph.nodes[u]["origin"]] += 1
        ends[graph.nodes[v]["origin"]] += 1
    if len(ends) < 2:
        return
    r = nx.attribute_assortativity_coefficient(graph, "origin")
    assert _external_share(graph, "origin") / blau_heterogeneity(ends.values()) == pytest.approx(1 - r)


def _bridging_of(graph) -> float | None:
    pairs = tuple(
        ProfilePairExchanges(
            BackgroundProfile(origin=graph.nodes[u]["origin"]), BackgroundProfile(origin=graph.nodes[v]["origin"]), 1
        )
        for u, v in graph.edges
    )
    members = Counter(graph.nodes[n]["origin"] for n in graph)
    profiles = tuple(ProfileCount(BackgroundProfile(origin=k), c) for k, c in members.items())
    (origin,) = [b for b in compute_bridging(BridgingInput(pairs, profiles)) if b.dimension == "origin"]
    return origin.baseline_ratio


@pytest.mark.parametrize("seed", range(30))
def test_baseline_ratio_is_one_minus_assortativity_on_regular_graphs(seed):
    rng = random.Random(seed)
    graph = nx.random_regular_graph(rng.choice((2, 3, 4)), 2 * rng.randint(5, 20), seed=seed)
    for node in graph:
        graph.nodes[node]["origin"] = rng.choice(CATEGORIES)
    if len({graph.nodes[n]["origin"] for n in graph}) < 2:
        return
    r = nx.attribute_assortativity_coefficient(graph, "origin")
    assert _bridging_of(graph) == pytest.approx(1 - r)


def test_known_mixing_homophily_and_random():
    # Two groups of 40; a planted-partition graph with ties four times likelier inside a group than across.
    homophilous = nx.planted_partition_graph(2, 40, p_in=0.2, p_out=0.05, seed=7)
    mixed = nx.planted_partition_graph(2, 40, p_in=0.1, p_out=0.1, seed=7)
    ratios = []
    for graph in (homophilous, mixed):
        for node in graph:
            graph.nodes[node]["origin"] = "BE" if node < 40 else "Maghreb"
        ratio = _bridging_of(graph)
        # Degrees vary a little, so member- and degree-weighted Blau differ slightly: 1 - r only roughly.
        assert ratio == pytest.approx(1 - nx.attribute_assortativity_coefficient(graph, "origin"), abs=0.05)
        ratios.append(ratio)
    # Expected share across: 0.05 / (0.2 + 0.05) = 0.2 against Blau 0.5, a ratio near 0.4; random mixing near 1.
    assert ratios[0] == pytest.approx(0.4, abs=0.1)
    assert ratios[1] == pytest.approx(1.0, abs=0.15)
