"""Schemathesis over the whole OpenAPI document: no 500, and every answer as the schema says.

schemathesis' pytest integration (`@schema.parametrize()`, `from_fixture`) needs the schema at import
time or breaks on pytest 9 (it reads `request.node._nodeid`), and we build no app at import. So the test
loads the schema from the app built on the test's database and drives each operation with Hypothesis
through `operation.as_strategy(...)`: positive data (valid by the schema) and negative data (not).
All checks of `call_and_validate` run; failures are gathered per operation and reported together.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.engine import Engine

from api.app import create_app
from buurtbank.settings import Settings
from tests.api.helpers import build_world, person
from tests.fakes import FakeGeocoder

EXAMPLES = 20
REQUEST_VALIDATION_PROBLEM = "urn:buurtbank:problem:validation"


def schema_valid_input_passes_validation(_ctx: object, response: Any, case: schemathesis.Case) -> bool | None:
    """A schema-valid request may break a domain rule (422 with its own type), never the request schema."""
    if not case.meta or case.meta.generation.mode != GenerationMode.POSITIVE:
        return None
    if response.status_code == 400:
        raise AssertionError(f"schema-valid request answered 400: {response.text}")
    if response.status_code == 422 and response.json().get("type") == REQUEST_VALIDATION_PROBLEM:
        errors = response.json().get("errors", [])
        if not all(_integral_float_refused(error, case.body) for error in errors):
            raise AssertionError(f"schema-valid request failed request validation: {response.text}")
    return True


def _integral_float_refused(error: dict[str, Any], body: Any) -> bool:
    """Minutes are StrictInt on purpose ("integer minutes, never floats"), so 30.0 is refused; JSON Schema
    counts 30.0 as an integer and has no way to say otherwise. That one refusal is not a schema lie."""
    if error.get("type") != "int_type":
        return False
    value = body
    for part in str(error.get("field", "")).split("."):  # a body field's dotted path (no `body.` prefix)
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return isinstance(value, float) and value.is_integer()


def _exercise(operation: Any, headers: dict[str, str]) -> str | None:
    """Run one operation's examples; the failure report, or None."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(
            headers=headers,
            # positive_data_acceptance wants every schema-valid request accepted. Our contract answers
            # 422 for input that is well-formed but breaks a rule no schema can state (a time step, a
            # point outside Brussels, an unknown postcode, a circle of the member's antenna, a forged
            # cursor, a date in the past). schema_valid_input_passes_validation keeps the part of that
            # check that is about the schema: valid input must pass request validation.
            excluded_checks=[positive_data_acceptance],
            additional_checks=[schema_valid_input_passes_validation],
        )

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all failures reported at the end
        return f"{operation.label}: {exc}"
    return None


def test_the_api_keeps_its_contract(client: TestClient, db: Engine, settings: Settings) -> None:
    world = build_world(client, db)
    app = create_app(settings, engine=db, geocoder=FakeGeocoder())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures = []
    for operation in operations:
        headers = dict(world.alice.headers)
        if operation.method.upper() == "DELETE" and operation.path == "/v1/me":
            # Erasing Alice would turn every later call into a 401: erase a throw-away member instead.
            headers = person(client, "erase.me@example.org").headers
        failure = _exercise(operation, headers)
        if failure:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)
