"""The OpenAPI document: what every operation can really answer, and `python -m app.openapi`.

FastAPI only documents what a route declares, but most refusals come from middleware that no
route sees (limits, API keys, idempotency, database outages). `complete` adds those answers to
every operation they can reach, all as `application/problem+json` with the `Problem` schema,
and declares the two ways of presenting an API key, so a client generator or a conformance
tester (schemathesis) knows the whole surface. `python -m app.openapi` prints the document
deterministically (sorted keys, fixed indentation); it is committed as openapi/openapi.json and
compared with the live one in a test.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.core.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem
from app.core.settings import Settings

# methods whose bodies the limits middleware reads (413, 415, 422) and that take Idempotency-Key
# (400, 409, 422); kept in step with app/core/limits.py and app/core/idempotency.py by a test
BODY_METHODS = frozenset({"post", "put", "patch"})
IDEMPOTENT_METHODS = frozenset({"post", "patch"})

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "`Authorization: Bearer <key>` with a key from `newsclaims keys create`."},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "The same key in `X-API-Key` (Bearer wins when both are sent)."},
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]

PROBLEMS: dict[str, str] = {
    "400": "Bad request: an invalid `cursor`, `Idempotency-Key` or `Content-Length`",
    "401": "No valid API key (`WWW-Authenticate: Bearer`)",
    "403": "The API key lacks the scope this operation needs",
    "404": "No such resource",
    "409": "A request with this `Idempotency-Key` is still being processed (`Retry-After`)",
    "413": "Body too large",
    "414": "Query string too long",
    "415": "Unsupported content type",
    "422": "Validation error: field-level `errors`",
    "503": "The database (or the key store) is unavailable (`Retry-After`)",
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _codes(path: str, method: str, op: dict[str, Any]) -> set[str]:
    """The problem statuses the request path through the middleware and the route can produce."""
    params = op.get("parameters", [])
    names = {p.get("name") for p in params}
    codes = {"414"}  # the query-string limit applies before routing
    if path.startswith("/v1/"):
        codes |= {"401", "403", "503"}  # keys (and their lookup), then the database
    if path == "/readyz":
        codes.add("503")
    if params or "requestBody" in op:
        codes.add("422")
    if any(p.get("in") == "path" for p in params):
        codes.add("404")
    if "cursor" in names:
        codes.add("400")
    if method in BODY_METHODS:
        codes |= {"400", "413", "415", "422"}
    if method in IDEMPOTENT_METHODS:
        codes |= {"400", "409", "422"}
    return codes


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses, the `Problem` schema and the security schemes (in place)."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (Problem, FieldError):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas.setdefault(model.__name__, schema)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            for code in sorted(_codes(path, method, op) | {c for c in responses if c in PROBLEMS}):
                entry = responses.setdefault(code, {"description": PROBLEMS[code]})
                if entry.get("description") == "Validation Error":  # FastAPI's own 422 entry
                    entry["description"] = PROBLEMS[code]
                entry["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
            if path.startswith("/v1/"):
                op["security"] = SECURITY
    # FastAPI's default 422 schemas are no longer referenced: every 422 is a Problem
    if '"#/components/schemas/HTTPValidationError"' not in json.dumps(doc.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return doc


def install(app: FastAPI) -> None:
    """Make `app.openapi()` (and so /openapi.json) return the completed document."""
    base: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # `base` caches the raw document; completed once
            app.openapi_schema = complete(base())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def spec() -> dict[str, Any]:
    from app.main import create_app

    return create_app(Settings(docs_enabled=True)).openapi()


def render() -> str:
    return json.dumps(spec(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
