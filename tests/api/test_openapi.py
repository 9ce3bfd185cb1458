"""The committed OpenAPI document is the app's live one (regenerate with `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from app.core import idempotency, limits
from app.core.pagination import ID_MAX
from app.openapi import BODY_METHODS, IDEMPOTENT_METHODS, render, spec

REPO = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_live_spec() -> None:
    committed = (REPO / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == spec(), "openapi/openapi.json is stale: run `make openapi`"
    assert committed == render()


def test_every_operation_declares_its_responses() -> None:
    doc = spec()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ok = [c for c in op["responses"] if c.startswith("2")]
            assert ok, f"{method} {path} has no success response"
            for code in ok:
                if code != "204":
                    assert op["responses"][code].get("content"), f"{method} {path} {code} has no schema"


def test_every_error_is_a_problem_document_and_v1_declares_its_keys() -> None:
    doc = spec()
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyHeader"}
    assert doc["components"]["securitySchemes"]["apiKeyHeader"]["name"] == "X-API-Key"
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                if code[0] in "45":
                    assert resp["content"] == {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }, f"{method} {path} {code}"
            if path.startswith("/v1/"):
                assert {"401", "403", "503"} <= set(op["responses"]), f"{method} {path}"
                assert op["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]
            if method == "post":
                assert {"400", "409", "413", "415", "422"} <= set(op["responses"]), f"{method} {path}"
    assert "400" in doc["paths"]["/v1/claims"]["get"]["responses"]  # invalid cursor
    ident = doc["paths"]["/v1/articles/{article_id}"]["get"]["parameters"][0]["schema"]
    assert (ident["minimum"], ident["maximum"]) == (1, ID_MAX)


def test_openapi_follows_the_middleware_method_sets() -> None:
    assert BODY_METHODS == {m.lower() for m in limits.BODY_METHODS}
    assert IDEMPOTENT_METHODS == {m.lower() for m in idempotency.METHODS}
