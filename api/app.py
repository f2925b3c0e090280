"""The application factory. Nothing happens at import time: `create_app(settings)` builds everything."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.routing import BaseRoute
from swagger_ui_bundle import swagger_ui_path

from api.console import install_console
from api.errors import install_error_handlers
from api.guards import v1_guards
from api.middleware import Limits, RequestLimits, SecurityHeaders, default_concurrency, default_running
from api.openapi import TAGS, OperationIds, install_openapi_shaping
from api.problems import Problem
from api.routes import account as account_routes
from api.routes import admin, antennas, auth, categories, exchanges, health, ledger, me, offers, proposals, requests
from api.routes import conversations as conversation_routes
from api.routes import desk as desk_routes
from api.routes import devices as device_routes
from api.routes import events as event_routes
from api.routes import feedback as feedback_routes
from api.routes import matching as matching_routes
from api.routes import meetings as meeting_routes
from api.routes import notifications as notification_routes
from api.routes import problems as problem_routes
from api.routes import safety as safety_routes
from api.routing import install_bucket_dispatch
from buurtbank.db import loop_engine, make_engine
from buurtbank.gazetteer import gazetteer_geocoder
from buurtbank.geocoding import nominatim_geocoder
from buurtbank.settings import Settings
from domain import geo
from services import passwords
from stats import endpoints as stats_endpoints

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    me.router,
    antennas.router,
    admin.router,
    categories.router,
    offers.router,
    requests.router,
    proposals.router,
    exchanges.router,
    ledger.router,
    stats_endpoints.router,
    matching_routes.router,
    notification_routes.router,
    account_routes.router,
    desk_routes.router,
    conversation_routes.router,
    meeting_routes.router,
    device_routes.router,
    event_routes.router,
    safety_routes.router,
    feedback_routes.router,
    problem_routes.router,
]


# One per process, like the routes it names (their operationIds are fixed when the routers are included).
OPERATION_IDS = OperationIds()


@cache
def _v1_routes() -> tuple[BaseRoute, ...]:
    v1 = APIRouter(
        prefix="/v1",
        dependencies=[Depends(v1_guards)],
        generate_unique_id_function=OPERATION_IDS,
    )
    for router in ROUTERS:
        v1.include_router(router)
    return tuple(v1.routes)


def make_geocoder(settings: Settings) -> geo.Geocoder:
    if settings.geocoder == "nominatim":
        return nominatim_geocoder(settings.geocoder_user_agent)
    return gazetteer_geocoder()


def create_app(settings: Settings, *, engine: Engine | None = None, geocoder: geo.Geocoder | None = None) -> FastAPI:
    settings.resolved_secret_key()  # fail at start-up, not at the first login, when the key is missing
    passwords.configure(**settings.password_hashing()._asdict())
    app = FastAPI(
        title="BuurtBank",
        version="1.0.0",
        summary="A neighbour-exchange timebank: every hour given is an hour earned.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        generate_unique_id_function=OPERATION_IDS,
        openapi_tags=[{"name": name, "description": text} for name, text in TAGS],
        servers=[{"url": settings.public_url or "/", "description": "this BuurtBank service"}],
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    # PostgreSQL: the engine of the page reads and short writes that run on the event loop (api.deps)
    app.state.loop_engine = loop_engine(app.state.engine)
    app.state.geocoder = geocoder or make_geocoder(settings)
    install_error_handlers(app)
    _install_middleware(app, settings)
    # The routes are built (and their dependencies analysed) once per process and shared by every app
    # made in it: including the routers again costs most of a second per app (the test suite makes one
    # per test). They hold no per-app state; settings, engine and geocoder are read from request.app.
    app.router.routes.extend(_v1_routes())
    install_console(app)
    _offline_docs(app)
    _register_problem_schema(app)
    install_openapi_shaping(app, OPERATION_IDS)
    install_bucket_dispatch(app.router)  # a request tries only the routes its leading segments allow
    return app


def app_from_environment() -> FastAPI:
    """The app of one API process, configured from the environment (`uvicorn --factory`, `buurtbank serve`)."""
    settings = Settings()
    return create_app(settings)


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers on every answer, then CORS (answers preflights), then the limits."""
    limits = Limits(
        max_body_bytes=settings.max_body_bytes,
        max_concurrent=settings.max_concurrent_requests or default_concurrency(app.state.engine.pool),
        max_queued=settings.request_queue_size,
        queue_timeout_seconds=settings.request_queue_timeout_seconds,
        retry_after_seconds=settings.busy_retry_after_seconds,
        max_running=settings.max_running_requests or default_running(app.state.engine),
        slow_after_seconds=settings.slow_request_seconds,
    )
    app.add_middleware(RequestLimits, limits=limits)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "Idempotency-Key", "On-Behalf-Of"],
            expose_headers=["Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    # Tokens, the profile and the export (and anything asked with a token) are never kept in a cache.
    app.add_middleware(SecurityHeaders, no_store_prefixes=("/v1/auth/", "/v1/me"))


def _docs_policy(html: str) -> str:
    """A Content-Security-Policy for the docs page: its own assets only, and its one inline script by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI from the bundled assets: the default loads them from a CDN, blank without a network."""
    app.mount("/docs/static", StaticFiles(directory=str(swagger_ui_path)), name="swagger-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="BuurtBank API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon-32x32.png",
        )
        page.headers["Content-Security-Policy"] = _docs_policy(bytes(page.body).decode())
        return page


def _register_problem_schema(app: FastAPI) -> None:
    """Error responses refer to #/components/schemas/Problem; make sure it is in the document."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in (
                Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
            ):
                components.setdefault(name, definition)
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            problem.pop("$defs", None)
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
