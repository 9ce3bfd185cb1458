"""Failures never lose an accepted article, and never leak internals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from backends import database
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc

from app.claims.service import ClaimService
from app.core.settings import Settings
from app.jobs.settings import JobSettings
from app.jobs.worker import QueueWorker
from app.main import create_app

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

    monkeypatch.setattr(ClaimService, "items", boom)  # what every claim list reads through
    r = await client.get("/v1/claims", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["request_id"] == "boom-1" and r.headers["x-request-id"] == "boom-1"
    assert "secret" not in r.text and "Traceback" not in r.text


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def private_app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """An app on a database of its own: `POST /v1/reprocess` queues every stale article, which
    must not re-extract the hand-made documents of the shared test database."""
    with database(request.param, tmp_path, "newsclaims_private") as url:
        application = create_app(Settings(database_url=url, data_dir=tmp_path, extraction_workers=1))
        async with application.router.lifespan_context(application):
            assert await application.state.pool.wait_ready()
            yield application


async def test_database_lost_before_the_results_leaves_the_article_pending_for_reprocess(
    private_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The article is committed before extraction; when the database goes away before the
    results are saved, the client gets a 503 and the article stays `pending` (with no extractor
    version), so `POST /v1/reprocess` queues it and a worker completes it."""
    import app.articles.service as articles_service

    async def gone(*args: Any) -> None:
        raise sa_exc.OperationalError("INSERT ...", {}, ConnectionError("server closed the connection"))

    transport = httpx.ASGITransport(app=private_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        body = {"text": f"Mayor Ilse {uniq()} said the bridge would reopen in May.", "source": "lost"}
        with monkeypatch.context() as m:
            m.setattr(articles_service, "store_result", gone)
            r = await client.post("/v1/articles", json=body)
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        [pending] = (await client.get("/v1/articles", params={"state": "pending"})).json()["items"]

        r = await client.post("/v1/reprocess")
        assert r.status_code == 202
        assert [i["article_id"] for i in r.json()["items"]] == [pending["id"]]
        worker = QueueWorker(private_app.state.db, private_app.state.pool.extract, JobSettings())
        await worker.run(asyncio.Event(), exit_when_idle=True)
        for _ in range(300):  # on SQLite the API's own queue worker may be storing it
            article = (await client.get(f"/v1/articles/{pending['id']}")).json()
            if article["extraction"]["state"] == "done":
                break
            await asyncio.sleep(0.1)
        assert article["extraction"]["state"] == "done" and article["claims"]
