"""Anchors: softer lines inside the credit limits that flag a member to moderators without blocking."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.antenna_config import Credit
from domain.ledger import Limit, anchors_crossed, beyond_anchor

CREDIT = Credit(
    lowest_balance_minutes=-600, highest_balance_minutes=6000, low_anchor_minutes=-300, high_anchor_minutes=3000
)


def test_going_past_the_low_anchor_is_flagged_once() -> None:
    assert anchors_crossed(before=-240, after=-360, limits=CREDIT) == [Limit.LOWEST]
    assert anchors_crossed(before=-360, after=-420, limits=CREDIT) == []  # already past: no new flag
    assert anchors_crossed(before=-360, after=-240, limits=CREDIT) == []  # coming back is good news
    assert anchors_crossed(before=-300, after=-315, limits=CREDIT) == [Limit.LOWEST]


def test_going_past_the_high_anchor_is_flagged() -> None:
    assert anchors_crossed(before=2990, after=3005, limits=CREDIT) == [Limit.HIGHEST]
    assert anchors_crossed(before=3000, after=3000, limits=CREDIT) == []


def test_without_anchors_nothing_is_flagged() -> None:
    bare = Credit(lowest_balance_minutes=-600, highest_balance_minutes=6000)
    assert anchors_crossed(before=0, after=-599, limits=bare) == []
    assert not beyond_anchor(-599, bare)
    assert beyond_anchor(-301, CREDIT) and beyond_anchor(3001, CREDIT) and not beyond_anchor(-300, CREDIT)


@pytest.mark.parametrize(
    "fields",
    [
        {"low_anchor_minutes": -700},  # outside the lowest balance
        {"high_anchor_minutes": 7000},  # outside the highest balance
        {"low_anchor_minutes": 15},  # a low anchor above zero
    ],
)
def test_anchors_must_lie_inside_the_limits(fields: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        Credit(lowest_balance_minutes=-600, highest_balance_minutes=6000, **fields)
