"""`newsclaims worker`: a standalone queue worker (the way to scale extraction out).

Each process loads the language model once, then claims leased batches from the database queue,
extracts them with `nlp.pipe` (in a thread, so the lease heartbeat keeps running) and stores the
results through the same code as the synchronous API. Run as many as you have cores, on as many
machines as you like, against one PostgreSQL; SIGTERM/SIGINT finish the current batch and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import signal
import sys
from contextlib import suppress
from functools import partial

from app.articles.pool import ExtractionPool
from app.core.database import Database
from app.core.settings import Settings
from app.extraction.parallel import one_math_thread, when_parent_gone
from app.jobs.settings import JobSettings
from app.jobs.worker import QueueWorker


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help="process queued articles (asynchronous ingestion, re-extraction)")
    p.add_argument("--processes", type=int, default=1, help="worker processes to run (default 1)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="articles claimed at once (NEWSCLAIMS_JOB_BATCH_SIZE)")
    p.add_argument("--lease", type=float, default=None, help="lease seconds (NEWSCLAIMS_JOB_LEASE_S)")
    p.add_argument("--poll", type=float, default=None, help="idle polling seconds (NEWSCLAIMS_JOB_POLL_S)")
    p.add_argument("--exit-when-idle", action="store_true", help="stop once the queue is empty")
    p.add_argument("--database-url", default=None, help="override NEWSCLAIMS_DATABASE_URL")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace) -> tuple[str, JobSettings, str | None]:
    settings = Settings()
    overrides = {k: v for k, v in (("job_batch_size", args.batch_size), ("job_lease_s", args.lease),
                                   ("job_poll_s", args.poll)) if v is not None}
    cfg = JobSettings(**overrides)
    return args.database_url or settings.effective_database_url, cfg, settings.extraction_model


async def serve(url: str, cfg: JobSettings, model: str | None, exit_when_idle: bool, *,
                with_parent: bool = False) -> int:
    """Run the queue loops until SIGTERM/SIGINT (or an empty queue with `exit_when_idle`);
    `with_parent`: also stop, after the current batch, when the process that started this one is
    gone (a child of `--processes N` whose parent was SIGKILLed would otherwise go on unsupervised,
    beside the replacement its supervisor starts)."""
    # Extraction runs in a child process, as in the API: under the per-article deadline
    # (NEWSCLAIMS_EXTRACTION_TIMEOUT_S), so a pathological text fails that article instead of
    # stalling the worker, and a crash in the parser restarts the child instead of this loop.
    pool = ExtractionPool(1, model)
    pool.start()
    if not await pool.wait_ready():
        print("newsclaims worker: the extraction process could not load the model", file=sys.stderr)
        await pool.close()
        return 1

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if with_parent:
        when_parent_gone(partial(_orphaned, loop, stop))
    db = Database(url, pool_size=3)
    # two loops share the one extraction process: while one parses its batch, the other stores
    loops = [QueueWorker(db, pool.extract, cfg) for _ in range(2)]
    name = loops[0].owner.rsplit(":", 1)[0]
    print(f"newsclaims worker {name}: ready", file=sys.stderr, flush=True)
    try:
        await asyncio.gather(*(w.run(stop, exit_when_idle=exit_when_idle) for w in loops))
    finally:
        await db.dispose()
        await pool.close()
    print(f"newsclaims worker {name}: stopped after {sum(w.processed for w in loops)} articles",
          file=sys.stderr, flush=True)
    return 0


def _orphaned(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """(From the parent watcher's thread.)"""
    print("newsclaims worker: the parent process is gone; stopping after the current batch",
          file=sys.stderr, flush=True)
    with suppress(RuntimeError):  # (the loop has already finished: nothing to stop)
        loop.call_soon_threadsafe(stop.set)


def _child(url: str, cfg: JobSettings, model: str | None, exit_when_idle: bool) -> None:
    sys.exit(asyncio.run(serve(url, cfg, model, exit_when_idle, with_parent=True)))


def run(args: argparse.Namespace) -> int:
    url, cfg, model = _config(args)
    # one BLAS thread per process: N processes x N threads would oversubscribe the cores (every
    # extraction process spawned from here inherits the setting and reads it with numpy)
    one_math_thread()
    if args.processes <= 1:
        return asyncio.run(serve(url, cfg, model, args.exit_when_idle))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_child, args=(url, cfg, model, args.exit_when_idle))
             for _ in range(args.processes)]
    for p in procs:
        p.start()

    # SIGTERM to this process (a supervisor's stop) reaches every worker: each finishes its batch
    def stop_all(*_: object) -> None:
        for p in procs:
            if p.is_alive():
                p.terminate()

    signal.signal(signal.SIGTERM, stop_all)
    try:
        for p in procs:
            p.join()
    except KeyboardInterrupt:
        for p in procs:
            p.join()
    return max((p.exitcode or 0) for p in procs)
