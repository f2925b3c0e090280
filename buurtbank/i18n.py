"""Messages a person sees, in Dutch, French and English, read from gettext catalogues with Babel.

Catalogues live in buurtbank/locales/<lang>/<topic>.po (one topic per file, so features do not edit the
same file). Message ids are stable keys such as `error.credit_limit`; translations use `{name}`
placeholders filled with str.format. A key missing in a language falls back to English, then to the key.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LANGUAGES = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "en"
_LOCALES = Path(__file__).parent / "locales"


@cache
def _catalogue(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for po_file in sorted((_LOCALES / lang).glob("*.po")):
        with po_file.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string:
                    messages[str(message.id)] = str(message.string)
    return messages


def negotiate(accept_language: str | None) -> str:
    """Pick nl, fr or en from an Accept-Language header, honouring q-values; English by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    template = _catalogue(lang).get(key) or _catalogue(DEFAULT_LANGUAGE).get(key) or key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def has_message(key: str, lang: str) -> bool:
    return key in _catalogue(lang)


# Parameters whose values are themselves words of the rules (a state, a step): shown translated, through
# the `label.<parameter>.<value>` messages (locales/*/contract.po), never as the English enum value.
LABELLED_PARAMETERS = ("state", "action", "status")


def localised_params(params: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(params)
    for name in LABELLED_PARAMETERS:
        key = f"label.{name}.{params.get(name)}"
        if name in params and has_message(key, DEFAULT_LANGUAGE):
            out[name] = translate(key, lang)
    return out


def terminal_language(environ: dict[str, str]) -> str:
    """The command line's language, from LANGUAGE or LANG (nl_BE.UTF-8 -> nl); English by default."""
    raw = environ.get("LANGUAGE") or environ.get("LANG") or ""
    return negotiate(",".join(part.split(".")[0].replace("_", "-") for part in raw.split(":")))


def for_terminal(message_key: str, params: dict[str, Any]) -> str:
    """A domain error's sentence for the command line, in the terminal's language."""
    return explain(message_key, params, terminal_language(dict(os.environ)))


def explain(message_key: str, params: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """The sentence a person reads for a domain error's key and parameters (the detail, else the key's text)."""
    for key in (f"{message_key}.detail", message_key):
        if has_message(key, DEFAULT_LANGUAGE):
            return translate(key, lang, **localised_params(params, lang))
    return translate("error.domain", lang)
