"""Every query lives in store/ (and, for the statistics' feature home, stats/queries.py and stats/repository.py).

HTTP code (api/), the use cases (services/), the scheduler, the statistics' service and endpoints and the
command line call store functions; they never build a statement or run one. Read from the sources (every
call and import of every module), so a new module is checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("api", "services", "scheduler", "stats", "buurtbank/cli")
# The statistics' own persistence modules (stats/__init__.py sets the feature home out like store/).
PERSISTENCE = {"stats/queries.py", "stats/repository.py", "stats/tables.py", "stats/indexes.py"}
# Still querying on main and being moved by the branch that owns them (issue 16: the GDPR services belong
# to the contract work). test_no_stale_exemption fails once they no longer query: then delete the line.
NOT_YET_MOVED: set[str] = set()

# Running a statement: Session.exec/execute/scalar/scalars/query/get (get: a row by primary key).
RUNS = {"exec", "execute", "scalar", "scalars", "query"}
# Building one: SQLAlchemy's and SQLModel's statement and SQL-expression constructors.
BUILDS = {"select", "insert", "update", "delete", "text", "func", "col", "and_", "or_", "case", "exists", "union"}
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def queries_in(source: str) -> list[str]:
    """What in this source runs or builds a query, as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _receiver(node.func.value)
            if method in RUNS or (method == "get" and receiver.endswith("session")):
                found.append(f"{node.lineno}: {receiver}.{method}(...)")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in SQL_PACKAGES:
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if a.name in BUILDS]
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name in SQL_PACKAGES]
    return found


def _modules() -> list[str]:
    paths = {p for package in CHECKED for p in (ROOT / package).rglob("*.py")}
    return sorted(str(p.relative_to(ROOT)) for p in paths if str(p.relative_to(ROOT)) not in PERSISTENCE)


@pytest.mark.parametrize("module", [m for m in _modules() if m not in NOT_YET_MOVED])
def test_a_module_outside_store_runs_no_query(module: str) -> None:
    assert queries_in((ROOT / module).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module", sorted(NOT_YET_MOVED))
def test_no_stale_exemption(module: str) -> None:
    assert queries_in((ROOT / module).read_text(encoding="utf-8")), f"{module} no longer queries: drop its exemption"


def test_the_check_sees_queries() -> None:
    source = """
from sqlmodel import Session, select
from sqlalchemy import text as raw
import sqlalchemy

def f(session: Session, db):
    session.exec(select(A))
    db.session.get(A, 1)
    session.execute(raw("SELECT 1"))
    session.scalars(q)
"""
    assert [line.split(": ", 1)[1] for line in queries_in(source)] == [
        "from sqlmodel import select",
        "from sqlalchemy import text",
        "import sqlalchemy",
        "session.exec(...)",
        "session.get(...)",
        "session.execute(...)",
        "session.scalars(...)",
    ]
    # A dictionary's get, a Session type and a store function are not queries.
    assert queries_in("from sqlmodel import Session\nx = {}.get(1)\nrows = store.listing_by_id(session, A, 1)") == []
