"""Member numbers, one-time codes and the password/PIN rules, without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.accounts import (
    CODE_ALPHABET,
    check_new_secret,
    member_number_prefix,
    new_code,
    normalise_code,
    normalise_member_number,
    random_member_number,
)
from domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("slug", "prefix"), [("molenbeek", "MOL"), ("neder-over-heembeek", "NED"), ("brussel-centrum", "BRU")]
)
def test_prefixes_come_from_the_slug(slug: str, prefix: str) -> None:
    assert member_number_prefix(slug) == prefix
    assert random_member_number(prefix).startswith(prefix + "-")


@pytest.mark.parametrize("typed", ["MOL-0427", "mol-0427", " mol 0427 ", "MOL0427"])
def test_member_numbers_are_read_however_they_are_typed(typed: str) -> None:
    assert normalise_member_number(typed) == "MOL-0427"


@pytest.mark.parametrize("text", ["eva@example.org", "MO-0427", "MOLL-0427", "MOL-42", "", "0427"])
def test_other_names_are_not_member_numbers(text: str) -> None:
    assert normalise_member_number(text) is None


@given(st.integers(min_value=0, max_value=50))
def test_codes_use_the_unambiguous_alphabet_and_read_back(seed: int) -> None:
    code = new_code()
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(CODE_ALPHABET)
    assert not set(code) & set("01OIL")
    assert normalise_code(code.lower().replace("-", " ")) == code


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ("", "error.password.blank"),
        ("        ", "error.password.blank"),
        ("\t \n  \u3000 ", "error.password.blank"),
        ("short", "error.password.too_short"),
        ("  abc  d     ", "error.password.too_short"),
        ("password", "error.password.common"),
        ("Password1", "error.password.common"),
        ("iloveyou", "error.password.common"),
        ("12345678", "error.password.common"),
        ("aaaaaaaaaaaa", "error.password.common"),
        ("480913", "error.password.pin_not_allowed"),
    ],
)
def test_unacceptable_passwords(secret: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_secret(secret, pin_allowed=False)
    assert refused.value.message_key == key and refused.value.field == "new_password"


@pytest.mark.parametrize("pin", ["123456", "111111", "654321", "121212", "000000", "112233"])
def test_trivial_or_common_pins_are_refused(pin: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_secret(pin, pin_allowed=True)
    assert refused.value.message_key in {"error.password.common_pin"}


@pytest.mark.parametrize("secret", ["correct horse battery", "Zonnebloem in de Marollen", "480913", "731904"])
def test_acceptable_secrets(secret: str) -> None:
    check_new_secret(secret, pin_allowed=True)
