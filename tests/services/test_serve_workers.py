"""`buurtbank serve --workers N`: N API processes behind one port, the scheduler in exactly one process.

Runs the real command in a subprocess on a database of its own (a SQLite file, or a throw-away
PostgreSQL database when the suite runs on PostgreSQL) and asks it over HTTP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from buurtbank.cli import build_parser
from tests.conftest import ANTENNAS_DIR, ROOT
from tests.databases import on_postgres, throwaway_postgres


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database(tmp_path: Path) -> Iterator[str]:
    if on_postgres():
        with throwaway_postgres(prefix="buurtbank_serve") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'serve.db'}"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _api_processes(pid: int) -> list[int]:
    """Children that are uvicorn's API processes (spawned interpreters), not helpers such as a resource tracker."""
    found = []
    for child in _children(pid):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"multiprocessing.spawn" in cmdline or b"spawn_main" in cmdline:
            found.append(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="counts processes through /proc (Linux)")
def test_serve_with_workers_runs_that_many_api_processes_and_one_scheduler(tmp_path: Path) -> None:
    port = _free_port()
    with _database(tmp_path) as url:
        env = {
            **os.environ,
            "BUURTBANK_DATABASE_URL": url,
            "BUURTBANK_ENVIRONMENT": "test",
            "BUURTBANK_SECRET_KEY": "serve-test-secret-that-is-long-enough-for-hs256",
            "BUURTBANK_ANTENNAS_DIR": str(ANTENNAS_DIR),
        }
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "buurtbank.cli", "serve", "--workers", "2", "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 120
                workers: list[int] = []
                answers: list[int] = []
                while time.monotonic() < deadline:
                    workers = _api_processes(server.pid)
                    try:
                        answers.append(httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code)
                    except httpx.HTTPError:
                        pass
                    if len(workers) == 2 and answers and answers[-1] == 200:
                        break
                    assert server.poll() is None, log.read_text()
                    time.sleep(0.5)
                assert len(workers) == 2, log.read_text()
                assert answers and answers[-1] == 200, log.read_text()
                antennas = httpx.get(f"http://127.0.0.1:{port}/v1/antennas", timeout=10)
                assert antennas.status_code == 200 and len(antennas.json()) == 10
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=60)
    text = log.read_text()
    # The scheduler registered its jobs once, in the supervisor, not once per API process.
    assert text.count("scheduler jobs:") == 1, text
    # (uvicorn restarts an API process that stops answering its pings, so a loaded machine may show more)
    assert text.count("Started server process") >= 2, text


def test_workers_must_be_a_positive_number() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve", "--workers", "4"]).workers == 4
    assert parser.parse_args(["serve"]).workers == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--workers", "0"])


def test_the_dockerfile_serves_with_several_workers() -> None:
    command = (ROOT / "Dockerfile").read_text().split("CMD", 1)[1]
    assert '"--workers"' in command
