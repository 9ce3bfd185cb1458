"""`newsclaims worker` processes against one PostgreSQL queue: a worker killed with SIGKILL
mid-batch loses nothing (its leases expire and another worker resumes), and two workers share
the queue without processing any article twice. Every accepted article ends up stored once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from procs import alive, children
from sqlalchemy import func, select

from app.articles.models import Article
from app.articles.schemas import ArticleCreate
from app.claims.models import Claim
from app.core.database import Database
from app.core.settings import Settings
from app.jobs.models import JobItem
from app.jobs.service import JobService

from .conftest import make_article

ROOT = Path(__file__).resolve().parents[2]


class Workers:
    """`newsclaims worker` subprocesses on one database, stopped (SIGKILL) at the end."""

    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp = url, tmp
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.files: list[IO[bytes]] = []

    def start(self, *extra: str, lease: float = 2.0, batch: int = 3) -> subprocess.Popen[bytes]:
        log = self.tmp / f"worker-{len(self.procs)}.log"
        env = {**os.environ, "NEWSCLAIMS_DATABASE_URL": self.url, "NEWSCLAIMS_JOB_LEASE_S": str(lease),
               "NEWSCLAIMS_JOB_POLL_S": "0.1", "NEWSCLAIMS_JOB_BATCH_SIZE": str(batch),
               "NEWSCLAIMS_LOG_LEVEL": "WARNING"}
        self.files.append(log.open("wb"))
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *extra], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=self.files[-1])
        self.procs.append((proc, log))
        return proc

    def wait_ready(self, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
        log = next(lg for p, lg in self.procs if p is proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b": ready" in log.read_bytes():
                return
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        raise AssertionError(f"worker not ready: {log.read_text()}")

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        for f in self.files:
            f.close()


@pytest.fixture
def workers(pg_url: str, tmp_path: Path) -> Iterator[Workers]:
    w = Workers(pg_url, tmp_path)
    try:
        yield w
    finally:
        w.stop()


async def enqueue(db: Database, n: int, sentences: int) -> list[int]:
    payloads = [ArticleCreate.model_validate(make_article(sentences=sentences)) for _ in range(n)]
    job = await JobService(db, Settings()).accept(payloads)
    return [i.article_id for i in job.items]


async def items_of(db: Database, ids: list[int]) -> list[Any]:
    async with db.session() as s:
        cols = (JobItem.article_id, JobItem.state, JobItem.attempts, JobItem.lease_owner)
        rows = await s.execute(select(*cols).where(JobItem.article_id.in_(ids)))
        return list(rows.all())


async def wait_all_done(db: Database, ids: list[int]) -> list[Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = await items_of(db, ids)
        if all(r.state == "done" for r in rows):
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError(f"not all done: {[r.state for r in rows]}")


async def assert_stored_once(db: Database, ids: list[int]) -> None:
    """Every article done, with exactly the claims of its (single) stored result document."""
    async with db.session() as s:
        for a in (await s.execute(select(Article).where(Article.id.in_(ids)))).scalars():
            assert a.extraction_state == "done" and a.result is not None
            stored = (await s.execute(select(func.count()).where(Claim.article_id == a.id))).scalar_one()
            assert stored == len(a.result["claims"]) > 0
            assert sorted(c["stored_id"] for c in a.result["claims"]) == sorted(
                (await s.execute(select(Claim.id).where(Claim.article_id == a.id))).scalars())


async def test_kill_9_mid_batch_loses_nothing(pg_url: str, workers: Workers) -> None:
    db = Database(pg_url, pool_size=2)
    try:
        first = workers.start()
        workers.wait_ready(first)
        ids = await enqueue(db, 12, sentences=8)
        # wait until the worker holds a batch it has not stored yet, then kill it without warning
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = await items_of(db, ids)
            if any(r.state == "running" for r in rows) and any(r.state == "done" for r in rows):
                break
            await asyncio.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        rows = await items_of(db, ids)
        orphaned = [r.article_id for r in rows if r.state == "running"]
        assert orphaned, f"the kill did not land mid-batch: {[r.state for r in rows]}"
        assert any(r.state == "queued" for r in rows) or orphaned

        second = workers.start("--exit-when-idle")
        rows = await wait_all_done(db, ids)
        second.wait(60)
        resumed = {r.article_id: r.attempts for r in rows if r.article_id in orphaned}
        assert all(n == 2 for n in resumed.values()), resumed  # the orphans were taken over once
        await assert_stored_once(db, ids)
    finally:
        await db.dispose()


async def test_two_workers_share_the_queue(pg_url: str, workers: Workers) -> None:
    db = Database(pg_url, pool_size=2)
    try:
        procs = [workers.start(lease=30, batch=2) for _ in range(2)]
        for p in procs:
            workers.wait_ready(p)
        ids = await enqueue(db, 16, sentences=3)
        rows = await wait_all_done(db, ids)
        assert all(r.attempts == 1 for r in rows), "an article was claimed twice"
        pids = {r.lease_owner.split(":")[1] for r in rows}  # owner = host:pid:loop
        assert pids == {str(p.pid) for p in procs}, f"both workers should have taken part: {pids}"
        await assert_stored_once(db, ids)
        for p in procs:  # SIGTERM: finish the batch in hand and exit cleanly
            p.terminate()
            assert p.wait(30) == 0
    finally:
        await db.dispose()


async def test_a_pathological_article_fails_alone_under_the_deadline(
    pg_url: str, workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker extracts in a child process under NEWSCLAIMS_EXTRACTION_TIMEOUT_S: an article
    that takes far longer fails with the reason, and the rest of its batch is still stored."""
    monkeypatch.setenv("NEWSCLAIMS_EXTRACTION_TIMEOUT_S", "0.3")  # read by the worker's child
    slow = " ".join(f"Officials in district {i} said on Monday that the bridge would reopen, the mayor "
                    "added." for i in range(530))
    db = Database(pg_url, pool_size=2)
    try:
        payloads = [ArticleCreate.model_validate(make_article(text=slow, external_id=None)),
                    ArticleCreate.model_validate(make_article(sentences=2))]
        job = await JobService(db, Settings()).accept(payloads)
        slow_id, ok_id = (i.article_id for i in job.items)
        proc = workers.start("--exit-when-idle", batch=2)
        assert proc.wait(120) == 0
        async with db.session() as s:
            rows = {a.id: a for a in (await s.execute(select(Article).where(
                Article.id.in_([slow_id, ok_id])))).scalars()}
        assert rows[slow_id].extraction_state == "failed"
        assert "longer than" in (rows[slow_id].extraction_error or "")
        assert rows[ok_id].extraction_state == "done"
    finally:
        await db.dispose()



@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_processes_stop_with_their_parent(pg_url: str, workers: Workers, sig: signal.Signals) -> None:
    """`worker --processes 2` stopped by its supervisor (SIGTERM, passed on to each process) or
    SIGKILLed (an OOM kill, a supervisor's last resort): its two worker processes and their
    extraction processes do not go on working unsupervised."""
    parent = workers.start("--processes", "2")
    log = workers.procs[-1][1]
    deadline = time.monotonic() + 120
    while log.read_bytes().count(b": ready") < 2:
        assert parent.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    kids = [p for p in children(parent.pid)
            if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert len(kids) == 2
    family = kids + [g for k in kids for g in children(k)]  # with their extraction processes
    assert len(family) == 4
    parent.send_signal(sig)
    try:
        parent.wait(30)
        deadline = time.monotonic() + 30
        while any(alive(p) for p in family) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in family if alive(p)], log.read_text()
        if sig == signal.SIGTERM:
            assert parent.returncode == 0 and log.read_bytes().count(b": stopped after") == 2
        else:
            assert log.read_bytes().count(b"the parent process is gone") == 2
    finally:  # (a failure leaves nothing running)
        for p in family:
            if alive(p):
                os.kill(p, signal.SIGKILL)
