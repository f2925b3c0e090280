"""The bucketed dispatch (api/routing.py) reaches exactly the route Starlette's linear scan reaches."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match, Mount, Route

from api.routing import BucketDispatch, _IncludedRouter, path_key

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS")


def _dispatch(client: TestClient) -> BucketDispatch:
    dispatch = client.app.router.middleware_stack  # type: ignore[attr-defined]  # TestClient.app is the ASGI app
    assert isinstance(dispatch, BucketDispatch)
    return dispatch


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "query_string": b""}


def _linear(routes: list[BaseRoute], path: str, method: str) -> BaseRoute | None:
    """The route FastAPI's own walk runs for a full match (through the included routers), else None."""
    scope = _scope(path, method)
    for entry in routes:
        match, _ = entry.matches(scope)
        if match is Match.FULL:
            if isinstance(entry, _IncludedRouter):
                _, _, route, context = entry._match(scope)
                return context.original_route if context is not None else route  # type: ignore[no-any-return]
            return entry
    return None


def _bucketed(dispatch: BucketDispatch, path: str, method: str) -> BaseRoute | None | str:
    selected = dispatch.select(_scope(path, method))
    if selected is None:
        return None
    leaf, _ = selected
    return leaf.context.original_route if leaf.context is not None else leaf.entry  # type: ignore[no-any-return]


def _leaf_routes(client: TestClient) -> list[tuple[str, BaseRoute]]:
    """Every route as (its full path, the route), through the included routers."""
    found: list[tuple[str, BaseRoute]] = []
    for entry in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(entry, _IncludedRouter):
            found.extend((context.path_format, context.original_route) for context in entry.effective_route_contexts())
        else:
            found.append((getattr(entry, "path", "/"), entry))
    return found


def _sample(path: str, route: BaseRoute) -> str:
    if isinstance(route, Mount):
        path += "/favicon.png"
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "7" if m.group(1).endswith("id") else "sample", path)


def test_every_path_and_method_picks_the_route_the_linear_walk_picks(client: TestClient) -> None:
    dispatch = _dispatch(client)
    routes = list(client.app.routes)  # type: ignore[attr-defined]
    leaves = _leaf_routes(client)
    assert len(leaves) > 100  # the whole API and console, not a toy app
    samples = [_sample(path, route) for path, route in leaves]
    extra = ["/", "/v1", "/v1/", "/v1/nothing-here", "/v1/offers/", "/v1/me/", "/console/", "/nope/x/y/z", "//v1/me"]
    for path in samples + extra + [sample + "/" for sample in samples if not sample.endswith("/")]:
        for method in METHODS:
            assert _bucketed(dispatch, path, method) is _linear(routes, path, method), (method, path)


def test_every_route_is_reached_through_its_own_sample_path(client: TestClient) -> None:
    dispatch = _dispatch(client)
    for path, route in _leaf_routes(client):
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        sample = _sample(path, route)
        chosen = _bucketed(dispatch, sample, methods[0])
        assert chosen is route or (chosen is None and not isinstance(route, APIRoute | Route)), (sample, methods)


def test_candidates_are_few_and_keyed_by_leading_segments(client: TestClient) -> None:
    dispatch = _dispatch(client)
    total = len(_leaf_routes(client))
    offers = dispatch.candidates("/v1/offers")
    assert offers and len(offers) < total / 4
    assert path_key("/v1/antennas/{slug}/charts/{name}.png") == ("v1", "antennas")
    assert path_key("/console/static") == ("console", "static")
    assert path_key("/{anything}") == ()


def test_a_route_added_later_is_reached(client: TestClient) -> None:
    app: Any = client.app

    @app.get("/v1/late-addition/{thing}")
    def late(thing: str) -> dict[str, str]:
        return {"thing": thing}

    answer = client.get("/v1/late-addition/here")
    assert answer.status_code == 200 and answer.json() == {"thing": "here"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/categories"),  # a plain route
        ("DELETE", "/v1/categories"),  # 405
        ("GET", "/v1/no-such-thing"),  # 404
        ("GET", "/v1/categories/"),  # the trailing-slash redirect (or 404), as the router answers
        ("GET", "/v1/antennas/molenbeek/charts/nothing.png"),  # a {name}.png parameter
        ("GET", "/v1/antennas/no-such-antenna"),
        ("GET", "/console/static/no-such-file.css"),  # a mount
        ("GET", "/docs"),
        ("GET", "/v1/problems"),
        ("POST", "/v1/auth/token"),
    ],
)
def test_answers_are_the_routers_own(client: TestClient, method: str, path: str) -> None:
    """The same status, headers' kind and body with the bucketed dispatch as with Starlette's own."""
    router: Any = client.app.router  # type: ignore[attr-defined]
    dispatch = _dispatch(client)
    bucketed = client.request(method, path, follow_redirects=False)
    router.middleware_stack = dispatch.fallback
    try:
        linear = client.request(method, path, follow_redirects=False)
    finally:
        router.middleware_stack = dispatch
    assert (bucketed.status_code, bucketed.headers.get("content-type"), bucketed.headers.get("location")) == (
        linear.status_code,
        linear.headers.get("content-type"),
        linear.headers.get("location"),
    )
    assert bucketed.content == linear.content
