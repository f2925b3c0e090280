"""Running a coroutine to its end from a test, whatever the test's thread is already doing."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` in a thread of its own. In the test's thread it fails when an event loop runs
    there already: Playwright's sync API (tests/console's session-wide browser) keeps one running for the rest
    of the pytest process, so a test that pytest-xdist happens to run after a browser test would fail."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-event-loop") as thread:
        return thread.submit(asyncio.run, coroutine).result()
