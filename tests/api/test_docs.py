"""The Swagger UI works offline: its page and assets come from the service, not from a CDN."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_docs_page_uses_the_bundled_assets(client: TestClient) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "/docs/static/swagger-ui-bundle.js" in answer.text
    assert "/openapi.json" in answer.text
    assert not re.search(r"https?://", answer.text.replace("http://www.w3.org", "")), "an external URL"


def test_the_bundled_assets_are_served(client: TestClient) -> None:
    script = client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 100_000
    css = client.get("/docs/static/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_openapi_document_lists_the_v1_paths(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/v1/health", "/v1/me", "/v1/offers", "/v1/auth/token"} <= set(document["paths"])
    assert "Problem" in document["components"]["schemas"]
