"""The moderators' and analysts' console at /console: server-rendered pages over the same services and rules."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console import pages_antenna, pages_auth, pages_books, pages_members, pages_stats

STATIC = Path(__file__).parent / "static"


def install_console(app: FastAPI) -> None:
    for module in (pages_auth, pages_antenna, pages_members, pages_books, pages_stats):
        app.include_router(module.router, prefix="/console", include_in_schema=False)
    app.mount("/console/static", StaticFiles(directory=str(STATIC)), name="console-static")
