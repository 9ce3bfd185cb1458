"""Asynchronous ingestion over HTTP on SQLite and PostgreSQL: batches (JSON and NDJSON),
`Prefer: respond-async`, job progress, duplicates, validation, re-extraction, NDJSON lists, and
leases (a worker that lost its lease cannot store)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.articles import repository as articles_repo
from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.articles.service import article_fields
from app.claims.models import Claim
from app.core.database import utcnow
from app.core.metrics import REGISTRY
from app.jobs import repository as repo
from app.jobs.models import DONE, RUNNING, JobItem
from app.jobs.settings import JobSettings
from app.jobs.worker import QueueWorker

from .conftest import make_article


async def drain(app: FastAPI, client: httpx.AsyncClient, location: str) -> dict[str, Any]:
    """Run a worker until the queue is empty, then wait for the job to finish (on SQLite the
    embedded worker may still be storing its last batch)."""
    worker = QueueWorker(app.state.db, app.state.pool.extract, JobSettings(job_batch_size=8))
    await worker.run(asyncio.Event(), exit_when_idle=True)
    for _ in range(600):
        job = (await client.get(location)).json()
        if job["state"] == "done":
            return job  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"job not done: {job}")


async def test_batch_is_accepted_then_processed(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    arts = [make_article() for _ in range(5)]
    r = await jobs_client.post("/v1/articles/batch", json=[*arts, arts[1]])
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["kind"] == "ingest" and job["counts"]["total"] == 6
    assert [i["position"] for i in job["items"]] == list(range(6))
    dup = job["items"][5]
    assert dup["state"] == "duplicate" and dup["article_id"] == job["items"][1]["article_id"]
    done = await drain(jobs_app, jobs_client, r.headers["location"])
    assert not done["errors"], done["errors"][0]
    assert done["counts"] | {"total": 6} == {"total": 6, "queued": 0, "running": 0, "done": 5, "failed": 0,
                                              "duplicate": 1}
    assert done["finished_at"] is not None and done["errors"] == []
    for item in done["items"][:5]:
        a = (await jobs_client.get(f"/v1/articles/{item['article_id']}")).json()
        assert a["extraction"]["state"] == "done"
        assert a["claims"] and all(isinstance(c["stored_id"], int) for c in a["claims"])
    # the same batch again creates nothing
    again = (await jobs_client.post("/v1/articles/batch", json={"articles": arts})).json()
    assert again["counts"]["duplicate"] == 5 and again["state"] == "done"


async def test_ndjson_batch(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    arts = [make_article() for _ in range(3)]
    body = "\n".join(json.dumps(a) for a in arts) + "\n\n"
    r = await jobs_client.post("/v1/articles/batch", content=body.encode(),
                               headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    assert (await drain(jobs_app, jobs_client, r.headers["location"]))["counts"]["done"] == 3


async def test_respond_async_single_article(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    r = await jobs_client.post("/v1/articles", json=make_article(),
                               headers={"Prefer": "respond-async, wait=1"})
    assert r.status_code == 202, r.text
    assert r.headers["preference-applied"] == "respond-async"
    job = await drain(jobs_app, jobs_client, r.headers["location"])
    [item] = job["items"]
    assert item["state"] == "done"
    a = (await jobs_client.get(f"/v1/articles/{item['article_id']}")).json()
    assert a["extraction"]["state"] == "done" and a["entities"]
    # without the preference the synchronous path is unchanged
    assert (await jobs_client.post("/v1/articles", json=make_article())).status_code == 201


async def test_batch_validation_errors(jobs_client: httpx.AsyncClient) -> None:
    r = await jobs_client.post("/v1/articles/batch", json=[make_article(), {"text": "  "}, {"title": "x"}])
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    locs = [e["loc"] for e in r.json()["errors"]]
    assert ["body", 1, "text"] in locs and ["body", 2, "text"] in locs
    r = await jobs_client.post("/v1/articles/batch", json=[])
    assert r.status_code == 422
    r = await jobs_client.post("/v1/articles/batch", json={"text": "not a list"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body"]
    r = await jobs_client.post("/v1/articles/batch", json=[{"text": f"t{i}"} for i in range(1001)])
    assert r.status_code == 422 and "1000" in r.json()["errors"][0]["message"]
    r = await jobs_client.get("/v1/jobs/987654321")
    assert r.status_code == 404 and r.json()["status"] == 404


async def test_reprocess_replaces_derived_rows(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    r = await jobs_client.post("/v1/articles/batch", json=[make_article(), make_article()])
    job = await drain(jobs_app, jobs_client, r.headers["location"])
    ids = [i["article_id"] for i in job["items"]]
    db = jobs_app.state.db

    async def claim_counts() -> list[int]:
        async with db.session() as s:
            return [(await s.execute(select(func.count()).where(Claim.article_id == i))).scalar_one()
                    for i in ids]

    before = await claim_counts()
    assert all(before)
    async with db.session() as s:  # pretend an older extractor produced one of them
        await s.execute(update(Article).where(Article.id == ids[0]).values(extractor_version="0.0.0-old"))
    r = await jobs_client.post("/v1/reprocess")
    assert r.status_code == 202 and r.json()["kind"] == "reprocess"
    assert [i["article_id"] for i in r.json()["items"]] == [ids[0]]
    job = await drain(jobs_app, jobs_client, r.headers["location"])
    assert job["counts"]["done"] == 1
    a = (await jobs_client.get(f"/v1/articles/{ids[0]}")).json()
    assert a["extraction"]["extractor_version"] != "0.0.0-old"
    assert await claim_counts() == before  # replaced, not added to
    r = await jobs_client.post("/v1/reprocess", json={"force": True})
    assert r.json()["counts"]["total"] >= 2
    await drain(jobs_app, jobs_client, r.headers["location"])
    assert await claim_counts() == before
    assert (await jobs_client.post("/v1/reprocess", json={"force": "maybe"})).status_code == 422


async def test_lost_lease_cannot_store(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    """A worker whose lease expired (it hung, or died) is fenced off; the next one stores."""
    db = jobs_app.state.db
    async with db.session() as s:  # let running workers finish first, so A claims our item
        pass
    r = await jobs_client.post("/v1/articles/batch", json=[make_article()])
    item_id = None
    async with db.session() as s:
        claimed = await repo.claim(s, "worker-a", 1, 0.05)
    if not claimed:  # the embedded worker was quicker: nothing to fence in this run
        await drain(jobs_app, jobs_client, r.headers["location"])
        return
    item_id = claimed[0].id
    await asyncio.sleep(0.2)
    job = await drain(jobs_app, jobs_client, r.headers["location"])
    assert job["counts"]["done"] == 1 and job["items"][0]["attempts"] == 2
    async with db.session() as s:
        assert not await repo.finish(s, item_id, "worker-a", DONE)


async def test_lists_stream_as_ndjson(jobs_app: FastAPI, jobs_client: httpx.AsyncClient) -> None:
    r = await jobs_client.post("/v1/articles/batch", json=[make_article(sentences=4) for _ in range(3)])
    job = await drain(jobs_app, jobs_client, r.headers["location"])
    total = 0
    for item in job["items"]:
        params = {"article_id": item["article_id"], "limit": 1}
        page = (await jobs_client.get("/v1/claims", params=params)).json()
        assert page["next"] is not None  # several pages in JSON
        r = await jobs_client.get("/v1/claims", params={"article_id": item["article_id"], "limit": 1},
                                  headers={"Accept": "application/x-ndjson"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.text.splitlines()]
        assert len(lines) > 1 and all(c["article_id"] == item["article_id"] for c in lines)
        total += len(lines)
    for path in ("/v1/events", "/v1/entities"):
        r = await jobs_client.get(path, headers={"Accept": "application/x-ndjson"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        assert all(isinstance(json.loads(line)["id"], int) for line in r.text.splitlines())
    r = await jobs_client.get("/v1/claims", params={"cursor": "nonsense"},
                              headers={"Accept": "application/x-ndjson"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")



async def test_unstorable_result_fails_the_article_once(jobs_app: FastAPI,
                                                        jobs_client: httpx.AsyncClient) -> None:
    """A result the storage rejects marks the article failed with the reason (no retry loop)."""
    db = jobs_app.state.db
    async with db.session() as s:  # an item already leased to our worker, out of others' reach
        article_id = await articles_repo.insert_new(s, article_fields(ArticleCreate(**make_article())))
        assert article_id is not None
        job_id = await repo.create_job(s, "ingest", 1)
        await repo.add_items(s, job_id, [(0, article_id, RUNNING)])
        await s.execute(update(JobItem).where(JobItem.job_id == job_id)
                        .values(lease_owner="worker-b", lease_expires_at=utcnow() + timedelta(minutes=5)))
        item_id = (await s.execute(select(JobItem.id).where(JobItem.job_id == job_id))).scalar_one()

    async def broken(items: list[Any]) -> list[dict[str, Any]]:
        return [{"claims": [{"id": "c1", "kind": "direct", "content": {"start": "not a number"}}],
                 "entities": [], "timexes": [], "events": []} for _ in items]

    def failures() -> float:
        return REGISTRY.get_sample_value("newsclaims_job_failures_total", {"reason": "storing"}) or 0.0

    before = failures()
    worker = QueueWorker(db, broken, JobSettings(), owner="worker-b")
    await worker._process([repo.Claimed(item_id, job_id, article_id, 1)])
    assert failures() == before + 1  # the job-failure metric counts it
    job = (await jobs_client.get(f"/v1/jobs/{job_id}")).json()
    assert job["state"] == "done" and job["counts"]["failed"] == 1
    [err] = job["errors"]
    assert err["attempts"] == 0 and err["error"].startswith("storing failed: ValueError")
    a = (await jobs_client.get(f"/v1/articles/{article_id}")).json()
    assert a["extraction"]["state"] == "failed" and a["extraction"]["error"].startswith("storing failed")
    assert a["claims"] == []
