"""Answers serialised once.

A `def` route that returns a response model makes FastAPI validate the model against the route's
`response_model` (in a worker thread: one more hand-over to a thread and back) and then serialise it.
The models our presenters build are already of that type, and validating an instance of the model's own
class lets it through unchanged: the only work left is serialising it. `serialised(model)` does just that,
with the same serializer and options FastAPI uses (pydantic's JSON, by alias, nothing excluded), and
returns the response. The route keeps `response_model=` in its decorator, so the OpenAPI document is
the same; tests/api/test_contract.py checks every answer against it.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


class ModelResponse(Response):
    media_type = "application/json"


def serialised(model: BaseModel, *, status_code: int = 200) -> Response:
    """The model as FastAPI would send it from a route whose `response_model` is the model's class."""
    return ModelResponse(model.__pydantic_serializer__.to_json(model, by_alias=True), status_code=status_code)
