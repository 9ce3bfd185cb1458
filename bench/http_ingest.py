"""(3) end to end through HTTP into SQLite and PostgreSQL — synchronous `POST /v1/articles` from
concurrent clients, and asynchronous batches (`POST /v1/articles/batch`) drained by workers —
with a real uvicorn; and (5) the peak RSS of each extraction worker process."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .common import children, migrate, peak_rss_mb, server, start_workers, stop


@dataclass
class IngestFigures:
    backend: str
    sync_docs_s: float = float("nan")
    async_docs_s: float = float("nan")
    worker_rss_mb: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _post_sync(url: str, texts: list[str], source: str, clients: int,
                     notes: list[str] | None = None) -> float:
    """Articles/s stored (failed requests are noted, not counted)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in texts:
        queue.put_nowait(t)
    failures = 0
    reasons: list[str] = []

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            text = queue.get_nowait()
            r = await c.post(
                "/v1/articles", json={"text": text, "source": source, "published_at": "2016-10-01"}
            )
            if r.status_code not in (200, 201):
                failures += 1
                reasons.append(f"HTTP {r.status_code}: {r.text[:160]}")

    async with httpx.AsyncClient(base_url=url, timeout=600) as c:
        t = time.perf_counter()
        await asyncio.gather(*(client(c) for _ in range(clients)))
        elapsed = time.perf_counter() - t
    if failures and notes is not None:
        notes.append(f"sync: {failures} of {len(texts)} posts failed, e.g. {reasons[0]}")
    return (len(texts) - failures) / elapsed


async def _post_async(url: str, texts: list[str], source: str, batch: int,
                      notes: list[str] | None = None) -> float:
    failed, reasons = 0, []
    async with httpx.AsyncClient(base_url=url, timeout=600) as c:
        t = time.perf_counter()
        jobs = []
        for i in range(0, len(texts), batch):
            body = [{"text": x, "source": source, "published_at": "2016-10-01"} for x in texts[i : i + batch]]
            r = await c.post("/v1/articles/batch", json=body)
            r.raise_for_status()
            jobs.append(r.headers["location"])
        for loc in jobs:
            while (job := (await c.get(loc)).json())["state"] != "done":  # noqa: ASYNC110 - polling HTTP
                await asyncio.sleep(0.1)
            failed += job["counts"]["failed"]
            reasons += [e["error"] for e in job["errors"]]
        if failed and notes is not None:
            notes.append(f"async: {failed} of {len(texts)} articles failed, e.g. {reasons[0][:160]}")
        return (len(texts) - failed) / (time.perf_counter() - t)


def _pool_rss(proc_pid: int) -> list[float]:
    """Peak RSS of the API's extraction pool processes (the children that loaded a model)."""
    out = []
    for pid in children(proc_pid):
        try:
            rss = peak_rss_mb(pid)
        except OSError:
            continue
        if rss > 150:  # the resource tracker and similar helpers are tiny
            out.append(rss)
    return out


def run(
    backend: str, db_url: str, texts: list[str], *, workers: int, clients: int, batch: int, tmp: Path
) -> IngestFigures:
    fig = IngestFigures(backend)
    migrate(db_url)
    tag = uuid.uuid4().hex[:6]
    # synchronous: the API's pool does the extraction, `workers` processes
    with server(
        db_url,
        tmp / f"{backend}-sync.log",
        NEWSCLAIMS_EXTRACTION_WORKERS=str(workers),
        NEWSCLAIMS_QUEUE_WORKER="off",
    ) as (url, proc):
        asyncio.run(_post_sync(url, texts[:2], f"warm-{tag}", 1))
        fig.sync_docs_s = asyncio.run(_post_sync(url, texts, f"sync-{tag}", clients, fig.notes))
        if backend == "sqlite":
            fig.worker_rss_mb += [("SQLite API: extraction pool process", mb) for mb in _pool_rss(proc.pid)]
    if backend == "sqlite":  # asynchronous: the API's embedded queue worker over its pool
        with server(
            db_url,
            tmp / f"{backend}-async.log",
            NEWSCLAIMS_EXTRACTION_WORKERS=str(workers),
            NEWSCLAIMS_QUEUE_WORKER="on",
            NEWSCLAIMS_JOB_POLL_S="0.1",
            NEWSCLAIMS_JOB_BATCH_SIZE="8",
        ) as (url, proc):
            asyncio.run(_post_sync(url, texts[:2], f"warm2-{tag}", 1))
            fig.async_docs_s = asyncio.run(_post_async(url, texts, f"async-{tag}", batch, fig.notes))
        fig.notes.append(
            f"async: {2 * workers} embedded queue worker loops (two per pool process), claims of 8"
        )
        return fig
    # PostgreSQL: the API only accepts; `workers` standalone `newsclaims worker` processes extract
    with server(
        db_url, tmp / f"{backend}-async.log", NEWSCLAIMS_EXTRACTION_WORKERS="1", NEWSCLAIMS_QUEUE_WORKER="off"
    ) as (url, _proc):
        procs = start_workers(db_url, workers, tmp, NEWSCLAIMS_JOB_BATCH_SIZE="8")
        try:
            fig.async_docs_s = asyncio.run(_post_async(url, texts, f"async-{tag}", batch, fig.notes))
            for p in procs:  # the worker, and the child it extracts in (under the deadline)
                fig.worker_rss_mb.append(("PostgreSQL: `newsclaims worker` process", peak_rss_mb(p.pid)))
                fig.worker_rss_mb += [("PostgreSQL: its extraction child process", mb)
                                      for mb in _pool_rss(p.pid)]
        finally:
            stop(procs)
    fig.notes.append(f"async: {workers} `newsclaims worker` processes, claims of 8")
    return fig


def tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="newsclaims-bench-"))


__all__ = ["IngestFigures", "os", "run", "tmpdir"]
