"""The OpenAPI document describes every operation of accounts for everyone, with its problem statuses."""

from __future__ import annotations

from typing import Any

import pytest

OPERATIONS = {
    ("post", "/v1/auth/token"): {401, 422, 429},
    ("post", "/v1/auth/register"): {409, 422, 429},
    ("post", "/v1/auth/refresh"): {401, 422},
    ("post", "/v1/auth/logout"): {401, 422},
    ("post", "/v1/auth/reset"): {422, 429},
    ("post", "/v1/auth/reset-code"): {404, 422, 429},
    ("post", "/v1/me/password"): {401, 403, 422},
    ("post", "/v1/me/email"): {401, 403, 409, 422},
    ("post", "/v1/antennas/{slug}/members"): {401, 403, 404, 409, 422},
    ("get", "/v1/antennas/{slug}/members/{member_id}/card"): {401, 403, 404, 422},
    ("post", "/v1/antennas/{slug}/members/{member_id}/reset-code"): {401, 403, 404, 422},
    ("delete", "/v1/antennas/{slug}/memberships/mine"): {401, 403, 404, 422},
}


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_each_operation_documents_its_problems(document: dict[str, Any], method: str, path: str) -> None:
    operation = document["paths"][path][method]
    documented = {int(code) for code in operation["responses"] if code.startswith(("4", "5"))}
    assert OPERATIONS[(method, path)] <= documented
    for code in OPERATIONS[(method, path)]:
        content = operation["responses"][str(code)]["content"]
        assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_the_token_answer_is_described_with_its_new_fields(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["TokenOut"]
    assert {"access_token", "token_type", "expires_in", "refresh_token"} <= set(schema["properties"])
    assert {"access_token", "expires_in", "refresh_token"} <= set(schema["required"])
