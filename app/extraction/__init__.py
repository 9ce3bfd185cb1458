"""The extraction library: article text in, result document out (no HTTP, no SQL).

The result shape is the contract in `shared/docs/extraction-json.md`.
"""

from .pipeline import ArticleInput, Extractor, load_nlp, parse_date

# Bump when extraction output changes, so stored articles can be re-extracted.
EXTRACTOR_VERSION = "0.1.0"

__all__ = ["EXTRACTOR_VERSION", "ArticleInput", "Extractor", "load_nlp", "parse_date"]
