"""Extraction in worker processes, each loading the model once.

Used by the batch command (a `multiprocessing` pool over chunks of lines) and by the service
(a `ProcessPoolExecutor`), so spaCy never runs on an event loop.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing as mp
import os
import signal
import sys
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
    command whose shell has gone must go on.

    On Linux the kernel does it (`PR_SET_PDEATHSIG`), without a watcher thread: a second thread,
    even one that never wakes, made spaCy ~10% slower in these processes (8.3 -> 7.3-7.8 docs/s,
    two workers 16.2 -> 14.2-14.7; likely glibc's allocator, which skips its locking while a
    process has a single thread). The signal comes when the *thread* that started the process
    ends; pools here are started from the main or event-loop thread, which lives as long as the
    process."""
    parent = mp.parent_process()
    if parent is None:
        return
    if not _die_with_parent():
        when_parent_gone(lambda: os._exit(0))
    elif os.getppid() != parent.pid:  # gone before the request took effect
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent (thread) ends; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return bool(prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)


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
