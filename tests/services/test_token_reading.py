"""Access tokens are remembered once their signature checked out; expiry and tampering still count every time."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from domain.errors import Unauthenticated
from services import tokens
from services.tokens import issue_token, read_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_a_token_reads_the_same_the_second_time() -> None:
    token = issue_token(member_id=7, session_id=9, secret=SECRET, lifetime=timedelta(minutes=5))
    first = read_token(token, secret=SECRET)
    hits = tokens._verified.cache_info().hits
    again = read_token(token, secret=SECRET)
    assert first == again and (again.member_id, again.session_id) == (7, 9)
    assert tokens._verified.cache_info().hits == hits + 1  # the signature was not checked again


def test_an_expired_token_is_refused_even_after_it_was_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(member_id=7, session_id=9, secret=SECRET, lifetime=timedelta(seconds=60))
    read_token(token, secret=SECRET)
    later = time.time() + 61
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        read_token(token, secret=SECRET)


def test_a_remembered_token_is_not_valid_under_another_key() -> None:
    token = issue_token(member_id=7, session_id=9, secret=SECRET, lifetime=timedelta(minutes=5))
    read_token(token, secret=SECRET)
    with pytest.raises(Unauthenticated):
        read_token(token, secret=SECRET + "-rotated")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "7"},  # no expiry
        {"exp": 4102444800},  # nobody
        {"sub": "0", "exp": 4102444800},  # an id out of range
        {"sub": "7", "sid": str(2**40), "exp": 4102444800},
        {"sub": "seven", "exp": 4102444800},
        {"sub": "7", "exp": "soon"},
        {"sub": "7", "exp": 1},  # long expired
    ],
)
def test_bad_claims_are_refused_every_time(claims: dict[str, object]) -> None:
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            read_token(token, secret=SECRET)


def test_a_tampered_signature_is_refused() -> None:
    token = issue_token(member_id=7, session_id=9, secret=SECRET, lifetime=timedelta(minutes=5))
    read_token(token, secret=SECRET)
    head, payload, signature = token.split(".")
    forged = jwt.encode({"sub": "8", "sid": "9", "exp": 4102444800}, "another-secret-another-secret-another", "HS256")
    with pytest.raises(Unauthenticated):
        read_token(".".join([head, forged.split(".")[1], signature]), secret=SECRET)
