"""domain/ holds the rules as plain Python: no web framework, no database, no network, no translations, no files.

Read from the sources (every import statement of every module), so a new module is checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
# Top-level packages the rules may never import: HTTP, persistence, the service's own outer layers,
# gettext catalogues, and geocoding over the network (geopy.distance is plain arithmetic and allowed).
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "api", "store", "services"}
FORBIDDEN |= {"scheduler", "buurtbank", "babel", "httpx", "requests", "urllib", "apscheduler", "geopy.geocoders"}
# Reading files: data is handed in by an adapter (buurtbank/gazetteer.py, buurtbank/antenna_files.py).
FORBIDDEN |= {"csv", "tomllib", "json", "importlib.resources", "pkgutil", "io", "shutil", "glob", "os", "pathlib"}
# Calls that open or list files, on whatever object (Path.read_text, open(), handle.read, directory.glob).
FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "glob", "rglob", "iterdir", "listdir"}
FILE_CALLS |= {"files", "read", "load", "scandir", "walk"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def file_access(source: str) -> list[str]:
    """Calls in this source that read, write or list files, as `line: name`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in FILE_CALLS:
                found.append(f"{node.lineno}: {name}")
    return found


def _forbidden(name: str) -> bool:
    return any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN)


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_a_domain_module_imports_no_outer_layer(path: Path) -> None:
    assert not {name for name in _imports(path) if _forbidden(name)}


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_a_domain_module_reads_no_file(path: Path) -> None:
    assert file_access(path.read_text(encoding="utf-8")) == []


def test_the_check_sees_file_reading() -> None:
    source = "with path.open() as f:\n    csv.DictReader(f)\nPath('x').read_text()\nopen('y')\ntomllib.load(h)"
    assert sorted(hit.split(": ")[1] for hit in file_access(source)) == ["load", "open", "open", "read_text"]
    assert _forbidden("csv") and _forbidden("importlib.resources") and _forbidden("pathlib")
    assert file_access("geo.coarsen(1, 2)\nrows.get('x')") == []


def test_the_check_sees_a_forbidden_import() -> None:
    assert _forbidden("buurtbank.i18n") and _forbidden("geopy.geocoders") and _forbidden("sqlmodel")
    assert not _forbidden("geopy.distance") and not _forbidden("domain.geo") and not _forbidden("apiary")
