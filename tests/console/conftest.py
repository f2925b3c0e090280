"""Browser tests: the app served by uvicorn on 127.0.0.1, driven by Debian's chromium through Playwright.

One server and one browser per test session; each test gets a fresh browser context (cookies) and the
usual clean database. Chromium is never downloaded: `playwright install` cannot work here, the tests use
/usr/bin/chromium (apt-get install -y chromium). Without it the browser tests are skipped, except in CI
(the CI environment variable set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from api.app import create_app
from buurtbank.settings import Environment, Settings
from tests.conftest import ANTENNAS_DIR, ROOT
from tests.fakes import FakeGeocoder

CHROMIUM = Path(os.environ.get("BUURTBANK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WEB = ROOT / "web"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} (needed by the console's browser tests in CI)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """web/node_modules as locked by web/package-lock.json (npm ci when absent)."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed, so axe-core cannot be installed from web/package-lock.json")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True, capture_output=True)  # type: ignore[list-item]
    return WEB / "node_modules"


@pytest.fixture(scope="session")
def axe_source(node_modules: Path) -> str:
    return (node_modules / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def console_settings(database_url: str) -> Settings:
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        antennas_dir=ANTENNAS_DIR,
        login_max_failures=5,
        scheduler_enabled=False,
    )


@pytest.fixture(scope="session")
def live_app(engine: Engine, console_settings: Settings) -> Any:
    return create_app(console_settings, engine=engine, geocoder=FakeGeocoder())


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(live_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_server: str, db: Engine) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def world(client: Any, db: Engine) -> Any:
    from tests.api.helpers import build_world

    return build_world(client, db)
