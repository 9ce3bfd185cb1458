"""The extraction worker pool: spaCy runs in these processes, never on the event loop.

Created in the application lifespan; each worker loads the model once (`init_worker`). The pool
is "ready" once a worker has proved its model is loaded, which `/readyz` reports. A crashed
worker breaks a `ProcessPoolExecutor` for good, so the pool replaces the executor and reports
not ready until the new one is warm.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from app.core.limits import bounded_extract_batch as extract_batch  # per-article deadline
from app.extraction.inputs import ArticleInput
from app.extraction.parallel import init_worker, warm

log = logging.getLogger("newsclaims")


class ExtractionUnavailable(Exception):
    """The worker pool is broken or shut down (the caller answers 503)."""


class ExtractionPool:
    def __init__(self, workers: int, model: str | None = None) -> None:
        self.workers = max(1, workers)
        self.model = model
        self.ready = False
        self._executor: ProcessPoolExecutor | None = None
        self._warming: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.model,),
        )
        self.ready = False
        self._warming = asyncio.get_running_loop().create_task(self._warm())

    async def _warm(self) -> None:
        """Start every worker (loading its model) and mark the pool ready when one answers."""
        loop, executor = asyncio.get_running_loop(), self._executor
        assert executor is not None
        try:
            tasks = [loop.run_in_executor(executor, warm) for _ in range(self.workers)]
            for done in asyncio.as_completed(tasks):
                if await done:
                    self.ready = True
        except Exception:  # a worker that cannot load the model: stay not ready
            log.exception("extraction workers failed to start")

    async def wait_ready(self) -> bool:
        if self._warming is not None:
            await asyncio.shield(self._warming)
        return self.ready

    async def extract(self, items: list[ArticleInput]) -> list[dict[str, Any]]:
        if self._executor is None:
            raise ExtractionUnavailable("the extraction pool is not running")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, extract_batch, items)
        except BrokenProcessPool as exc:
            log.error("extraction worker died; restarting the pool")
            old, self._executor = self._executor, None
            if old is not None:
                old.shutdown(wait=False, cancel_futures=True)
            self.start()
            raise ExtractionUnavailable("an extraction worker died; retry the request") from exc

    async def close(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
        executor, self._executor, self.ready = self._executor, None, False
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True, cancel_futures=True)
