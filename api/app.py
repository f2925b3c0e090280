"""The application factory. Nothing happens at import time: `create_app(settings)` builds everything."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from swagger_ui_bundle import swagger_ui_path

from api.errors import install_error_handlers
from api.guards import refuse_nul_characters
from api.openapi import TAGS, OperationIds, install_openapi_shaping
from api.problems import Problem
from api.routes import admin, antennas, auth, categories, exchanges, health, ledger, me, offers, proposals, requests
from api.routes import matching as matching_routes
from api.routes import notifications as notification_routes
from api.routes import problems as problem_routes
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
    problem_routes.router,
]


def make_geocoder(settings: Settings) -> geo.Geocoder:
    if settings.geocoder == "nominatim":
        return geo.nominatim_geocoder(settings.geocoder_user_agent)
    return geo.GazetteerGeocoder()


def create_app(settings: Settings, *, engine: Engine | None = None, geocoder: geo.Geocoder | None = None) -> FastAPI:
    settings.resolved_secret_key()  # fail at start-up, not at the first login, when the key is missing
    operation_ids = OperationIds()
    app = FastAPI(
        title="BuurtBank",
        version="1.0.0",
        summary="A neighbour-exchange timebank: every hour given is an hour earned.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        generate_unique_id_function=operation_ids,
        openapi_tags=[{"name": name, "description": text} for name, text in TAGS],
        servers=[{"url": settings.public_url or "/", "description": "this BuurtBank service"}],
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.geocoder = geocoder or make_geocoder(settings)
    install_error_handlers(app)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(refuse_nul_characters)])
    for router in ROUTERS:
        v1.include_router(router)
    app.include_router(v1)
    _offline_docs(app)
    _register_problem_schema(app)
    install_openapi_shaping(app, operation_ids)
    return app


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI from the bundled assets: the default loads them from a CDN, blank without a network."""
    app.mount("/docs/static", StaticFiles(directory=str(swagger_ui_path)), name="swagger-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="BuurtBank API",
            swagger_js_url="/docs/static/swagger-ui-bundle.js",
            swagger_css_url="/docs/static/swagger-ui.css",
            swagger_favicon_url="/docs/static/favicon-32x32.png",
        )


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
