"""Probes and the request id."""

from __future__ import annotations

import gc

import httpx
import pytest
from fastapi import FastAPI

from app.core.settings import Settings
from app.main import create_app


async def test_livez(client: httpx.AsyncClient) -> None:
    r = await client.get("/livez")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_readyz_when_database_and_model_are_up(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["database"] is True and body["model"] is True
    assert body["queue"] is True and isinstance(body["queue_depth"], int) and body["queue_depth"] >= 0


async def test_readyz_is_503_when_the_queue_workers_died(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Dead:
        alive = False

    monkeypatch.setattr(app.state, "jobs", Dead())
    r = await client.get("/readyz")
    assert r.status_code == 503 and "queue workers" in r.json()["detail"]


async def test_readiness_publishes_the_queue_depth_metric(client: httpx.AsyncClient) -> None:
    depth = (await client.get("/readyz")).json()["queue_depth"]
    text = (await client.get("/metrics")).text
    assert f'newsclaims_queue_depth{{queue="extraction"}} {float(depth)}' in text


async def test_readyz_is_503_problem_when_the_model_is_not_loaded(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    pool = app.state.pool
    pool.ready = False
    try:
        r = await client.get("/readyz")
    finally:
        pool.ready = True
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 503 and "language model" in body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/livez", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/livez", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces" and len(r.headers["x-request-id"]) >= 16
    r = await client.get("/v1/articles/999999999", headers={"X-Request-ID": "trace-42"})
    assert r.json()["request_id"] == "trace-42"


async def test_readyz_is_503_when_the_database_does_not_answer(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down() -> bool:
        return False

    monkeypatch.setattr(app.state.db, "ping", down)
    r = await client.get("/readyz")
    assert r.status_code == 503 and "database" in r.json()["detail"]
    assert r.headers["retry-after"]
    assert (await client.get("/livez")).status_code == 200  # alive, just not ready


async def test_what_lives_from_the_start_is_frozen(settings: Settings) -> None:
    """A full collection would walk the framework's ~100,000 long-lived objects while every
    in-flight request waits: the lifespan freezes what is alive once started, and thaws it on
    shutdown."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        assert gc.get_freeze_count() > 50_000
    assert gc.get_freeze_count() == 0
