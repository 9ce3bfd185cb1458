"""Extraction in worker processes, each loading the model once.

Used by the batch command (a `multiprocessing` pool over chunks of lines) and by the service
(a `ProcessPoolExecutor`), so spaCy never runs on an event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .inputs import ArticleInput

if TYPE_CHECKING:
    from .pipeline import Extractor

_extractor: Extractor | None = None


def init_worker(model: str | None = None) -> None:
    """Pool initializer: load the model once per worker process."""
    global _extractor
    from .pipeline import Extractor, load_nlp

    _extractor = Extractor(load_nlp(model) if model else None)


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
