"""Opaque cursors and the page shape shared by every list."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from domain.errors import InvalidInput

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=200, description="page size (default 50, max 200)")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="opaque; from the previous page's next_cursor")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*values: int) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, size: int) -> tuple[int, ...] | None:
    if cursor is None:
        return None
    try:
        raw: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("error.cursor", field="query.cursor") from exc
    if not (isinstance(raw, list) and len(raw) == size and all(type(v) is int for v in raw)):
        raise InvalidInput("error.cursor", field="query.cursor")
    return tuple(raw)
