"""domain/ holds the rules as plain Python: no web framework, no database, no network, no translations.

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


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _forbidden(name: str) -> bool:
    return any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN)


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN)))
def test_a_domain_module_imports_no_outer_layer(path: Path) -> None:
    assert not {name for name in _imports(path) if _forbidden(name)}


def test_the_check_sees_a_forbidden_import() -> None:
    assert _forbidden("buurtbank.i18n") and _forbidden("geopy.geocoders") and _forbidden("sqlmodel")
    assert not _forbidden("geopy.distance") and not _forbidden("domain.geo") and not _forbidden("apiary")
