"""The application factory. Nothing happens at import time: `create_app(settings)` builds everything."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from swagger_ui_bundle import swagger_ui_path

from api.errors import install_error_handlers
from api.guards import refuse_dates_out_of_range, refuse_nul_characters
from api.middleware import Limits, RequestLimits, SecurityHeaders, default_concurrency
from api.problems import Problem
from api.routes import admin, antennas, auth, categories, exchanges, health, ledger, me, offers, proposals, requests
from api.routes import matching as matching_routes
from api.routes import notifications as notification_routes
from api.routes import stats as stats_routes
from buurtbank.db import make_engine
from buurtbank.settings import Settings
from domain import geo

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
    stats_routes.router,
    matching_routes.router,
    notification_routes.router,
]


def make_geocoder(settings: Settings) -> geo.Geocoder:
    if settings.geocoder == "nominatim":
        return geo.nominatim_geocoder(settings.geocoder_user_agent)
    return geo.GazetteerGeocoder()


def create_app(settings: Settings, *, engine: Engine | None = None, geocoder: geo.Geocoder | None = None) -> FastAPI:
    settings.resolved_secret_key()  # fail at start-up, not at the first login, when the key is missing
    app = FastAPI(
        title="BuurtBank",
        version="1.0.0",
        summary="A neighbour-exchange timebank: every hour given is an hour earned.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.geocoder = geocoder or make_geocoder(settings)
    install_error_handlers(app)
    _install_middleware(app, settings)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(refuse_nul_characters), Depends(refuse_dates_out_of_range)])
    for router in ROUTERS:
        v1.include_router(router)
    app.include_router(v1)
    _offline_docs(app)
    _register_problem_schema(app)
    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: security headers on every answer, then CORS (answers preflights), then the limits."""
    limits = Limits(
        max_body_bytes=settings.max_body_bytes,
        max_concurrent=settings.max_concurrent_requests or default_concurrency(app.state.engine.pool),
        max_queued=settings.request_queue_size,
        queue_timeout_seconds=settings.request_queue_timeout_seconds,
        retry_after_seconds=settings.busy_retry_after_seconds,
    )
    app.add_middleware(RequestLimits, limits=limits)  # type: ignore[arg-type]
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,  # type: ignore[arg-type]
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language", "Idempotency-Key", "On-Behalf-Of"],
            expose_headers=["Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    # Tokens, the profile and the export (and anything asked with a token) are never kept in a cache.
    app.add_middleware(SecurityHeaders, no_store_prefixes=("/v1/auth/", "/v1/me"))  # type: ignore[arg-type]


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

    def openapi() -> dict:  # type: ignore[type-arg]
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

    app.openapi = openapi  # type: ignore[method-assign]
