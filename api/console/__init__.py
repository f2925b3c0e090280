"""The moderators' and analysts' console at /console: server-rendered pages over the same services and rules."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from api.console import (
    pages_acting,
    pages_antenna,
    pages_auth,
    pages_books,
    pages_desk,
    pages_members,
    pages_stats,
)

STATIC = Path(__file__).parent / "static"


@cache
def _console_routes() -> tuple[BaseRoute, ...]:
    """Built once per process and shared by every app, like the API's routes (they hold no per-app state)."""
    console = APIRouter()
    for module in (pages_auth, pages_antenna, pages_members, pages_acting, pages_desk, pages_books, pages_stats):
        console.include_router(module.router, prefix="/console", include_in_schema=False)
    return tuple(console.routes)


def install_console(app: FastAPI) -> None:
    app.router.routes.extend(_console_routes())
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")
