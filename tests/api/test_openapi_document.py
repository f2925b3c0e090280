"""The OpenAPI document as client generators read it: ids, tags, servers, headers, descriptions."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from api.openapi import OperationIds, install_openapi_shaping
from tests.api.helpers import PASSWORD, register

OPERATION_ID = re.compile(r"^[a-z]+(_[a-z]+)+$")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_operation_ids_are_readable_and_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) > 50
    assert sorted(set(ids)) == sorted(ids), "duplicate operationIds"
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    by_route = {(method, path): operation["operationId"] for method, path, operation in operations(document)}
    assert by_route[("POST", "/v1/exchanges/{exchange_id}/confirm")] == "exchanges_confirm"
    assert by_route[("GET", "/v1/me/exchanges")] == "exchanges_list_mine"
    assert by_route[("GET", "/v1/antennas/{slug}")] == "antennas_read"
    # Request body schemas are named after the operation too: no FastAPI path mangling left anywhere.
    assert not [name for name in document["components"]["schemas"] if "_v1_" in name]


def test_every_tag_in_use_is_described(document: dict[str, Any]) -> None:
    described = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _, _, operation in operations(document) for tag in operation.get("tags", ())}
    assert used, "operations without tags"
    assert {tag for tag in used if not described.get(tag)} == set()
    assert all(operation.get("tags") for _, _, operation in operations(document)), "an operation has no tag"


def test_the_document_names_its_server(document: dict[str, Any]) -> None:
    assert document["servers"] and all(server["url"] for server in document["servers"])


def test_every_operation_declares_accept_language(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in operations(document)
        if not any(p["in"] == "header" and p["name"] == "Accept-Language" for p in operation.get("parameters", ()))
    ]
    assert missing == []


def test_response_headers_are_declared_where_they_are_sent(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        headers = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "header"}
        for status, response in operation["responses"].items():
            declared = set(response.get("headers", {}))
            label = f"{method} {path} {status}"
            if status.startswith("2"):
                assert ("Idempotent-Replayed" in declared) == ("Idempotency-Key" in headers), label
            if status in {"429", "503"}:
                assert "Retry-After" in declared, label
    paths = document["paths"]
    assert "Data-As-Of" in paths["/v1/stats/export"]["get"]["responses"]["200"]["headers"]
    assert "Data-As-Of" in paths["/v1/stats/charts/{name}.png"]["get"]["responses"]["200"]["headers"]
    assert "Retry-After" in paths["/v1/auth/token"]["post"]["responses"]["429"]["headers"]
    assert "Idempotent-Replayed" in paths["/v1/exchanges/{exchange_id}/confirm"]["post"]["responses"]["200"]["headers"]


def test_descriptions_list_the_errors(document: dict[str, Any]) -> None:
    confirm = document["paths"]["/v1/exchanges/{exchange_id}/confirm"]["post"]
    assert "`409`" in confirm["description"] and "`422`" in confirm["description"]


def test_a_routes_docstring_becomes_its_summary_and_description() -> None:
    router = APIRouter(tags=["widgets"])

    @router.post("/widgets/{widget_id}/polish")
    def polish_widget(widget_id: int) -> dict[str, int]:
        """Polish a widget until it shines.

        Polishing twice changes nothing.
        """
        return {"id": widget_id}

    @router.get("/widgets")
    def widgets() -> list[int]:
        return []

    ids = OperationIds()
    app = FastAPI(generate_unique_id_function=ids)
    app.include_router(router)
    install_openapi_shaping(app, ids)
    document = app.openapi()
    polish = document["paths"]["/widgets/{widget_id}/polish"]["post"]
    assert polish["operationId"] == "widgets_polish"
    assert polish["summary"] == "Polish a widget until it shines."
    assert polish["description"].startswith("Polishing twice changes nothing.")
    assert document["paths"]["/widgets"]["get"]["operationId"] == "widgets_list"


def test_a_refused_login_says_when_to_try_again(client: TestClient) -> None:
    register(client, "eva@example.org")
    for _ in range(5):
        client.post("/v1/auth/token", data={"username": "eva@example.org", "password": "wrong password"})
    answer = client.post("/v1/auth/token", data={"username": "eva@example.org", "password": PASSWORD})
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) == 15 * 60  # the login window of the test settings' default
