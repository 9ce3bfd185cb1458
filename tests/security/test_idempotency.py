"""Idempotency-Key through real HTTP on both databases: replay, mismatch, release, retry storm."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.core.idempotency import IdempotencyRecord


def _article(tag: str) -> dict[str, str]:
    return {"text": f"The mayor said on Monday that the bridge {tag} would reopen in May.",
            "source": "idem-test"}


async def test_same_key_same_body_replays_first_response(client: httpx.AsyncClient) -> None:
    key = uuid.uuid4().hex
    body = _article(key)
    first = await client.post("/v1/articles", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = await client.post("/v1/articles", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["x-request-id"] != first.headers["x-request-id"]


async def test_same_key_different_body_is_422(client: httpx.AsyncClient) -> None:
    key = f'"{uuid.uuid4().hex}"'  # the draft's structured-field string form
    first = await client.post("/v1/articles", json=_article(key), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    other = await client.post("/v1/articles", json=_article(key + "x"), headers={"Idempotency-Key": key})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused")


async def test_failed_request_releases_the_key(client: httpx.AsyncClient) -> None:
    key = uuid.uuid4().hex
    bad = await client.post("/v1/articles", json={"text": "   "}, headers={"Idempotency-Key": key})
    assert bad.status_code == 422
    good = await client.post("/v1/articles", json=_article(key), headers={"Idempotency-Key": key})
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers


async def test_malformed_key_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", json=_article("m"), headers={"Idempotency-Key": "x" * 300})
    assert r.status_code == 400 and r.json()["type"].endswith("/invalid-idempotency-key")


async def test_retry_storm_with_one_key_creates_one_article(client: httpx.AsyncClient) -> None:
    key = uuid.uuid4().hex
    body = _article("storm " + key)
    responses = await asyncio.gather(*[
        client.post("/v1/articles", json=body, headers={"Idempotency-Key": key}) for _ in range(12)])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    replays = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replays) == statuses.count(201) - 1
    listed = await client.get("/v1/articles", params={"source": "idem-test", "limit": 50})
    texts = [a for a in listed.json()["items"] if a["id"] in ids]
    assert len(texts) == 1


async def test_retry_storm_without_key_still_one_article(client: httpx.AsyncClient) -> None:
    """Without a key the duplicate rule (same text, same source) still yields one article."""
    body = _article("nokey " + uuid.uuid4().hex)
    responses = await asyncio.gather(*[client.post("/v1/articles", json=body) for _ in range(8)])
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_expired_key_can_be_reused(client: httpx.AsyncClient, app: FastAPI) -> None:
    key = uuid.uuid4().hex
    first = await client.post("/v1/articles", json=_article(key), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    async with app.state.db.session() as s:
        await s.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key).values(
            created_at=datetime.now(UTC) - timedelta(days=2)))
    later = _article(key + " later")
    other = await client.post("/v1/articles", json=later, headers={"Idempotency-Key": key})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
