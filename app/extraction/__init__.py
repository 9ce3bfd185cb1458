"""The extraction library: article text in, result document out (no HTTP, no SQL).

The result shape is the contract in `shared/docs/extraction-json.md`. `Extractor` and `load_nlp`
are imported lazily: importing this package (for `EXTRACTOR_VERSION` or `ArticleInput`) must not
import spaCy, which only the worker processes need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .inputs import ArticleInput, parse_date

if TYPE_CHECKING:
    from .pipeline import Extractor, load_nlp

# Bump when extraction output changes, so stored articles can be re-extracted.
EXTRACTOR_VERSION = "0.3.1"

__all__ = ["EXTRACTOR_VERSION", "ArticleInput", "Extractor", "load_nlp", "parse_date"]


def __getattr__(name: str) -> Any:
    if name in ("Extractor", "load_nlp"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
