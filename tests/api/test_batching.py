"""Synchronous requests arriving together are extracted as one batch by the real worker pool,
and an article that fails (here: past the per-article deadline) fails alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.articles.pool import ExtractionPool
from app.articles.service import ExtractionBatcher
from app.extraction.inputs import ArticleInput

from .docs import uniq


async def test_concurrent_articles_share_a_batch_and_a_failing_one_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSCLAIMS_EXTRACTION_TIMEOUT_S", "0.3")  # read by the pool's process
    pool = ExtractionPool(1)
    pool.start()
    try:
        assert await pool.wait_ready()
        batches: list[int] = []
        extract = pool.extract

        async def counted(items: list[ArticleInput]) -> list[dict[str, Any]]:
            batches.append(len(items))
            return await extract(items)

        monkeypatch.setattr(pool, "extract", counted)
        batcher = ExtractionBatcher(pool, size=4)
        slow = " ".join(f"Officials in district {i} said on Monday that the bridge would reopen, the "
                        "mayor added." for i in range(530))
        texts = [f"Mayor {uniq()} said the bridge in Lviv would reopen in March." for _ in range(4)]

        async def one(text: str) -> Any:
            return await batcher.extract(ArticleInput(text=text))

        # a lone request goes at once
        [doc] = await asyncio.gather(one(texts[0]))
        assert batches == [1] and doc["claims"]
        # four at once: one batch; its deadline passes on the slow article, so each is retried alone
        batches.clear()
        results = await asyncio.gather(*(one(t) for t in (slow, *texts[1:])), return_exceptions=True)
        assert batches == [4, 1, 1, 1, 1], batches
        assert isinstance(results[0], Exception) and "longer than" in str(results[0])
        assert all(isinstance(r, dict) and r["claims"] for r in results[1:]), results[1:]
        # more requests than one batch: the rest wait for the pool process and go together next
        batches.clear()
        results = await asyncio.gather(*(one(t) for t in texts * 2))
        assert batches == [4, 4] and all(r["claims"] for r in results)
    finally:
        await pool.close()
