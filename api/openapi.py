"""The OpenAPI document as client generators read it, shaped once here so every route gets it for free.

Routes declare what they do (models, statuses, `responses=problem_responses(...)`, a docstring); this
module post-processes the document FastAPI builds from them. Nothing here changes what the API accepts.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypedDict

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api.errors import catalogue

JsonObject = dict[str, Any]

# One line per tag: what the group is for and who uses it. A new tag needs a line here
# (tests/api/test_openapi_document.py checks that every tag in use has one).
TAGS: tuple[tuple[str, str], ...] = (
    ("health", "Liveness and database reachability, for load balancers and monitoring."),
    ("auth", "Registration and logging in (OAuth2 password flow: the token endpoint takes a form)."),
    ("me", "The signed-in member's own profile, data export and erasure."),
    ("antennas", "The antennas (neighbourhood branches), joining one, and their moderators' work: "
     "memberships, moderators and the audit trail."),
    ("admin", "Role management by administrators (created from the command line, never over the API)."),
    ("categories", "The help categories, with their labels in Dutch, French and English."),
    ("offers", "What members can give: post, find (also near you), change and withdraw offers."),
    ("requests", "What members need: post, find, change and withdraw requests."),
    ("proposals", "Proposals bring a helper and a receiver together: responding to a listing, the "
     "moderators' review queue, and each member's answer."),
    ("exchanges", "An accepted proposal becomes an exchange: confirm the minutes (settled on the ledger "
     "once both agree), cancel, dispute, and a moderator's resolution."),
    ("ledger", "Time credits in integer minutes: statements, donations to the solidarity pool, and the "
     "moderators' corrections and pool payments."),
    ("statistics", "Analysts' aggregated figures (no individual, no free text, no location): JSON, CSV and "
     "charts."),
    ("matching", "The nearby-match scheduler: moderators run it for their antenna and read its runs."),
    ("notifications", "A member's notifications, in the language asked for."),
    ("problems", "The catalogue of problem types every error answer refers to."),
    ("desk", "Members without e-mail or smartphone, enrolled at the antenna's desk: member number, login "
     "code, welcome card and password reset codes issued by a moderator."),
    ("conversations", "The conversation between the two members of a proposal or an exchange; the antenna's "
     "moderators read along and may post as the antenna."),
    ("safety", "Reports to the antenna's moderators and blocks between members."),
)  # fmt: skip

_HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})

_REF_PREFIX = "#/components/schemas/"


def _refs(node: Any) -> Iterator[str]:
    """Names of the component schemas a piece of the document refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            yield ref.removeprefix(_REF_PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(schemas: JsonObject, roots: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _operations(document: JsonObject) -> Iterator[tuple[str, str, JsonObject]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in _HTTP_METHODS:
                yield path, method, operation


def input_only_schemas(document: JsonObject) -> set[str]:
    """Component schemas that only requests use (bodies and parameters), never a response."""
    schemas = document.get("components", {}).get("schemas", {})
    inputs: set[str] = set()
    outputs: set[str] = set()
    for _, _, operation in _operations(document):
        inputs |= set(_refs(operation.get("requestBody"))) | set(_refs(operation.get("parameters")))
        outputs |= set(_refs(operation.get("responses")))
    return _reachable(schemas, inputs) - _reachable(schemas, outputs)


def _optional_defaults_in_descriptions(document: JsonObject) -> None:
    """A request field with a default may be left out: say so in a way generated clients understand.

    openapi-typescript (with its default `defaultNonNullable`) types every property of a component schema
    that has a `default` as always present: right for answers, wrong for request bodies, where it made
    `language`, `description` and `scope` required. So in schemas only requests use, an optional field's
    default moves into its description ("Default: `nl`."); the field stays out of `required`.
    """
    schemas = document.get("components", {}).get("schemas", {})
    for name in input_only_schemas(document):
        schema = schemas[name]
        required = set(schema.get("required", ()))
        for field, prop in schema.get("properties", {}).items():
            if field in required or "default" not in prop:
                continue
            default = prop.pop("default")
            if default is None:
                continue  # optional already says it: leaving the field out means null
            note = f"Default: `{json.dumps(default, ensure_ascii=False)}`."
            prop["description"] = f"{prop['description'].rstrip('.')}. {note}" if prop.get("description") else note


def operation_id(route: APIRoute) -> str:
    """`exchanges_confirm`: the route's first tag and its function's name, without repeating the tag.

    FastAPI's default (`confirm_v1_exchanges__exchange_id__confirm_post`) becomes a method name in every
    generated client. A route may still pass `operation_id=` itself.
    """
    tag = route.tags[0] if route.tags else route.path_format.strip("/").split("/")[-1]
    group = re.sub(r"[^a-z]+", "_", str(tag).lower()).strip("_")
    one = group.removesuffix("s")
    name = re.sub(r"[^a-z]+", "_", route.name.lower()).strip("_")
    if name in (group, one):
        name = "list" if name != one else "read"
    elif name.endswith(f"_{group}") and group != one:  # my_exchanges, antenna_exchanges: lists
        name = "list_" + name.removesuffix(f"_{group}")
    name = name.removeprefix(f"{group}_").removeprefix(f"{one}_").removesuffix(f"_{one}")
    name = {"list_my": "list_mine", "my": "mine"}.get(name, name)
    return f"{group}_{name}"


class OperationIds:
    """FastAPI's `generate_unique_id_function` for one app: `operation_id`, remembering each route's docstring.

    A route without an explicit summary gets its docstring's first paragraph as summary and the rest as
    description (FastAPI would use the function's name, "Confirm", and the whole docstring).
    """

    def __init__(self) -> None:
        self.docstrings: dict[str, str] = {}

    def __call__(self, route: APIRoute) -> str:
        generated = operation_id(route)
        doc = inspect.cleandoc(route.endpoint.__doc__ or "").split("\f")[0].strip()  # FastAPI's cut-off mark
        if doc and not route.summary:
            self.docstrings[route.operation_id or generated] = doc
        return generated

    def use_docstrings(self, document: JsonObject) -> None:
        for _, _, operation in _operations(document):
            doc = self.docstrings.get(operation.get("operationId", ""))
            if doc:
                first, _, rest = doc.partition("\n\n")
                operation["summary"] = " ".join(first.split())
                if operation.get("description", "").strip() == doc:  # FastAPI's default: the whole docstring
                    operation["description"] = rest.strip()


ACCEPT_LANGUAGE: JsonObject = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "nl, fr or en (q-values honoured; default en): the language of problem titles and details, "
    "notifications and explanations",
    "schema": {"type": "string", "examples": ["nl", "fr-BE, fr;q=0.9, en;q=0.5"]},
}
IDEMPOTENT_REPLAYED: JsonObject = {
    "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key "
    "and body (nothing was done again)",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER: JsonObject = {
    "description": "seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}
DATA_AS_OF: JsonObject = {
    "description": "the figures reflect the data as it was at this moment (the JSON answers' `as_of`)",
    "schema": {"type": "string", "format": "date-time"},
}
_FILE_TYPES = ("text/csv", "image/png")


def _declare_headers(document: JsonObject) -> None:
    """Accept-Language on every operation; the response headers where the API sends them."""
    for _, _, operation in _operations(document):
        parameters = operation.setdefault("parameters", [])
        names = {(p.get("in"), str(p.get("name", "")).lower()) for p in parameters}
        if ("header", "accept-language") not in names:
            parameters.append(dict(ACCEPT_LANGUAGE))
        idempotent = ("header", "idempotency-key") in names
        for status, response in operation.get("responses", {}).items():
            headers = response.setdefault("headers", {})
            if idempotent and str(status).startswith("2"):
                headers.setdefault("Idempotent-Replayed", IDEMPOTENT_REPLAYED)
            if str(status) in {"429", "503"}:
                headers.setdefault("Retry-After", RETRY_AFTER)
            if any(media.startswith(_FILE_TYPES) for media in response.get("content", {})):
                headers.setdefault("Data-As-Of", DATA_AS_OF)
            if not headers:
                del response["headers"]


_ERRORS_HEADING = "Errors:"
_ERROR_ITEM = re.compile(r"^- `?(\d{3})`?: (.*)$")


class OperationDocs(TypedDict):
    summary: str
    description: str


def operation_docs(text: str) -> OperationDocs:
    """`summary=` and `description=` for a route that cannot carry its own docstring (one shared function)."""
    doc = inspect.cleandoc(text)
    first, _, rest = doc.partition("\n\n")
    return {"summary": " ".join(first.split()), "description": rest.strip()}


def _split_errors(description: str) -> tuple[str, dict[str, str]]:
    """The text before a closing "Errors:" paragraph, and what that paragraph says each status means here."""
    before, heading, listing = description.rpartition(_ERRORS_HEADING + "\n")
    if not heading or (before and not before.endswith("\n\n")):
        return description, {}
    explained: dict[str, str] = {}
    current = ""
    for line in listing.strip().splitlines():
        item = _ERROR_ITEM.match(line.strip())
        if item:
            current = item.group(1)
            explained[current] = item.group(2).strip()
        elif current and line.strip():
            explained[current] = f"{explained[current]} {line.strip()}"
        else:
            raise ValueError(f"not an error item: {line!r} (write `- 404: what it means here`)")
    return before.strip(), explained


def _explained_errors(document: JsonObject) -> None:
    """A route's docstring may close with "Errors:" and one `- 404: ...` line per status it declares.

    Each line becomes that response's description (what the status means for this operation, where the
    generic "Not found" said nothing), and the paragraph leaves the description, whose error list
    `_errors_in_descriptions` writes from the responses. A status the route does not declare is a mistake.
    """
    for path, method, operation in _operations(document):
        text, explained = _split_errors(operation.get("description", ""))
        if not explained:
            continue
        responses = operation.get("responses", {})
        unknown = sorted(set(explained) - set(responses))
        if unknown:
            raise ValueError(f"{method.upper()} {path} explains {unknown} but does not declare them")
        for status, meaning in explained.items():
            responses[status] = {**responses[status], "description": meaning}
        operation["description"] = text


def _errors_in_descriptions(document: JsonObject) -> None:
    """Each operation's description ends with the errors it can answer, so the list is never forgotten."""
    for _, _, operation in _operations(document):
        errors = [
            f"- `{status}`: {response.get('description', '')}"
            for status, response in sorted(operation.get("responses", {}).items())
            if str(status)[0] in "45"
        ]
        if errors:
            text = operation.get("description", "").strip()
            listing = "Errors (problem+json; the types are listed at `GET /v1/problems`):\n" + "\n".join(errors)
            operation["description"] = f"{text}\n\n{listing}" if text else listing


def _document_problem_types(document: JsonObject) -> None:
    """The catalogue in the document itself: Problem.type lists every type with its status and title."""
    problem = document.get("components", {}).get("schemas", {}).get("Problem")
    if problem is None:
        return
    rows = "\n".join(f"- `{kind.uri}` ({kind.status}): {kind.title('en')}" for kind in catalogue())
    prop = problem["properties"]["type"]
    prop["description"] = f"{prop.get('description', '')}. The types:\n{rows}"


_STEPS: tuple[Callable[[JsonObject], None], ...] = (
    _document_problem_types,
    _optional_defaults_in_descriptions,
    _declare_headers,
    _explained_errors,
    _errors_in_descriptions,
)


def install_openapi_shaping(app: FastAPI, operation_ids: OperationIds) -> None:
    """Wrap `app.openapi` so the document is shaped once, the first time it is asked for."""
    build = app.openapi
    shaped: list[JsonObject] = []

    def openapi() -> JsonObject:
        if not shaped:
            document = build()
            operation_ids.use_docstrings(document)
            for step in _STEPS:
                step(document)
            shaped.append(document)
        return shaped[0]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the OpenAPI generator
