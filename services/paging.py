"""Keyset pages that can be walked both ways: older (below the last id shown) and newer (above the first).

A list shown newest first continues with `before_id` (the last row's id) and goes back with `after_id` (the
first row's id). Going back reads the rows just above `after_id` oldest first and turns them round, so a
page never skips or repeats a row even when new rows arrive meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

R = TypeVar("R")

# fetch(before_id, after_id, limit): newest first below before_id, or oldest first above after_id.
Fetch = Callable[[int | None, int | None, int], list[R]]


@dataclass(frozen=True, slots=True)
class Window(Generic[R]):
    rows: list[R]  # newest first
    older: bool  # rows exist below the last one
    newer: bool  # rows exist above the first one


def window(fetch: Fetch[R], *, before_id: int | None, after_id: int | None, limit: int) -> Window[R]:
    if after_id is not None:
        rows = fetch(None, after_id, limit + 1)
        if not rows:
            # Nothing newer (any more): the newest page.
            return window(fetch, before_id=None, after_id=None, limit=limit)
        return Window(rows=list(reversed(rows[:limit])), older=True, newer=len(rows) > limit)
    rows = fetch(before_id, None, limit + 1)
    return Window(rows=rows[:limit], older=len(rows) > limit, newer=before_id is not None)


def oldest_first(fetch: Fetch[R], *, after_id: int | None, before_id: int | None, limit: int) -> Window[R]:
    """The same walk for a list shown oldest first (a queue: who waited longest comes first). `rows` are
    oldest first; `older`: earlier rows exist (a previous page), `newer`: later rows exist (a next page).
    It goes on with `after_id` (the last row's id) and goes back with `before_id` (the first row's)."""
    if before_id is not None:
        rows = fetch(before_id, None, limit + 1)
        if not rows:
            return oldest_first(fetch, after_id=None, before_id=None, limit=limit)
        return Window(rows=list(reversed(rows[:limit])), older=len(rows) > limit, newer=True)
    rows = fetch(None, after_id or 0, limit + 1)
    return Window(rows=rows[:limit], older=after_id is not None, newer=len(rows) > limit)
