"""Bounding what one member can contribute to a figure, for member-level differential privacy (pure rules).

The privacy unit is the member: two data sets are neighbours when one member, with everything they took part
in, is removed. Most figures come from things two members share (an exchange, a matched request, a proposal),
so removing one member also changes the figures of every partner. Clamping each member's own total is not
enough: a member with 300 partners would still move a total by 300 exchanges. The totals below are *Lipschitz
extensions* computed as maximum flows (Kasiviswanathan, Nissim, Raskhodnikova and Smith, "Analyzing graphs with
node differential privacy", TCC 2013): they equal the exact figure whenever every member stays within the
bound, and removing any one member changes them by at most the stated sensitivity, whatever the data.

`bounded_total(items, bound)`: the flow network has a left and a right copy of each member; an item of amount c
shared by a and b gives the arcs a_L -> b_R and b_L -> a_R of capacity c; the source feeds every a_L and every
a_R drains to the sink with capacity `bound`. When every member's items add up to at most `bound`, the maximum
flow saturates every item arc: 2 * the exact total. Removing member v is the same as setting v's two outer arcs
to 0 (its inner arcs can then carry nothing), which lowers the minimum cut by at most 2 * bound and never raises
it. So flow // 2 has sensitivity `bound`.

`bounded_members(links, bound)`: how many members take part (as `side`): the source gives each of them one unit,
which may flow to any partner; a partner can absorb at most `bound` units. With at most `bound` partners each,
every unit gets through (the exact count); removing member v removes its unit and its sink arc: sensitivity
bound + 1.

`clamped_total`: amounts that belong to one member only (offers, requests, donations) are clamped per member:
sensitivity `bound`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow


@dataclass(frozen=True, slots=True)
class Shared:
    """An amount two different members took part in together (exchanges or minutes of a pair...)."""

    first: int
    second: int
    amount: int


class Side(StrEnum):
    EITHER = "either"  # took part at all
    FIRST = "first"  # took part as the first member of a link (gave, for giver -> receiver links)
    SECOND = "second"  # as the second (received)


def _max_flow(sources: list[int], targets: list[int], capacities: list[int], nodes: int) -> int:
    if not capacities or nodes <= 2:
        return 0
    graph = csr_array(
        (np.asarray(capacities, dtype=np.int32), (np.asarray(sources), np.asarray(targets))), shape=(nodes, nodes)
    )  # duplicate arcs are added up
    return int(maximum_flow(graph, 0, 1).flow_value)


def _numbered(members: Iterable[int]) -> dict[int, int]:
    return {member: i for i, member in enumerate(sorted(set(members)))}


def bounded_total(items: Iterable[Shared], *, bound: int) -> int:
    """Sum of the amounts, each member charged at most `bound` (sensitivity: `bound`)."""
    rows = [i for i in items if i.amount > 0]
    if bound <= 0 or not rows:
        return 0
    if any(i.first == i.second for i in rows):
        raise ValueError("a shared item needs two different members")
    number = _numbered(m for i in rows for m in (i.first, i.second))
    n = len(number)

    def left(k: int) -> int:
        return 2 + number[k]  # nodes 0 and 1 are the source and the sink

    def right(k: int) -> int:
        return 2 + n + number[k]

    sources: list[int] = []
    targets: list[int] = []
    capacities: list[int] = []
    for i in rows:
        for a, b in ((i.first, i.second), (i.second, i.first)):
            sources.append(left(a))
            targets.append(right(b))
            capacities.append(min(i.amount, bound))  # more could never pass the outer arcs anyway
    for k in number:
        sources += [0, right(k)]
        targets += [left(k), 1]
        capacities += [bound, bound]
    return _max_flow(sources, targets, capacities, 2 + 2 * n) // 2


def bounded_members(links: Iterable[tuple[int, int]], *, bound: int, side: Side = Side.EITHER) -> int:
    """Members who took part in at least one link (on `side`), each absorbing at most `bound` others' units
    (sensitivity: bound + 1). Exact when nobody has more than `bound` partners."""
    pairs = {(a, b) for a, b in links if a != b}
    if bound <= 0 or not pairs:
        return 0
    arcs: set[tuple[int, int]] = set()
    for a, b in pairs:
        if side in (Side.EITHER, Side.FIRST):
            arcs.add((a, b))
        if side in (Side.EITHER, Side.SECOND):
            arcs.add((b, a))
    counted = {a for a, _ in arcs}
    number = _numbered(m for arc in arcs for m in arc)
    n = len(number)
    sources = [0] * len(counted) + [2 + number[a] for a, _ in arcs] + [2 + n + number[k] for k in number]
    targets = [2 + number[a] for a in counted] + [2 + n + number[b] for _, b in arcs] + [1] * n
    capacities = [1] * (len(counted) + len(arcs)) + [bound] * n
    return _max_flow(sources, targets, capacities, 2 + 2 * n)


def clamped_total(amounts: Mapping[int, int], *, bound: int) -> int:
    """Sum over members of min(amount, bound) for amounts that are one member's own (sensitivity: `bound`)."""
    return sum(min(max(0, amount), bound) for amount in amounts.values()) if bound > 0 else 0
