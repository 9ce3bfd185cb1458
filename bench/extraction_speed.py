"""(1) bare `en_core_web_sm` `nlp.pipe` parsing and (2) the extraction library, one worker and all
cores, on the same texts. Models are loaded and warmed before the clock starts.

Both parse exactly the same `nlp.pipe` batches: the extraction sends chunks of `CHUNK` texts to
its workers and `Extractor.extract_many` cuts each chunk into batches of at most
`pipeline.BATCH_DOCS` documents and `pipeline.BATCH_CHARS` characters; the bare reference pipes
those same batches (`pipe_batches`) through the full, unmodified model."""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any

from app.extraction.pipeline import ArticleInput

CHUNK = 8


def pipe_batches(texts: list[str]) -> list[list[str]]:
    """The `nlp.pipe` batches the extraction run parses (see the module docstring)."""
    from app.extraction import pipeline

    return [batch for i in range(0, len(texts), CHUNK)
            for batch in pipeline.batches(texts[i : i + CHUNK], len)]


def bare_parse(texts: list[str]) -> float:
    """Docs/s of the bare model's `nlp.pipe` in one process (the physical limit of this design)."""
    import spacy

    from app.extraction import pipeline

    nlp = spacy.load(pipeline.DEFAULT_MODEL)
    nlp.max_length = pipeline.MAX_LENGTH
    list(nlp.pipe(texts[:4], batch_size=4))
    t = time.perf_counter()
    for batch in pipe_batches(texts):
        for _ in nlp.pipe(batch, batch_size=len(batch)):
            pass
    return len(texts) / (time.perf_counter() - t)


def _work(chunk: list[str]) -> int:
    from app.extraction.parallel import extract_batch

    return len(extract_batch([ArticleInput(text=t) for t in chunk]))


def _warm(_: Any) -> bool:
    from app.extraction.parallel import extract_batch

    extract_batch([ArticleInput(text="Warm-up: the official said it works.")])
    return True


def extraction(texts: list[str], workers: int) -> float:
    """Docs/s of the extraction library over `workers` processes, as `newsclaims extract` runs it
    (a spawn pool whose workers load the model once, chunks through `imap`)."""
    from app.extraction.parallel import init_worker

    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    if workers == 1:
        init_worker()
        _warm(None)
        t = time.perf_counter()
        n = sum(map(_work, chunks))
        return n / (time.perf_counter() - t)
    with mp.get_context("spawn").Pool(workers, initializer=init_worker) as pool:
        pool.map(_warm, range(workers * 2), chunksize=1)
        t = time.perf_counter()
        n = sum(pool.imap_unordered(_work, chunks))
        return n / (time.perf_counter() - t)
