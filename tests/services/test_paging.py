"""Keyset pages walked both ways: every row once, in order, whatever the page size and where rows are."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.paging import Window, oldest_first, window


def _fetch(ids: list[int]):  # type: ignore[no-untyped-def]
    """What a store query answers: newest first below `before`, or oldest first above `after`."""

    def fetch(before: int | None, after: int | None, limit: int) -> list[int]:
        if after is not None:
            return [i for i in sorted(ids) if i > after][:limit]
        return [i for i in sorted(ids, reverse=True) if before is None or i < before][:limit]

    return fetch


IDS = st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=60)
LIMITS = st.integers(min_value=1, max_value=12)


@given(IDS, LIMITS)
def test_newest_first_pages_cover_every_row_once_and_lead_back(ids: list[int], limit: int) -> None:
    fetch = _fetch(ids)
    pages: list[Window[int]] = [window(fetch, before_id=None, after_id=None, limit=limit)]
    assert not pages[0].newer
    while pages[-1].older:
        pages.append(window(fetch, before_id=pages[-1].rows[-1], after_id=None, limit=limit))
    assert [i for p in pages for i in p.rows] == sorted(ids, reverse=True)
    assert all(len(p.rows) == limit for p in pages[:-1])
    # Walking back with "newer" from the last page gives the same pages, up to the first one.
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        assert back.newer
        back = window(fetch, before_id=None, after_id=back.rows[0], limit=limit)
        assert back.rows == expected.rows  # every page but the last is full
    assert not back.newer


@given(IDS, LIMITS)
def test_oldest_first_pages_cover_every_row_once_and_lead_back(ids: list[int], limit: int) -> None:
    fetch = _fetch(ids)
    pages: list[Window[int]] = [oldest_first(fetch, after_id=None, before_id=None, limit=limit)]
    assert not pages[0].older
    while pages[-1].newer:
        pages.append(oldest_first(fetch, after_id=pages[-1].rows[-1], before_id=None, limit=limit))
    assert [i for p in pages for i in p.rows] == sorted(ids)
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        assert back.older
        back = oldest_first(fetch, after_id=None, before_id=back.rows[0], limit=limit)
        assert back.rows == expected.rows
    assert not back.older


def test_a_page_back_past_the_newest_row_is_the_newest_page() -> None:
    fetch = _fetch([1, 2, 3])
    assert window(fetch, before_id=None, after_id=3, limit=2).rows == [3, 2]
    assert oldest_first(fetch, after_id=None, before_id=1, limit=2).rows == [1, 2]
