"""Renders the domain's explanation messages (domain.matching.explain) in a reader's language."""

from __future__ import annotations

from collections.abc import Iterable

from buurtbank.i18n import translate
from domain.categories import category
from domain.matching.explain import CategoryLabel, Hours, Message, Param

LANGUAGES = ("nl", "fr", "en")


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:.0f}" if hours >= 10 else f"{hours:.1f}".rstrip("0").rstrip(".")


def _category(key: str, lang: str) -> str:
    found = category(key)
    return key if found is None else str(getattr(found, lang, found.en))


def _value(param: Param, lang: str) -> str | int:
    if isinstance(param, Message):
        return render_message(param, lang)
    if isinstance(param, tuple):
        return ", ".join(render_message(m, lang) for m in param)
    if isinstance(param, CategoryLabel):
        return _category(param.key, lang)
    if isinstance(param, Hours):
        return _hours(param.minutes)
    return param


def render_message(message: Message, lang: str) -> str:
    return translate(message.key, lang, **{name: _value(value, lang) for name, value in message.params.items()})


def render(parts: Iterable[Message], lang: str) -> str:
    """The sentences joined into one paragraph."""
    return " ".join(render_message(part, lang) for part in parts)


def in_every_language(parts: Iterable[Message]) -> dict[str, str]:
    messages = tuple(parts)
    return {lang: render(messages, lang) for lang in LANGUAGES}
