"""Inequality of minutes given and of minutes received across the active members of a window.

Gini coefficient (population form, no small-sample correction), for values x_1 <= ... <= x_n:

    G = sum_i (2i - n - 1) x_i / (n * sum_i x_i)

0 when everyone gave (or received) the same number of minutes; (n-1)/n, the largest possible value, when
one member did all of it. Active members who gave nothing count as zeros in the Gini of giving, and
likewise for receiving, so both are measured over the same population. We do not take the Gini of signed
balances: it is not defined for negative values and would mix two different questions.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def gini(values: Iterable[int | float]) -> float | None:
    """Gini coefficient of non-negative values; None for no values or an all-zero total."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        return _integer_gini(values)
    data = sorted(values)
    if data and data[0] < 0:
        raise ValueError("the Gini coefficient needs non-negative values")
    n = len(data)
    total = sum(data)
    if n == 0 or total == 0:
        return None
    weighted = sum((2 * i - n - 1) * x for i, x in enumerate(data, start=1))
    return weighted / (n * total)


def _integer_gini(values: np.ndarray) -> float | None:
    """gini() of an integer array: the same integer sums, then the same exactly rounded int / int division."""
    data = np.sort(values.astype(np.int64))
    if len(data) and data[0] < 0:
        raise ValueError("the Gini coefficient needs non-negative values")
    n = len(data)
    total = int(data.sum())
    if n == 0 or total == 0:
        return None
    if n * total >= 2**63:  # |weighted| <= n * total: past int64, add up in Python integers instead
        return gini(data.tolist())
    weighted = int((2 * np.arange(1, n + 1, dtype=np.int64) - n - 1) @ data)
    return weighted / (n * total)
