"""Extraction in worker processes, each loading the model once.

Used by the batch command (a `multiprocessing` pool over chunks of lines) and by the service
(a `ProcessPoolExecutor`), so spaCy never runs on an event loop.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
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


# How often a pool worker checks that the process that started it is still alive.
PARENT_CHECK_S = 1.0


def exit_with_parent() -> None:
    """In a process started by `multiprocessing`, exit as soon as its parent is gone.

    A pool worker waits for tasks on a queue whose write end it holds itself, so a parent
    killed with SIGKILL (an OOM kill, `kill -9` of the API or of `newsclaims worker`) left it
    waiting forever with its model loaded (~300 MB each; the queue test's `kill -9` left one per
    test run). In the main process (the batch command with one worker) this does nothing: a
    command whose shell has gone must go on."""
    if mp.parent_process() is not None:
        when_parent_gone(lambda: os._exit(0))


def when_parent_gone(then: Callable[[], object]) -> None:
    """Call `then` (once, from a watcher thread) when the process that started this one is gone
    (this one is then re-parented: `getppid` changes)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        then()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def init_worker(model: str | None = None) -> None:
    """Pool initializer: one math thread, then load the model once per worker process."""
    global _extractor
    one_math_thread()
    exit_with_parent()
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
