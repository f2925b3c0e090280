"""Every operation tells a client team what it does, who may call it, and what each of its errors means."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.openapi import OperationIds, install_openapi_shaping
from api.problems import _DESCRIPTIONS, problem_responses

# Statuses whose meaning never depends on the operation: the generic description says it all.
SAME_EVERYWHERE = {"401", "422"}
ERRORS_LISTING = "Errors (problem+json"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{method.upper()} {path}", op) for path, item in document["paths"].items() for method, op in item.items()]


def _function_names(client: TestClient) -> set[str]:
    names = {r.name for r in client.app.routes if isinstance(r, APIRoute)}  # type: ignore[attr-defined]
    return {" ".join(n.split("_")).lower() for n in names}


def test_the_console_is_not_in_the_document(document: dict[str, Any]) -> None:
    assert [path for path in document["paths"] if not path.startswith("/v1/")] == []


def test_every_summary_is_a_readable_line_of_its_own(client: TestClient, document: dict[str, Any]) -> None:
    functions = _function_names(client)
    seen: dict[str, str] = {}
    bad = []
    for name, operation in _operations(document):
        summary = operation.get("summary", "")
        words = summary.split()
        if len(words) <= 2 or summary.lower() in functions or "\n" in summary or len(summary) > 90:
            bad.append(f"{name}: {summary!r}")
        elif not summary[0].isupper() or summary.endswith("."):
            bad.append(f"{name}: {summary!r} (a capital, no closing full stop)")
        if summary.lower() in seen:
            bad.append(f"{name}: {summary!r} is also the summary of {seen[summary.lower()]}")
        seen[summary.lower()] = name
    assert bad == []


def test_every_operation_has_a_description_with_its_errors(document: dict[str, Any]) -> None:
    bad = []
    for name, operation in _operations(document):
        description = operation.get("description", "")
        written = description.split(ERRORS_LISTING)[0].strip()
        if len(written.split()) < 8:
            bad.append(f"{name}: no description of its own")
        for status, response in operation.get("responses", {}).items():
            if status[0] not in "45":
                continue
            if f"`{status}`" not in description.split(ERRORS_LISTING)[-1]:
                bad.append(f"{name}: {status} is not in its description")
            if status not in SAME_EVERYWHERE and response["description"] == _DESCRIPTIONS[int(status)]:
                bad.append(f"{name}: {status} only says {response['description']!r}: what does it mean here?")
    assert bad == []


def test_on_behalf_and_idempotency_are_explained_where_they_apply(document: dict[str, Any]) -> None:
    bad = []
    for name, operation in _operations(document):
        headers = {p["name"].lower() for p in operation.get("parameters", ()) if p.get("in") == "header"}
        written = operation.get("description", "").split(ERRORS_LISTING)[0]
        for header in ("On-Behalf-Of", "Idempotency-Key"):
            if header.lower() in headers and header not in written:
                bad.append(f"{name}: takes {header} but does not say what it does here")
    assert bad == []


def _tiny_app(docstring: str, statuses: tuple[int, ...]) -> FastAPI:
    ids = OperationIds()
    app = FastAPI(generate_unique_id_function=ids)
    router = APIRouter(tags=["things"])

    def read_thing() -> dict[str, str]:
        return {}

    read_thing.__doc__ = docstring
    router.get("/things", responses=problem_responses(*statuses))(read_thing)
    app.include_router(router)
    install_openapi_shaping(app, ids)
    return app


def test_a_docstrings_errors_become_the_responses_descriptions() -> None:
    app = _tiny_app(
        "Read the thing.\n\nFor anyone who asks.\n\nErrors:\n- 404: there is no thing\n  yet\n- 409: the thing is busy",
        (404, 409, 422),
    )
    operation = app.openapi()["paths"]["/things"]["get"]
    assert operation["summary"] == "Read the thing."
    assert operation["responses"]["404"]["description"] == "there is no thing yet"
    assert operation["responses"]["409"]["description"] == "the thing is busy"
    assert operation["responses"]["422"]["description"] == _DESCRIPTIONS[422]
    assert operation["description"].startswith("For anyone who asks.\n\nErrors (problem+json")
    assert re.search(r"- `404`: there is no thing yet", operation["description"])


def test_a_docstring_explaining_an_undeclared_status_fails_the_document() -> None:
    app = _tiny_app("Read the thing.\n\nFor anyone.\n\nErrors:\n- 409: the thing is busy", (404,))
    with pytest.raises(ValueError, match="409"):
        app.openapi()
