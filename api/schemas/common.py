"""Small shared API types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

LanguageCode = Literal["nl", "fr", "en"]
# The distance bands members see instead of distances (domain/geo.py DISTANCE_BANDS and FARTHEST_BAND;
# tests/api/test_schema_enums.py keeps the two lists equal).
DistanceBand = Literal["under_500m", "500m_1km", "1_2km", "2_5km", "over_5km"]
# Ids are INTEGER columns (32-bit on PostgreSQL): a larger id cannot exist, and sending one to the
# database would fail in the driver (a 500) instead of answering 404.
MAX_ID = 2**31 - 1
# Blank: controls, spaces and Unicode white space, spelled out because `\s` differs between the regex
# dialects that read these patterns (Python, Rust in pydantic, ECMA in clients and JSON Schema tools).
# Strings are checked as sent (no strip_whitespace: it would make "   " pass the schema and fail here);
# the services strip them before storing.
BLANK = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"[^{BLANK}]"


def visible_text(*, min_length: int, max_length: int) -> StringConstraints:
    """Text with at least `min_length` characters between its first and last visible character."""
    pattern = NOT_BLANK if min_length <= 1 else rf"{NOT_BLANK}[\s\S]{{{min_length - 2},}}{NOT_BLANK}"
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)


# Spaces around an e-mail (a phone keyboard adds one) are allowed here and stripped by the service.
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=rf"^[ \t\r\n]*[^@{BLANK}]+@[^@{BLANK}]+\.[^@{BLANK}]+[ \t\r\n]*$"),
]
DisplayName = Annotated[str, visible_text(min_length=1, max_length=80)]
Reason = Annotated[str, visible_text(min_length=3, max_length=500)]
# A free-text note that may be left empty (declining a proposal, disputing or cancelling an exchange).
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class MemberRef(BaseModel):
    """Another member as members see them: an id and a display name, nothing else."""

    id: int
    display_name: str
