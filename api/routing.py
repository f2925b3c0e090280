"""Route dispatch by the path's leading segments: a dict look-up picks the few routes that can match.

FastAPI (0.16x) keeps an included router as one `_IncludedRouter` entry and matches a request by walking
every included router in order: each recomputes its routes' version (a walk of its sub-routers), then
tries its routes one by one, and the router that matches does all of it a second time to dispatch. With
the API's 23 routers and the console's 7 under one app that is ~150 regular expressions and ~60 version
walks per request, before any of our code runs.

`BucketDispatch` (in place of the app router's `middleware_stack`) flattens the routes once into their
effective leaves (an API route under its prefixes, with its routers' dependencies, exactly as FastAPI
would run it), indexes them by the static segments their path starts with (`/v1/offers/{listing_id}` ->
`("v1", "offers", ...)`), and tries, in the original order, only the leaves whose leading segments agree
with the request's: exactly the routes that could match it, so the first full match is the one the linear
walk finds. It then dispatches that leaf the way FastAPI's own dispatch ends. Anything else (no full
match: 405, 404, a trailing-slash redirect; or a kind of route it does not index) goes to the router's
own dispatch, unchanged.

`app.routes` is not touched (the OpenAPI document, `url_path_for` and the tests see the same list); the
index is rebuilt when the app's route list changes length (a route added after start). The included
routers are built once per process and never change after they are included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

# FastAPI's own steps of a dispatch, reused so a request runs exactly as FastAPI would run it. They are private
# to FastAPI (pinned in pyproject.toml to the minor version this was written against): a FastAPI without them
# keeps its own dispatch (install_bucket_dispatch does nothing), and tests/api/test_routing.py fails to say so.
try:
    _IncludedRouter: Any = fastapi_routing._IncludedRouter  # FastAPI's nested-router entry
    _apply_router_form_limits: Any = fastapi_routing._apply_router_form_limits
    _get_fastapi_scope: Any = fastapi_routing._get_fastapi_scope
    _update_scope: Any = fastapi_routing._update_scope
    _route_selected: Any = getattr(fastapi_routing, "_route_selected")  # noqa: B009  # imported there, not exported
    _INCLUDED_ROUTER_KEY: str = fastapi_routing._FASTAPI_INCLUDED_ROUTER_KEY
    _EFFECTIVE_ROUTE_KEY: str = fastapi_routing._FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY
    SUPPORTED = True
except AttributeError:  # pragma: no cover  # another FastAPI: its own dispatch stays
    SUPPORTED = False

# How many leading segments are indexed: /v1/antennas/{slug}/... and /v1/me/... hold most routes.
DEPTH = 3

Key = tuple[str, ...]

# Top-level route classes whose matching is their path's regular expression (FastAPI's APIRoute adds only
# the route to the scope). Anything else is tried on every request, and dispatched by the router itself.
_INDEXED = frozenset({APIRoute, Route, Mount})


def path_key(path: str) -> Key:
    """The static segments a route path starts with (at most DEPTH): a path it matches begins with them.

    A route's (and a mount's) regular expression is its path's literal text up to the first parameter.
    """
    key: list[str] = []
    for segment in path.split("/")[1 : DEPTH + 1]:
        if not segment or "{" in segment:
            break
        key.append(segment)
    return tuple(key)


def _request_key(path: str) -> Key:
    return tuple(path.split("/", DEPTH + 1)[1 : DEPTH + 1])


@dataclass(frozen=True, slots=True)
class Leaf:
    """One route as a request meets it: the top-level entry it belongs to, and how to match and run it."""

    entry: BaseRoute  # the app router's own entry (a route, a mount or an included router)
    key: Key
    chain: tuple[Any, ...] = ()  # the included routers from the app router down to the route
    context: Any = None  # FastAPI's effective route (prefixes and routers' dependencies applied)
    fast: bool = True  # False: a kind of route this module does not run itself (the router does)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.context is not None:
            match, child_scope = self.context.matches(scope)
            if match is not Match.NONE:
                child_scope["route"] = self.context.original_route
            return match, child_scope
        return self.entry.matches(scope)


def _flatten(routes: list[BaseRoute]) -> list[Leaf]:
    leaves: list[Leaf] = []
    for entry in routes:
        if isinstance(entry, _IncludedRouter):
            leaves.extend(_included(entry, entry, (entry,)))
        elif type(entry) in _INDEXED:
            leaves.append(Leaf(entry=entry, key=path_key(getattr(entry, "path", ""))))
        else:
            leaves.append(Leaf(entry=entry, key=(), fast=False))
    return leaves


def _included(entry: BaseRoute, included: Any, chain: tuple[Any, ...]) -> list[Leaf]:
    leaves: list[Leaf] = []
    for candidate in included.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            leaves.extend(_included(entry, candidate, (*chain, candidate)))
        elif isinstance(candidate.original_route, APIRoute) and candidate.path_regex is not None:
            leaves.append(Leaf(entry=entry, key=path_key(candidate.path_format), chain=chain, context=candidate))
        else:  # a starlette route, mount or websocket under a router: matched here, run by the router
            leaves.append(Leaf(entry=entry, key=(), chain=chain, context=None, fast=False))
    return leaves


class BucketDispatch:
    """An ASGI app in place of `router.middleware_stack`: bucketed dispatch, the router's own otherwise."""

    def __init__(self, router: Router, fallback: ASGIApp) -> None:
        self.router = router
        self.fallback = fallback
        self._indexed = -1
        self._candidates: dict[Key, tuple[Leaf, ...]] = {}

    def _index(self) -> None:
        routes = self.router.routes
        leaves = _flatten(routes)
        prefixes = {leaf.key[:depth] for leaf in leaves for depth in range(len(leaf.key) + 1)}
        # For every prefix a request can share with some route: all leaves whose key is a prefix of it.
        self._candidates = {
            prefix: tuple(leaf for leaf in leaves if prefix[: len(leaf.key)] == leaf.key) for prefix in prefixes
        }
        self._indexed = len(routes)

    def candidates(self, path: str) -> tuple[Leaf, ...]:
        """The leaves that may match `path`, in the router's order (tests compare them with the full walk)."""
        if self._indexed != len(self.router.routes):
            self._index()
        key = _request_key(path)
        for depth in range(len(key), -1, -1):
            found = self._candidates.get(key[:depth])
            if found is not None:
                return found
        return ()  # pragma: no cover  # () is always a prefix

    def select(self, scope: Scope) -> tuple[Leaf, Scope] | None:
        """The first leaf that fully matches, as the router's walk would find it; None: let the router answer."""
        if scope["type"] != "http":
            return None
        for leaf in self.candidates(get_route_path(scope)):
            match, child_scope = leaf.matches(scope)
            if match is Match.FULL:
                return (leaf, child_scope) if leaf.fast else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        selected = self.select(scope)
        if selected is None:
            await self.fallback(scope, receive, send)
            return
        leaf, child_scope = selected
        # What FastAPI's APIRouter.app, _IncludedRouter.handle and _handle_selected do once they have chosen.
        _apply_router_form_limits(scope, getattr(self.router, "form_limits", None))
        scope.setdefault("router", self.router)
        if leaf.context is None:
            route = leaf.entry
            _update_scope(scope, child_scope)
            _route_selected(scope=scope, path=getattr(route, "path_format", None), mount=isinstance(route, Mount))
            await route.handle(scope, receive, send)
            return
        fastapi_scope = _get_fastapi_scope(scope)
        for included in leaf.chain:
            _apply_router_form_limits(scope, included.include_context.form_limits)
            fastapi_scope[_INCLUDED_ROUTER_KEY] = included
        _update_scope(scope, child_scope)
        context = leaf.context
        _route_selected(scope=scope, path=context.path_format, mount=False)
        fastapi_scope[_EFFECTIVE_ROUTE_KEY] = context
        scope["route"] = context.original_route
        await context.original_route.handle(scope, receive, send)


def install_bucket_dispatch(router: Router) -> BucketDispatch | None:
    if not SUPPORTED:  # pragma: no cover
        return None
    dispatch = BucketDispatch(router, router.middleware_stack)
    router.middleware_stack = dispatch
    return dispatch
