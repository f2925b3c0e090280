"""Every message key the code raises exists in Dutch, French and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from buurtbank.i18n import LANGUAGES, _catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("api", "services", "domain", "store", "buurtbank", "scheduler", "stats")
KEY = re.compile(r"""["']((?:error|validation)\.[a-z_]+(?:\.[a-z_]+)*)["']""")


def _keys_in_code() -> set[str]:
    found: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(KEY.findall(path.read_text(encoding="utf-8")))
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_in_the_code_is_translated(lang: str) -> None:
    missing = sorted(k for k in _keys_in_code() if k not in _catalogue(lang))
    assert missing == []


def test_translations_use_the_same_placeholders() -> None:
    english = _catalogue("en")
    for lang in ("nl", "fr"):
        for key, text in _catalogue(lang).items():
            assert _placeholders(text) == _placeholders(english.get(key, text)), (lang, key)


def test_the_three_catalogues_have_the_same_keys() -> None:
    assert set(_catalogue("nl")) == set(_catalogue("en")) == set(_catalogue("fr"))
