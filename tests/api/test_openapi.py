"""The committed OpenAPI document is the app's live one (regenerate with `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from app.openapi import render, spec

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
