"""The contract as a TypeScript team meets it: types generated from the live /openapi.json with
openapi-typescript, and a member's journey written with openapi-fetch that must type-check under
`tsc --strict` without casts or `any` (clients/typescript/src/journey.ts).

The npm tooling is pinned in clients/typescript/package.json and package-lock.json and installed from
the lock file (`npm ci`). Without node and npm the test is skipped, except in CI, where it must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

CLIENT_DIR = Path(__file__).resolve().parents[2] / "clients" / "typescript"
JOURNEY = CLIENT_DIR / "src" / "journey.ts"
CANARY = CLIENT_DIR / "src" / "canary.ts"
# What a client may not lean on: casts (`as T`, `<T>value`), `any`, non-null assertions, silenced errors.
FORBIDDEN = {
    "any": re.compile(r"\bany\b"),
    "an `as` cast": re.compile(r"\bas\s+(?!const\b)[A-Za-z_{[(]"),
    "an angle-bracket cast": re.compile(r"(?<![\w)\]])<[A-Z][\w.\[\]\"]*>\s*[\w(]"),
    "a non-null assertion": re.compile(r"[\w)\]]!(?=[.\[(;,)\s])(?!=)"),
    "a silenced error": re.compile(r"@ts-(ignore|expect-error|nocheck)"),
}
SILENCED = "a silenced error"  # looked for in comments too, where these directives live


def _npm_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed for the TypeScript contract test in CI")
        pytest.skip("node and npm are not installed")
    return node, npm


def _run(*command: str, cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _code_only(source: str) -> str:
    """The source without comments and string contents, so prose and messages are not mistaken for code."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"//[^\n]*", "", source)
    return re.sub(r"([\"'`])(?:\\.|(?!\1).)*\1", '""', source)


def test_the_journey_uses_no_casts_and_no_any() -> None:
    source = JOURNEY.read_text()
    code = _code_only(source)
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(source if what == SILENCED else code)]
    assert not found, f"{JOURNEY.name} uses {', '.join(found)}"
    samples = ("x: any", "y as Foo", "<Foo>y", "x!.y", "// @ts-ignore")
    assert all(p.search(s) for p, s in zip(FORBIDDEN.values(), samples, strict=True)), "a pattern finds nothing"


def test_generated_types_check_a_member_journey(client: TestClient, tmp_path: Path) -> None:
    _, npm = _npm_tools()
    if not (CLIENT_DIR / "node_modules" / ".package-lock.json").exists():
        _run(npm, "ci", "--no-audit", "--no-fund", cwd=CLIENT_DIR)
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    # A copy of the project per run: runs on SQLite and PostgreSQL may overlap and must not share files.
    work = tmp_path / "client"
    (work / "src").mkdir(parents=True)
    (work / "openapi.json").write_text(json.dumps(answer.json()))
    for name in ("tsconfig.json", "package.json"):
        shutil.copy(CLIENT_DIR / name, work / name)
    for source in (JOURNEY, CANARY):
        shutil.copy(source, work / "src" / source.name)
    (work / "node_modules").symlink_to(CLIENT_DIR / "node_modules", target_is_directory=True)
    bin_dir = CLIENT_DIR / "node_modules" / ".bin"
    _run(str(bin_dir / "openapi-typescript"), "openapi.json", "--output", "src/schema.d.ts", cwd=work)
    schema = (work / "src" / "schema.d.ts").read_text()
    assert '"/v1/exchanges/{exchange_id}/confirm"' in schema
    _run(str(bin_dir / "tsc"), "--strict", "--noEmit", "-p", "tsconfig.json", cwd=work)
