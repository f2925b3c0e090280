"""The OpenAPI document describes every operation of the exchange between two neighbours, with its answer
and each of its error responses as problem details."""

from __future__ import annotations

import pytest

# (method, path): the success status and the error statuses the operation documents.
OPERATIONS: dict[tuple[str, str], tuple[str, set[str]]] = {
    ("get", "/v1/proposals/{proposal_id}/messages"): ("200", {"401", "403", "404", "422"}),
    ("post", "/v1/proposals/{proposal_id}/messages"): ("201", {"401", "403", "404", "422"}),
    ("get", "/v1/exchanges/{exchange_id}/messages"): ("200", {"401", "403", "404", "422"}),
    ("post", "/v1/exchanges/{exchange_id}/messages"): ("201", {"401", "403", "404", "422"}),
    ("put", "/v1/exchanges/{exchange_id}/meeting"): ("200", {"401", "403", "404", "409", "422"}),
    ("post", "/v1/exchanges/{exchange_id}/meeting/accept"): ("200", {"401", "403", "404", "409", "422"}),
    ("get", "/v1/me/notifications"): ("200", {"401", "403", "422"}),
    ("post", "/v1/me/notifications/read-all"): ("200", {"401", "403", "422"}),
    ("get", "/v1/me/notifications/unread-count"): ("200", {"401", "403", "422"}),
    ("post", "/v1/me/devices"): ("201", {"401", "403", "422"}),
    ("get", "/v1/me/devices"): ("200", {"401", "403", "422"}),
    ("delete", "/v1/me/devices/{device_id}"): ("204", {"401", "403", "404", "422"}),
    ("get", "/v1/me/quiet-hours"): ("200", {"401", "403", "422"}),
    ("put", "/v1/me/quiet-hours"): ("200", {"401", "403", "422"}),
    ("get", "/v1/me/events"): ("200", {"401", "403", "422"}),
    ("post", "/v1/reports"): ("201", {"401", "403", "404", "422"}),
    ("get", "/v1/antennas/{slug}/reports"): ("200", {"401", "403", "404", "422"}),
    ("post", "/v1/reports/{report_id}/close"): ("200", {"401", "403", "404", "409", "422"}),
    ("post", "/v1/me/blocks"): ("201", {"401", "403", "404", "422"}),
    ("get", "/v1/me/blocks"): ("200", {"401", "403", "422"}),
    ("delete", "/v1/me/blocks/{member_id}"): ("204", {"401", "403", "404", "422"}),
    ("post", "/v1/exchanges/{exchange_id}/feedback"): ("200", {"401", "403", "404", "409", "422"}),
}
FIXED_FIELDS = {
    "MessageIn": {"text"},
    "MeetingIn": {"starts_at", "place"},
    "DeviceIn": {"platform", "token"},
    "UnreadCountOut": {"count"},
    "ReportIn": {"about", "id", "reason"},
    "BlockIn": {"member_id"},
    "FeedbackIn": {"thanks", "met_someone_new"},
}


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_every_new_operation_is_described(document: dict, method: str, path: str) -> None:  # type: ignore[type-arg]
    operation = document["paths"][path][method]
    success, errors = OPERATIONS[(method, path)]
    assert operation.get("summary"), "an operation says what it does"
    responses = operation["responses"]
    assert success in responses
    if success != "204":
        assert responses[success]["content"], "the answer's shape is described"
    for status in errors:
        assert responses[status]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"
        }


def test_the_contracts_field_names_are_kept(document: dict) -> None:  # type: ignore[type-arg]
    schemas = document["components"]["schemas"]
    for name, fields in FIXED_FIELDS.items():
        assert fields <= set(schemas[name]["properties"]), name
    platform = schemas["DeviceIn"]["properties"]["platform"]
    assert set(platform["enum"]) == {"expo", "webpush"}
    about = schemas["ReportIn"]["properties"]["about"]
    assert set(about["enum"]) == {"member", "listing", "proposal", "exchange"}
    assert "meeting" in schemas["ExchangeOut"]["properties"]
    assert "reason" in schemas["ProposalOut"]["properties"]
    kinds = set(schemas["NotificationKind"]["enum"])
    assert {
        "proposal_to_answer",
        "proposal_accepted",
        "exchange_planned",
        "message",
        "meeting_proposed",
        "meeting_accepted",
        "confirm_needed",
        "exchange_settled",
        "exchange_disputed",
        "exchange_resolved",
        "membership_decided",
    } <= kinds
