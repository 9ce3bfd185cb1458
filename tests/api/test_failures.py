"""Failures never lose an accepted article, and never leak internals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.claims.service import ClaimService

from .docs import uniq


async def test_extraction_failure_keeps_the_article_failed_and_a_repost_retries(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = app.state.pool

    async def broken(items: list[Any]) -> list[dict[str, Any]]:
        raise RuntimeError("worker exploded")

    body = {"text": f"Judge Mila {uniq()} said the hearing was postponed.", "source": f"fail-{uniq()}"}
    with monkeypatch.context() as m:
        m.setattr(pool, "extract", broken)
        r = await client.post("/v1/articles", json=body)
    assert r.status_code == 201
    article = r.json()
    assert article["extraction"]["state"] == "failed"
    assert "worker exploded" in article["extraction"]["error"]
    assert article["claims"] == [] and article["text"] == body["text"]
    failed = await client.get("/v1/articles", params={"source": body["source"], "state": "failed"})
    assert [a["id"] for a in failed.json()["items"]] == [article["id"]]

    again = await client.post("/v1/articles", json=body)  # the worker is back: re-posting retries
    assert again.status_code == 200 and again.json()["id"] == article["id"]
    assert again.json()["extraction"]["state"] == "done" and again.json()["extraction"]["error"] is None


async def test_unexpected_errors_are_500_problems_without_internals(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def boom(self: ClaimService, *args: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(ClaimService, "list", boom)
    r = await client.get("/v1/claims", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["request_id"] == "boom-1" and r.headers["x-request-id"] == "boom-1"
    assert "secret" not in r.text and "Traceback" not in r.text
