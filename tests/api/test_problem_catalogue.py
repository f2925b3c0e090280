"""One problem type per condition, listed in one table (api/errors.py PROBLEMS), served at GET /v1/problems,
documented in the OpenAPI document; and one convention for FieldError.field."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api.app  # noqa: F401  # imports every module that defines a domain exception
from api.errors import PROBLEMS, STATUS_BY_ERROR, condition_of, field_path, problem_type
from buurtbank.i18n import has_message, translate
from domain.errors import DomainError
from tests.api.helpers import World

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("api", "domain", "services", "store", "buurtbank", "scheduler", "stats")
MESSAGE_KEY = re.compile(r"^error\.[a-z0-9_.]*[a-z0-9_]$")  # not a prefix such as "error.credit_limit."


def _python_files() -> Iterator[Path]:
    for folder in SOURCES:
        yield from (ROOT / folder).rglob("*.py")


def _classes(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _classes(sub)


def _status(cls: type[DomainError]) -> int:
    return next(status for base, status in STATUS_BY_ERROR if issubclass(cls, base))


def _raised_keys() -> tuple[set[str], set[tuple[str, str, str]]]:
    """Every message key in the code, and (class, key, where) for each `SomeError("error.x")`."""
    classes = {cls.__name__ for cls in _classes(DomainError)}
    keys: set[str] = set()
    raised: set[tuple[str, str, str]] = set()
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and MESSAGE_KEY.match(node.value):
                keys.add(node.value)
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in classes and isinstance(node.args[0].value, str):
                    raised.add((name, node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return keys, raised


def test_every_condition_in_the_code_is_in_the_catalogue_with_its_status() -> None:
    keys, raised = _raised_keys()
    assert len(keys) > 50
    for cls in _classes(DomainError):
        keys.add(cls.default_key)
    missing = sorted({condition_of(key) for key in keys} - set(PROBLEMS))
    assert missing == [], f"add these conditions to api/errors.py PROBLEMS (and problems.po): {missing}"
    by_name = {cls.__name__: cls for cls in _classes(DomainError)}
    wrong = [
        f"{where}: {name}({key!r}) answers {_status(by_name[name])}, the catalogue says {PROBLEMS[condition_of(key)]}"
        for name, key, where in sorted(raised)
        if PROBLEMS[condition_of(key)] != _status(by_name[name])
    ]
    assert wrong == []


def test_every_type_has_a_title_in_three_languages() -> None:
    for condition in PROBLEMS:
        key = f"problem.{condition}"
        assert all(has_message(key, lang) for lang in ("nl", "fr", "en")), key
        assert translate(key, "nl") != translate(key, "en") or condition == "idempotency.key_reused", key
        assert translate(key, "fr") != translate(key, "en"), key


def test_types_are_one_per_condition() -> None:
    uris = [problem_type(condition).uri for condition in PROBLEMS]
    assert len(set(uris)) == len(uris)
    assert not [uri for uri in uris if uri.endswith(":detail")]
    assert problem_type(condition_of("error.minutes.step.detail")).uri == "urn:buurtbank:problem:minutes:step"


def test_get_problems_lists_the_catalogue_in_the_asked_language(client: TestClient) -> None:
    answer = client.get("/v1/problems", headers={"Accept-Language": "fr"})
    assert answer.status_code == 200
    listed = {item["type"]: item for item in answer.json()}
    assert len(listed) == len(PROBLEMS)
    step = listed["urn:buurtbank:problem:minutes:step"]
    assert step == {"type": step["type"], "status": 422, "title": translate("problem.minutes.step", "fr")}
    english = {item["type"]: item["title"] for item in client.get("/v1/problems").json()}
    assert english[step["type"]] != step["title"]


def test_the_openapi_document_lists_the_types(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    described = document["components"]["schemas"]["Problem"]["properties"]["type"]["description"]
    for condition in PROBLEMS:
        assert f"`{problem_type(condition).uri}`" in described


def test_answers_carry_catalogue_types(client: TestClient, world: World) -> None:
    """An unknown antenna is one condition, in a path or in a body; a time-step refusal has no :detail."""
    types = {item["type"] for item in client.get("/v1/problems").json()}
    in_path = client.post("/v1/antennas/nowhere/memberships", headers=world.alice.headers)
    body = {"antenna": "nowhere", "category": "shopping", "title": "Boodschappen"}
    in_body = client.post("/v1/offers", json=body, headers=world.alice.headers)
    assert in_path.status_code == in_body.status_code == 404
    assert in_path.json()["type"] == in_body.json()["type"] == "urn:buurtbank:problem:antenna:unknown"
    unknown_route = client.get("/v1/nothing-here")
    for answer in (in_path, in_body, unknown_route):
        assert answer.json()["type"] in types


@pytest.mark.parametrize(
    ("location", "field"),
    [
        (("body", "location", "PostcodeIn", "postcode"), "location.postcode"),
        (("body", "availability", 0), "availability.0"),
        (("body",), ""),
        (("query", "near_km"), "near_km"),
        (("header", "Idempotency-Key"), "Idempotency-Key"),
        ("query.cursor", "cursor"),
        ("background.origin", "background.origin"),
        (("body", "location", "function-after[check(), PointIn]", "lat"), "location.lat"),
    ],
)
def test_one_convention_for_field(location: tuple[str | int, ...] | str, field: str) -> None:
    assert field_path(location) == field


def test_a_union_field_is_named_without_its_internals(client: TestClient, world: World) -> None:
    answer = client.patch("/v1/me", json={"location": {"postcode": "99"}}, headers=world.alice.headers)
    assert answer.status_code == 422
    fields = [error["field"] for error in answer.json()["errors"]]
    assert "location.postcode" in fields
    assert not [f for f in fields if f.startswith("body") or re.search(r"[A-Z\[]", f)], fields
