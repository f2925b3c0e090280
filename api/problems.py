"""The one error shape of the API: RFC 9457 problem details, and how routes document it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(
        description="which input: a body field as a dotted path (`email`, `location.postcode`, `availability.0`), "
        "a query, path or header parameter by its name (`near_km`, `Idempotency-Key`), or empty for the body "
        "as a whole",
        examples=["location.postcode"],
    )
    message: str = Field(description="what is wrong, in the language asked for by Accept-Language")
    type: str = Field(
        description="a stable code: pydantic's error type for a schema error (`string_pattern_mismatch`), the "
        "problem's condition for a rule (`minutes.step`)",
        examples=["string_pattern_mismatch"],
    )


class Problem(BaseModel):
    type: str = Field(
        description="a URI naming the condition, one of those listed at GET /v1/problems",
        examples=["urn:buurtbank:problem:minutes:step"],
    )
    title: str = Field(description="short, in the language asked for by Accept-Language")
    status: int
    detail: str
    instance: str | None = Field(default=None, description="the path of the request")
    errors: list[FieldError] | None = Field(default=None, description="the offending fields, for 422")


class ProblemTypeOut(BaseModel):
    """One entry of the problem-type catalogue."""

    type: str = Field(
        description="the URI error answers carry in `type`", examples=["urn:buurtbank:problem:minutes:step"]
    )
    status: int = Field(description="the HTTP status answered with it")
    title: str = Field(description="the answers' `title`, in the language asked for by Accept-Language")


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the token is not valid",
    403: "Signed in, but not allowed",
    404: "Unknown, or not visible to you",
    409: "Conflicts with the current state (lifecycle step, credit limit, duplicate)",
    422: "Invalid input; `errors` lists the fields",
    429: "Too many attempts",
    500: "Unexpected error",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, each a problem+json document."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
