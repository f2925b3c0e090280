"""The explanation messages of a round, rendered in Dutch, French and English (services/explanations.py)."""

from __future__ import annotations

import pytest

from domain.background import AGE_BANDS, ORIGINS
from domain.matching.explain import member_distance_message
from services.explanations import in_every_language, render, render_message
from tests.domain.test_matching_round import small_round


def test_explanations_exist_in_each_language_and_differ() -> None:
    texts = in_every_language(small_round()[1].proposals[0].explanation)
    assert len(set(texts.values())) == 3
    assert "500 m to 1 km" in texts["en"] and "500 m tot 1 km" in texts["nl"] and "500 m à 1 km" in texts["fr"]
    assert "Bridging" in texts["en"] and "Overbruggende" in texts["nl"] and "passerelle" in texts["fr"]
    assert "5 h" in texts["en"]  # the helper received five hours more than given
    assert "Translation" in texts["en"] and "Vertalen" in texts["nl"] and "Traduction" in texts["fr"]
    assert "{" not in "".join(texts.values()), "every placeholder is filled"


def test_explanations_name_dimensions_never_background_values() -> None:
    _, result = small_round()
    values = ["fr", "ar", "BE", "Maghreb", "25-44", "65-79", "parish-sint-gillis", "mosque-al-khalil"]
    for proposal in result.proposals:
        text = render(proposal.explanation, "en")
        words = text.replace(".", " ").replace(",", " ").split()
        assert not set(words) & set(values)
        assert "language" in text or not proposal.bridging


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_member_safe_distance_reveals_no_background(lang: str) -> None:
    texts = {render_message(member_distance_message(d), lang) for d in (120, 650, 1400, 2600)}
    assert len(texts) == 4
    background_words = {*ORIGINS, *AGE_BANDS, "language", "taal", "langue", "origin", "herkomst", "origine"}
    for text in texts:
        assert not any(word in text for word in background_words)
