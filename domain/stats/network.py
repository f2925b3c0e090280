"""The directed giver -> receiver network of a window, built from per-pair minute totals.

A tie i -> j exists when member i gave member j at least one minute in the window; its weight w_ij is the
total of those minutes. Node keys are opaque integers the query assigns (they are never published).
Strongly connected components are found with an iterative version of Tarjan's algorithm, so a long chain
of exchanges cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class PairFlow:
    """Minutes that `giver` gave `receiver` in a window (one row of a GROUP BY giver, receiver)."""

    giver: int
    receiver: int
    minutes: int


def weighted_ties(flows: Iterable[PairFlow]) -> dict[tuple[int, int], int]:
    """Directed ties with their total minutes; rows for the same pair are added up."""
    ties: dict[tuple[int, int], int] = defaultdict(int)
    for flow in flows:
        if flow.giver == flow.receiver:
            raise InvalidInput("error.stats.self_exchange")
        if flow.minutes <= 0:
            raise InvalidInput("error.stats.non_positive_minutes")
        ties[(flow.giver, flow.receiver)] += flow.minutes
    return dict(ties)


def strongly_connected_components(nodes: Iterable[int], edges: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Tarjan's algorithm without recursion: every node ends up in exactly one component."""
    successors: dict[int, list[int]] = defaultdict(list)
    all_nodes = dict.fromkeys(nodes)
    for source, target in edges:
        successors[source].append(target)
        all_nodes.setdefault(source)
        all_nodes.setdefault(target)

    index: dict[int, int] = {}
    lowlink: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[set[int]] = []
    counter = 0

    for root in all_nodes:
        if root in index:
            continue
        # Each frame is (node, position of the next successor to look at).
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = lowlink[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = successors[node]
            descended = False
            while position < len(children):
                child = children[position]
                position += 1
                if child not in index:
                    work.append((node, position))
                    work.append((child, 0))
                    descended = True
                    break
                if child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
            if descended:
                continue
            if lowlink[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
    return components


def minutes_in_cycles(ties: Mapping[tuple[int, int], int]) -> int:
    """Minutes on ties whose two ends lie in the same strongly connected component of two or more members.

    Such a tie lies on a directed cycle: the minutes given along it come back to the giver, possibly through
    other members (generalised, or indirect, reciprocity).
    """
    components = strongly_connected_components((), ties.keys())
    component_of = {}
    for number, component in enumerate(components):
        if len(component) > 1:
            for node in component:
                component_of[node] = number
    return sum(
        minutes
        for (giver, receiver), minutes in ties.items()
        if giver in component_of and component_of[giver] == component_of.get(receiver)
    )
