"""The OpenAPI document as client generators read it, shaped once here so every route gets it for free.

Routes declare what they do (models, statuses, `responses=problem_responses(...)`, a docstring); this
module post-processes the document FastAPI builds from them. Nothing here changes what the API accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

JsonObject = dict[str, Any]

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
            if method in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
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


_STEPS: tuple[Callable[[JsonObject], None], ...] = (_optional_defaults_in_descriptions,)


def install_openapi_shaping(app: FastAPI) -> None:
    """Wrap `app.openapi` so the document is shaped once, the first time it is asked for."""
    build = app.openapi
    shaped: list[JsonObject] = []

    def openapi() -> JsonObject:
        if not shaped:
            document = build()
            for step in _STEPS:
                step(document)
            shaped.append(document)
        return shaped[0]

    app.openapi = openapi  # type: ignore[method-assign]
