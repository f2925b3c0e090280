"""Rules for accounts: member numbers, one-time codes, and which passwords and PINs are acceptable.

Plain Python: the common-password list is zxcvbn's (30,000 passwords seen most often in leaks), imported
as data with the package, so no file or network is read here.
"""

from __future__ import annotations

import re
import secrets

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from domain.errors import InvalidInput

COMMON_PASSWORDS: frozenset[str] = frozenset(FREQUENCY_LISTS["passwords"])
MIN_PASSWORD_LENGTH = 8
PIN_LENGTH = 6

# Codes people read from paper and type on a phone: no 0/O, 1/I/L, and grouped in fours.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

_NUMBER = re.compile(r"^([A-Z]{3})[\s-]?(\d{4,6})$")


# --- member numbers ----------------------------------------------------------------------------------------


def member_number_prefix(antenna_slug: str) -> str:
    """Three capitals from the antenna's slug: molenbeek -> MOL, neder-over-heembeek -> NED."""
    letters = re.sub(r"[^a-z]", "", antenna_slug.lower())
    return (letters.upper() + "XXX")[:3]


def format_member_number(prefix: str, number: int, *, digits: int = 4) -> str:
    return f"{prefix}-{number:0{digits}d}"


def normalise_member_number(text: str) -> str | None:
    """`mol 0427`, `MOL0427` and `mol-0427` all name MOL-0427; None if `text` is not shaped like one."""
    match = _NUMBER.match(text.strip().upper())
    return f"{match.group(1)}-{match.group(2)}" if match else None


def random_member_number(prefix: str, *, digits: int = 4) -> str:
    """Random rather than sequential, so one member's number says nothing about the next one's."""
    return format_member_number(prefix, secrets.randbelow(10**digits), digits=digits)


# --- one-time codes ----------------------------------------------------------------------------------------


def new_code() -> str:
    """About 40 bits: enough with throttled attempts and a short validity; shown as XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(text: str) -> str:
    """Spaces, dashes and case do not matter when typing a code back."""
    raw = re.sub(r"[\s-]", "", text).upper()
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == CODE_LENGTH else raw


# --- passwords and PINs ------------------------------------------------------------------------------------


def is_pin(secret: str) -> bool:
    return secret.isascii() and secret.isdigit() and len(secret) == PIN_LENGTH


def _trivial_pin(pin: str) -> bool:
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    return len(set(digits)) <= 2 or steps in ({1}, {-1})


def check_new_secret(secret: str, *, pin_allowed: bool, field: str = "new_password") -> None:
    """Refuse blank, whitespace-only, short and common passwords; a PIN only where allowed, and not trivial.

    A PIN (six digits) is for members enrolled at a desk, who log in with their member number: its small
    space is acceptable only because every attempt on a member number is throttled.
    """
    if not secret.strip():
        raise InvalidInput("error.password.blank", field=field)
    if is_pin(secret):
        if not pin_allowed:
            raise InvalidInput("error.password.pin_not_allowed", field=field)
        if secret in COMMON_PASSWORDS or _trivial_pin(secret):
            raise InvalidInput("error.password.common_pin", field=field)
        return
    if len(secret.strip()) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("error.password.too_short", field=field, length=MIN_PASSWORD_LENGTH)
    folded = secret.strip().lower()
    if folded in COMMON_PASSWORDS or folded.replace(" ", "") in COMMON_PASSWORDS or len(set(folded)) <= 2:
        raise InvalidInput("error.password.common", field=field)
