"""Every message exists in Dutch, French and English, and the Dutch and French ones carry no English."""

from __future__ import annotations

import re

import pytest

from buurtbank.i18n import LANGUAGES, _catalogue, explain, has_message, terminal_language
from domain.audit import AuditAction
from domain.exchanges import ExchangeAction, ExchangeState, ProposalAction, ProposalState
from store.memberships import MembershipStatus

# Words that are English and neither Dutch nor French ("is", "in", "de" are all three or two of them).
ENGLISH = re.compile(r"\b(the|or|and|please|must|should|cannot|with|your|you|this|which|only|not|been|was)\b", re.I)
PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Identical to the English on purpose, each with its reason.
SAME_ON_PURPOSE: frozenset[str] = frozenset(
    {
        "console.error.text",  # only a placeholder: the text is translated before it is filled in
        "console.brand",  # French "console" is the English word
        "console.audit.detail",  # Dutch "Details"
        "console.exchange.helper",  # Dutch "Helper" (the one who helps)
        "console.nav.home",  # Dutch "Start" (the start page)
        "console.stats.budget",  # Dutch and French "Budget"
        "console.stats.period",  # Dutch "Per" (month or quarter)
        "console.measure.minutes",  # French "Minutes"
        "console.statement.minutes",  # French "Minutes"
        "console.review.distance",  # French "Distance"
        "console.statement.date",  # French "Date"
        "console.transfer.adjustment",  # French "Correction"
    }
)


def test_every_key_exists_in_all_three_languages() -> None:
    keys = {lang: set(_catalogue(lang)) for lang in LANGUAGES}
    everything = set().union(*keys.values())
    assert len(everything) > 200
    assert {lang: sorted(everything - found) for lang, found in keys.items()} == {lang: [] for lang in LANGUAGES}


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_dutch_and_french_are_not_english(lang: str) -> None:
    english, other = _catalogue("en"), _catalogue(lang)
    same = [key for key, text in english.items() if other.get(key) == text and key not in SAME_ON_PURPOSE]
    assert same == []
    leaks = {key: text for key, text in other.items() if ENGLISH.search(PLACEHOLDER.sub("", text))}
    assert leaks == {}


def test_the_english_detector_detects_english() -> None:
    assert ENGLISH.search("Kies een van: 'nl', 'fr' or 'en'.")
    assert not ENGLISH.search("Kies een van: 'nl', 'fr' of 'en'.")


@pytest.mark.parametrize(
    ("parameter", "values"),
    [
        ("state", [*ProposalState, *ExchangeState]),
        ("action", [*ProposalAction, *ExchangeAction]),
        ("status", list(MembershipStatus)),
        ("audit", list(AuditAction)),
    ],
)
def test_every_state_and_step_has_a_label(parameter: str, values: list[str]) -> None:
    missing = [
        f"label.{parameter}.{v}"
        for v in values
        if not all(has_message(f"label.{parameter}.{v}", lang) for lang in LANGUAGES)
    ]
    assert missing == []


def test_details_name_states_and_steps_in_the_readers_language() -> None:
    params = {"state": ExchangeState.PLANNED.value, "action": ExchangeAction.CONFIRM.value}
    dutch = explain("error.invalid_transition.detail", params, "nl")
    french = explain("error.invalid_transition.detail", params, "fr")
    assert "gepland" in dutch and "bevestigen" in dutch and "planned" not in dutch
    assert "prévu" in french and "confirmer" in french and "confirm'" not in french


def test_the_command_line_speaks_its_terminals_language() -> None:
    assert terminal_language({"LANG": "nl_BE.UTF-8"}) == "nl"
    assert terminal_language({"LANGUAGE": "fr_BE:en"}) == "fr"
    assert terminal_language({}) == "en"
    assert explain("error.not_found", {}, "nl") == _catalogue("nl")["error.not_found"]
