"""(1) bare `en_core_web_sm` `nlp.pipe` parsing and (2) the extraction library, one worker and all
cores, on the same texts. Models are loaded and warmed before the clock starts.

All of them parse exactly the same `nlp.pipe` batches: the extraction sends chunks of `CHUNK`
texts to its workers and `Extractor.extract_many` cuts each chunk into batches of at most
`pipeline.BATCH_DOCS` documents and `pipeline.BATCH_CHARS` characters; the bare reference pipes
those same batches (`pipe_batches`) through the full, unmodified model.

The figures are taken in rounds, each round timing bare parsing right next to every extraction
configuration, and the medians are reported: on a shared VM one pass of the same work varies by
±5%, so a reference measured once at the start made the ratios drift with whatever else ran.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.extraction.pipeline import ArticleInput

CHUNK = 8


def pipe_batches(texts: list[str]) -> list[list[str]]:
    """The `nlp.pipe` batches the extraction run parses (see the module docstring)."""
    from app.extraction import pipeline

    return [batch for i in range(0, len(texts), CHUNK)
            for batch in pipeline.batches(texts[i : i + CHUNK], len)]


def _parse_rate(nlp: Any, texts: list[str]) -> float:
    t = time.perf_counter()
    for batch in pipe_batches(texts):
        for _ in nlp.pipe(batch, batch_size=len(batch)):
            pass
    return len(texts) / (time.perf_counter() - t)


def bare_nlp() -> Any:
    """The stock model as spaCy loads it: the reference (1)."""
    import spacy

    from app.extraction import pipeline

    nlp = spacy.load(pipeline.DEFAULT_MODEL)
    nlp.max_length = pipeline.MAX_LENGTH
    return nlp


_bare: Any = None


def _init_bare() -> None:
    global _bare
    from app.extraction.parallel import one_math_thread

    one_math_thread()
    _bare = bare_nlp()
    list(_bare.pipe(["Warm-up: the official said it works."]))


def _bare_pass(texts: list[str]) -> tuple[float, float]:
    """One bare pass in a pool process: (start, end) wall-clock times."""
    t = time.time()
    _parse_rate(_bare, texts)
    return t, time.time()


def _bare_together(pool: Any, texts: list[str], workers: int) -> float:
    """Docs/s of `workers` bare processes parsing the texts at the same time: what this machine's
    cores give the stock model together (on a shared VM two busy vCPUs often give less than twice
    one)."""
    spans = pool.map(_bare_pass, [texts] * workers, chunksize=1)
    return workers * len(texts) / (max(e for _, e in spans) - min(s for s, _ in spans))


def _work(chunk: list[str]) -> int:
    from app.extraction.parallel import extract_batch

    return len(extract_batch([ArticleInput(text=t) for t in chunk]))


def _warm(_: Any) -> bool:
    from app.extraction.parallel import extract_batch

    extract_batch([ArticleInput(text="Warm-up: the official said it works.")])
    return True


@dataclass
class Speeds:
    """Docs/s per round of each measurement; `ratio(name)` is the median of the per-round ratios
    to bare parsing taken in the same round."""

    rounds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, rate: float) -> None:
        self.rounds.setdefault(name, []).append(rate)

    def median(self, name: str) -> float:
        return statistics.median(self.rounds[name])

    def ratio(self, name: str, to: str = "bare") -> float:
        return statistics.median(a / b for a, b in zip(self.rounds[name], self.rounds[to], strict=True))

    def spread(self, name: str) -> str:
        vals = self.rounds[name]
        return f"{min(vals):.2f}-{max(vals):.2f}" if len(vals) > 1 else f"{vals[0]:.2f}"


# The single-process figures are timed in a process of their own (`_init_reference`): the
# process that runs the pools has their helper threads, and a process with a second thread,
# even an idle one, parses ~5-10% slower (app/extraction/parallel.py); the reference must not
# carry that.
_ours: Any = None  # our pipeline's parse alone, in that process


def _init_reference(extraction: bool) -> None:
    from app.extraction.parallel import init_worker
    from app.extraction.pipeline import load_nlp

    global _ours
    _init_bare()  # (one math thread first)
    _ours = load_nlp()
    list(_ours.pipe(["Warm-up: the official said it works."]))
    if extraction:
        init_worker()
        _warm(None)


def _one_core_round(chunks: list[list[str]], extraction: bool) -> dict[str, float]:
    """Seconds spent by bare parsing, our parse alone and (with `extraction`) the extraction
    library on the same chunks, in turn chunk by chunk: the VM's speed drifts within seconds, so
    the three one-core figures are each the sum over the same chunks, taken moments apart."""
    spent = {"bare": 0.0, "parse": 0.0, "one": 0.0}
    for chunk in chunks:
        spent["bare"] += len(chunk) / _parse_rate(_bare, chunk)
        spent["parse"] += len(chunk) / _parse_rate(_ours, chunk)
        if extraction:
            t = time.perf_counter()
            _work(chunk)
            spent["one"] += time.perf_counter() - t
    return spent


def _reference_rate(texts: list[str]) -> float:
    return _parse_rate(_bare, texts)


def _threads() -> int:
    return threading.active_count()


def measure(texts: list[str], workers: int, repeats: int = 3, *, extraction: bool = True) -> Speeds:
    """`repeats` rounds of: bare parsing (1); our pipeline's parse alone (the same model as
    `load_nlp` sets it up, no extraction stages); and, with `extraction`, the extraction library
    in one process (1 worker, as `newsclaims extract --workers 1` runs it) and over a spawn pool
    of `workers` processes that load the model once (chunks through `imap`). The one-core
    figures alternate chunk by chunk in a reference process with a single thread (above); the
    pool's is timed next to a bare pass there and next to bare parsing in `workers` processes
    at once, so every ratio compares work a few seconds apart.

    The pool gets the texts `2 * workers + 1` times over: with one pass (11 chunks for 84 texts)
    the end of the run, where one worker idles while another finishes the last chunk, was ~10%
    of the figure, with three passes ~3%; in a real batch of thousands of articles it is
    nothing."""
    from app.extraction.parallel import init_worker, one_math_thread

    one_math_thread()  # (before any process is spawned: they inherit it)
    ctx = mp.get_context("spawn")
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    speeds = Speeds()
    pool: Any = None
    bares: Any = None
    ref = ctx.Pool(1, initializer=_init_reference, initargs=(extraction,))
    try:
        assert ref.apply(_threads) == 1, "the reference process must run a single thread"
        if extraction and workers > 1:
            pool = ctx.Pool(workers, initializer=init_worker)
            pool.map(_warm, range(workers * 2), chunksize=1)
            bares = ctx.Pool(workers, initializer=_init_bare)

        def timed(run: Callable[[], int]) -> float:
            t = time.perf_counter()
            n = run()
            return n / (time.perf_counter() - t)

        for _ in range(repeats):
            for name, seconds in ref.apply(_one_core_round, (chunks, extraction)).items():
                if seconds:
                    speeds.add(name, len(texts) / seconds)
            if pool is not None:
                speeds.add("bare_pool", ref.apply(_reference_rate, (texts,)))
                speeds.add("many", timed(lambda: sum(pool.imap_unordered(_work, chunks * (2 * workers + 1)))))
                speeds.add("bare_many", _bare_together(bares, texts, workers))
    finally:
        for p in (pool, bares, ref):
            if p is not None:
                p.close()
                p.join()
    return speeds
