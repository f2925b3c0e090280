"""Enumerated fields are enums in the schema, request defaults are optional, and every example validates."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, get_args

import jsonschema_rs
import pytest

from api.schemas.common import DistanceBand
from domain import geo
from domain.antenna_config import PartnerKind
from domain.audit import AuditAction
from domain.background import AGE_BANDS, ORIGINS
from domain.exchanges import ExchangeState, ProposalState
from domain.ledger import TransferKind
from stats.charts import CHARTS
from stats.rules.windows import Period
from store.listings import ListingStatus
from store.memberships import MembershipStatus


def _enum(document: dict[str, Any], schema: dict[str, Any]) -> list[Any] | None:
    """The values a property may take, through $ref and a nullable anyOf."""
    if "$ref" in schema:
        return _enum(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    for branch in schema.get("anyOf", ()):
        if branch.get("type") != "null":
            return _enum(document, branch)
    return None


ENUMERATED: list[tuple[str, str, list[str]]] = [
    ("ExchangeOut", "state", [s.value for s in ExchangeState]),
    ("ProposalOut", "state", [s.value for s in ProposalState]),
    ("ProposalReviewOut", "state", [s.value for s in ProposalState]),
    ("MembershipOut", "status", [s.value for s in MembershipStatus]),
    ("MembershipSummary", "status", [s.value for s in MembershipStatus]),
    ("OfferOut", "status", [s.value for s in ListingStatus]),
    ("RequestOut", "status", [s.value for s in ListingStatus]),
    ("TransferOut", "kind", [k.value for k in TransferKind]),
    ("StatementLine", "kind", [k.value for k in TransferKind]),
    ("PartnerOut", "kind", [k.value for k in PartnerKind]),
    ("ProposalOut", "distance_band", [key for _, key in geo.DISTANCE_BANDS] + [geo.FARTHEST_BAND]),
    ("OfferOut", "distance_band", [key for _, key in geo.DISTANCE_BANDS] + [geo.FARTHEST_BAND]),
    ("MeOut", "language", ["nl", "fr", "en"]),
    ("ReciprocityAnswer", "period", [p.value for p in Period]),
    ("BackgroundIn", "origin", list(ORIGINS)),
    ("BackgroundOut", "age_band", list(AGE_BANDS)),
    ("AuditEntryOut", "action", [a.value for a in AuditAction]),
]


@pytest.mark.parametrize(("model", "field", "values"), ENUMERATED)
def test_enumerated_fields_are_enums(document: dict[str, Any], model: str, field: str, values: list[str]) -> None:
    prop = document["components"]["schemas"][model]["properties"][field]
    assert sorted(_enum(document, prop) or []) == sorted(values)


def test_the_distance_bands_are_the_domains() -> None:
    assert list(get_args(DistanceBand)) == [key for _, key in geo.DISTANCE_BANDS] + [geo.FARTHEST_BAND]


def test_the_chart_name_is_an_enum(document: dict[str, Any]) -> None:
    (name,) = [p for p in document["paths"]["/v1/stats/charts/{name}.png"]["get"]["parameters"] if p["name"] == "name"]
    assert name["schema"]["enum"] == list(CHARTS)


STATE_LIKE = {"state", "status", "kind", "distance_band", "language", "period", "trigger", "origin", "age_band"}
# A statistics row's or release's `period` is the window's label (2026-03, 2026-Q1), not the kind of window.
OPEN_BY_NATURE = {"ReciprocityRow.period", "BridgingRow.period", "ReleaseSpend.period"}


def test_no_state_like_string_is_left_open(document: dict[str, Any]) -> None:
    """A string named like a state or kind, anywhere in the document, lists its values."""
    open_fields = [
        f"{name}.{field}"
        for name, schema in document["components"]["schemas"].items()
        for field, prop in schema.get("properties", {}).items()
        if field in STATE_LIKE and _is_string(document, prop) and _enum(document, prop) is None
    ]
    assert sorted(set(open_fields) - OPEN_BY_NATURE) == []


def _is_string(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return _is_string(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema.get("type") == "string" or any(b.get("type") == "string" for b in schema.get("anyOf", ()))


@pytest.mark.parametrize(
    ("model", "field"), [("RegisterIn", "language"), ("OfferIn", "description"), ("Body_auth_token", "scope")]
)
def test_request_fields_with_defaults_are_optional(document: dict[str, Any], model: str, field: str) -> None:
    schema = document["components"]["schemas"][model]
    assert field in schema["properties"] and field not in schema.get("required", [])
    # openapi-typescript reads a `default` as "always present": in request-only schemas it is in the text.
    assert "default" not in schema["properties"][field]
    assert "Default:" in schema["properties"][field]["description"]


def _examples(node: Any, path: str = "") -> list[tuple[str, dict[str, Any], Any]]:
    found: list[tuple[str, dict[str, Any], Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list):
            found += [(path, node, example) for example in node["examples"]]
        if "example" in node and isinstance(node.get("schema"), dict):
            found.append((path, node["schema"], node["example"]))
        for key, value in node.items():
            found += _examples(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _examples(value, f"{path}/{i}")
    return found


def _valid(document: dict[str, Any], schema: dict[str, Any], example: Any) -> bool:
    root = {**schema, "components": document["components"]}
    return bool(jsonschema_rs.validator_for(root).is_valid(example))


def test_every_example_validates_against_its_schema(document: dict[str, Any]) -> None:
    examples = _examples(document)
    assert len(examples) >= 5
    wrong = [f"{path}: {example!r}" for path, schema, example in examples if not _valid(document, schema, example)]
    assert wrong == []
    confirm = document["components"]["schemas"]["ConfirmIn"]
    assert not _valid(document, confirm, {"minutes": 0}), "members never confirm zero minutes"
    assert _valid(document, confirm, {"minutes": confirm["properties"]["minutes"]["examples"][0]})


def test_enums_serialise_as_their_values() -> None:
    assert all(isinstance(v, StrEnum) for v in (ExchangeState.PLANNED, ProposalState.APPROVED))
