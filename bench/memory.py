"""(5), the worst case: peak RSS of one extraction process given the longest article the API
accepts (`NEWSCLAIMS_MAX_TEXT_CHARS`, default 200,000 characters), built from the benchmark's
texts. The worker pools of (3) see only news-length articles; this is the bound a hostile or
unusual client can push a worker to."""

from __future__ import annotations

import multiprocessing as mp
import os

from app.extraction.inputs import ArticleInput

from .common import peak_rss_mb


def _longest(text: str) -> tuple[int, float, float]:
    from app.extraction.parallel import extract_batch

    before = peak_rss_mb(os.getpid())
    claims = len(extract_batch([ArticleInput(text=text)])[0]["claims"])
    return claims, before, peak_rss_mb(os.getpid())


def longest_article(texts: list[str]) -> tuple[int, int, float, float]:
    """(characters, claims, peak MB after loading the model, peak MB after the article) in a fresh
    spawned extraction process, as the API's pool and `newsclaims worker` run extraction."""
    from app.core.settings import Settings
    from app.extraction.parallel import init_worker

    limit = Settings().max_text_chars
    joined = "\n\n".join(texts)
    text = (joined * (limit // max(len(joined), 1) + 1))[: limit - 1000].rstrip()
    with mp.get_context("spawn").Pool(1, initializer=init_worker) as pool:
        claims, loaded, peak = pool.apply(_longest, (text,))
    return len(text), claims, loaded, peak
