"""Opaque cursors and the page shape shared by every list."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Query
from pydantic import BaseModel

from api.schemas.common import MAX_ID
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
    # Cursors hold ids and ranks: beyond the database's integer range the driver fails (a 500), not us.
    if not all(0 <= v <= MAX_ID for v in raw):
        raise InvalidInput("error.cursor", field="query.cursor")
    return tuple(raw)


U = TypeVar("U")


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...  # read-only: an ORM row or a frozen column row (store.proposals.ProposalRow)


R = TypeVar("R", bound=_HasId)


def before_id(cursor: str | None) -> int | None:
    """Where a newest-first page continues: below the id in the cursor (None: from the newest)."""
    decoded = decode_cursor(cursor, size=1)
    return decoded[0] if decoded else None


def newest_first_page(
    page_type: type[Page[U]],
    rows: Sequence[R],
    *,
    limit: int,
    shape: Callable[[R], U] | None = None,
    shape_all: Callable[[Sequence[R]], list[U]] | None = None,
) -> Page[U]:
    """Shape a page of rows fetched newest first with `limit + 1`: the extra row only says a next page exists.

    `shape_all` shapes the whole page at once (a presenter that batches its look-ups); `shape` one row.
    """
    page = rows[:limit]
    more = len(rows) > limit and bool(page)
    if shape_all is not None:
        items = shape_all(page)
    else:
        assert shape is not None, "pass shape or shape_all"
        items = [shape(row) for row in page]
    return page_type(items=items, next_cursor=encode_cursor(page[-1].id or 0) if more else None)
