"""The README's layout section matches the tree: every top-level directory and every package in it is named
there, and everything it names exists. Read from the files git tracks, so build output never counts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# `name/` followed by a space, punctuation or the end: a directory (not `docs/performance.md`, a file path).
DIRECTORY = re.compile(r"(?<![\w./-])(\.?[a-z][\w-]*)/(?=[\s:;,.)]|$)")
FILE = re.compile(r"(?<![\w/-])([a-z_]+\.(?:py|md))\b")


def layout(readme: str) -> dict[str, str]:
    """Top-level directory -> its description, from the code block under `## Layout`."""
    block = re.search(r"^## Layout\n+```\n(.*?)^```", readme, re.S | re.M)
    assert block, "README.md has no layout block"
    entries: dict[str, str] = {}
    current = None
    for line in block.group(1).splitlines():
        if line and not line[0].isspace():
            name, _, description = line.partition("/")
            current = name
            entries[current] = description
        elif current is not None:
            entries[current] += " " + line.strip()
    return entries


def tracked_directories() -> set[str]:
    """Every directory holding a tracked file, as a path relative to the repository."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    directories = set()
    for file in files.splitlines():
        parts = Path(file).parts[:-1]
        directories |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
    return directories


@pytest.fixture(scope="module")
def entries() -> dict[str, str]:
    return layout((ROOT / "README.md").read_text(encoding="utf-8"))


def test_every_top_level_directory_is_in_the_layout_and_nothing_else(entries: dict[str, str]) -> None:
    top_level = {d for d in tracked_directories() if "/" not in d}
    assert set(entries) == top_level


def test_every_package_and_subdirectory_is_named_under_its_directory(entries: dict[str, str]) -> None:
    second_level = {d for d in tracked_directories() if d.count("/") == 1}
    named = {f"{top}/{sub}" for top, text in entries.items() for sub in DIRECTORY.findall(text)}
    assert named == second_level


def test_every_file_the_layout_names_exists(entries: dict[str, str]) -> None:
    missing = [
        f"{top}/{name}"
        for top, text in entries.items()
        for name in FILE.findall(text)
        if not any((ROOT / top).rglob(name)) and not (ROOT / name.split("/")[0]).exists()
    ]
    assert missing == []


def test_the_parser_reads_entries_and_their_names() -> None:
    readme = "## Layout\n\n```\napi/   app (app.py), routes/, schemas/: models\n       and console/\nweb/   npm\n```\n"
    parsed = layout(readme)
    assert set(parsed) == {"api", "web"}
    assert DIRECTORY.findall(parsed["api"]) == ["routes", "schemas", "console"]
    assert FILE.findall(parsed["api"]) == ["app.py"]
    assert DIRECTORY.findall("results in docs/performance.md") == []
