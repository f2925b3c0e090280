"""The directed giver -> receiver network of a window, built from per-pair minute totals.

A tie i -> j exists when member i gave member j at least one minute in the window; its weight w_ij is the
total of those minutes. Node keys are opaque integers the query assigns (they are never published).

A quarter of all antennas has some 50,000 pair rows, and the measures run on 44 windows per quarter, so the
network is held as numpy arrays (Ties) rather than as a dict of tuples, and strongly connected components
come from scipy's csgraph (an iterative algorithm: a long chain of exchanges cannot exhaust any recursion
limit). Every figure is an integer sum, so the arrays give exactly what the dict version gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class PairFlow:
    """Minutes that `giver` gave `receiver` in a window (one row of a GROUP BY giver, receiver)."""

    giver: int
    receiver: int
    minutes: int


_GIVER, _RECEIVER, _MINUTES = attrgetter("giver"), attrgetter("receiver"), attrgetter("minutes")
_DIRECT_KEYS = 1 << 20


@dataclass(frozen=True, slots=True, eq=False)
class Ties:
    """Directed ties, one per (giver, receiver), sorted by (giver, receiver) node number.

    `givers` and `receivers` are node numbers 0..len(nodes)-1; `nodes` maps them back to the callers' keys.
    """

    nodes: np.ndarray
    givers: np.ndarray
    receivers: np.ndarray
    minutes: np.ndarray

    @classmethod
    def from_arrays(cls, givers: np.ndarray, receivers: np.ndarray, minutes: np.ndarray) -> Ties:
        """Ties from rows (giver, receiver, minutes); rows for the same pair are added up.

        Refuses the first bad row, as the row-by-row version did: a self-exchange, or non-positive minutes.
        """
        givers, receivers, minutes = (np.asarray(a, dtype=np.int64) for a in (givers, receivers, minutes))
        bad = np.flatnonzero((givers == receivers) | (minutes <= 0))
        if bad.size:
            if givers[bad[0]] == receivers[bad[0]]:
                raise InvalidInput("error.stats.self_exchange")
            raise InvalidInput("error.stats.non_positive_minutes")
        return cls._summed(givers, receivers, minutes)

    @classmethod
    def _summed(cls, givers: np.ndarray, receivers: np.ndarray, minutes: np.ndarray) -> Ties:
        nodes, numbers = _numbered(np.concatenate((givers, receivers)))
        count = len(nodes)
        if not count:
            return cls(nodes=nodes, givers=numbers, receivers=numbers, minutes=minutes)
        keys = numbers[: len(givers)] * count + numbers[len(givers) :]
        order = np.argsort(keys)
        keys = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        unique = keys[starts]
        return cls(
            nodes=nodes,
            givers=unique // count,
            receivers=unique % count,
            minutes=np.add.reduceat(minutes[order], starts),
        )

    @classmethod
    def from_flows(cls, flows: Sequence[PairFlow]) -> Ties:
        n = len(flows)
        return cls.from_arrays(
            np.fromiter(map(_GIVER, flows), dtype=np.int64, count=n),
            np.fromiter(map(_RECEIVER, flows), dtype=np.int64, count=n),
            np.fromiter(map(_MINUTES, flows), dtype=np.int64, count=n),
        )

    def __len__(self) -> int:
        return len(self.minutes)

    def total_minutes(self) -> int:
        return int(self.minutes.sum())

    def reverse_positions(self) -> np.ndarray:
        """For each tie i -> j, the position of the tie j -> i, or -1 when j never gave to i."""
        if not len(self):
            return np.empty(0, dtype=np.int64)
        count = len(self.nodes)
        keys = self.givers * count + self.receivers  # sorted: the ties are in (giver, receiver) order
        reverse = self.receivers * count + self.givers
        positions = np.minimum(np.searchsorted(keys, reverse), len(keys) - 1)
        return np.where(keys[positions] == reverse, positions, -1)

    def component_labels(self) -> np.ndarray:
        """Strongly connected component number of every node."""
        count = len(self.nodes)
        graph = csr_array((np.ones(len(self), dtype=np.int32), (self.givers, self.receivers)), shape=(count, count))
        return connected_components(graph, directed=True, connection="strong")[1]

    def cycle_minutes(self) -> int:
        """Minutes on ties whose two ends lie in the same strongly connected component of two or more members.

        Such a tie lies on a directed cycle: the minutes given along it come back to the giver, possibly
        through other members (generalised, or indirect, reciprocity).
        """
        if not len(self):
            return 0
        labels = self.component_labels()
        together = (labels[self.givers] == labels[self.receivers]) & (np.bincount(labels)[labels[self.givers]] > 1)
        return int(self.minutes[together].sum())

    def as_dict(self) -> dict[tuple[int, int], int]:
        givers, receivers = self.nodes[self.givers].tolist(), self.nodes[self.receivers].tolist()
        return dict(zip(zip(givers, receivers, strict=True), self.minutes.tolist(), strict=True))


def _numbered(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True), without sorting when the keys are small non-negative integers
    (member ids are): a table with one slot per possible key is faster than a sort."""
    if not len(keys) or keys.min() < 0 or keys.max() >= max(_DIRECT_KEYS, 4 * len(keys)):
        return np.unique(keys, return_inverse=True)
    present = np.zeros(int(keys.max()) + 1, dtype=bool)
    present[keys] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[keys]


def weighted_ties(flows: Iterable[PairFlow]) -> dict[tuple[int, int], int]:
    """Directed ties with their total minutes; rows for the same pair are added up."""
    return Ties.from_flows(tuple(flows)).as_dict()


def strongly_connected_components(nodes: Iterable[int], edges: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Every node, listed or an edge's end, in exactly one component; components in no particular order."""
    listed = np.fromiter(nodes, dtype=np.int64)
    pairs = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
    keys, numbers = np.unique(np.concatenate((listed, pairs[:, 0], pairs[:, 1])), return_inverse=True)
    sources, targets = numbers[len(listed) : len(listed) + len(pairs)], numbers[len(listed) + len(pairs) :]
    graph = csr_array((np.ones(len(pairs), dtype=np.int32), (sources, targets)), shape=(len(keys), len(keys)))
    _, labels = connected_components(graph, directed=True, connection="strong")
    components: dict[int, set[int]] = {}
    for key, label in zip(keys.tolist(), labels.tolist(), strict=True):
        components.setdefault(label, set()).add(key)
    return list(components.values())


def minutes_in_cycles(ties: Mapping[tuple[int, int], int]) -> int:
    """Minutes on ties that lie on a directed cycle (see Ties.cycle_minutes)."""
    pairs = np.array(list(ties.keys()), dtype=np.int64).reshape(-1, 2)
    minutes = np.fromiter(ties.values(), dtype=np.int64, count=len(ties))
    return Ties._summed(pairs[:, 0], pairs[:, 1], minutes).cycle_minutes()
