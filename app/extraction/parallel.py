"""Extraction in worker processes, each loading the model once.

Used by the batch command (a `multiprocessing` pool over chunks of lines) and by the service
(a `ProcessPoolExecutor`), so spaCy never runs on an event loop.
"""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Any

from .inputs import ArticleInput

if TYPE_CHECKING:
    from .pipeline import Extractor

_extractor: Extractor | None = None


# One math thread per worker: with N worker processes on N cores, numpy/BLAS's default of a
# thread per core in every process oversubscribes them (two workers measured 1.1x of one worker
# instead of 1.75x). Set before numpy is first imported in the worker; an explicit setting wins.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_math_thread() -> None:
    """Ask numpy's BLAS/OpenMP for one thread in this process (it reads these variables when
    numpy is first imported, so call it first; processes spawned afterwards inherit them)."""
    for var in _THREAD_VARS:
        os.environ.setdefault(var, "1")


def init_worker(model: str | None = None) -> None:
    """Pool initializer: one math thread, then load the model once per worker process."""
    global _extractor
    one_math_thread()
    from .pipeline import Extractor, load_nlp

    _extractor = Extractor(load_nlp(model) if model else None)
    # The loaded model is some 100,000 objects that live as long as the worker: frozen, the
    # cyclic collector stops walking them on every full collection the stages' allocations
    # trigger (measured 5 ms -> 1 ms of collection per PolNeAR article).
    gc.freeze()


def extract_batch(items: list[ArticleInput]) -> list[dict[str, Any]]:
    """Extract a batch in this worker (initialising it lazily if the pool had no initializer)."""
    if _extractor is None:
        init_worker()
    assert _extractor is not None
    return list(_extractor.extract_many(items))


def warm() -> bool:
    """A no-op task that proves a worker has its model loaded."""
    if _extractor is None:
        init_worker()
    return True
