"""Very long articles are parsed in pieces and joined back into one `Doc`.

While it parses, spaCy's parser holds a precomputed hidden layer for every token of the batch
(about 3 KB per character of text): one 199,000-character article, which the API accepts,
peaked at 835 MB in a worker process, well over the 500 MB a worker may use. Cut at paragraph
breaks (else line breaks, sentence ends, any whitespace) into pieces that are parsed in ordinary
bounded batches, then joined with `Doc.from_docs`, the article costs no more parser memory than
one batch. The joined `Doc` has exactly the article's text and character offsets: a cut falls
after whitespace, and spaCy tokenizes whitespace-separated chunks independently, so the tokens
are the same as for the whole text; only parses within a few tokens of a cut can differ (a
paragraph break is a sentence boundary anyway). Articles up to `pipeline.BATCH_CHARS` characters
(nearly all news) are never cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

# A piece of a long article; `pipeline.batches` then puts pieces into bounded `nlp.pipe` batches.
SEGMENT_CHARS = 20_000

# Where a cut may fall, best first. A cut is always at the end of a whitespace run, before the
# next word: the run stays whole on the left, so the tokenizer sees it as in the whole text.
_BREAKS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\n[^\S\n]*\n\s*(?=\S)"),  # a paragraph break
    re.compile(r"\n\s*(?=\S)"),  # a line break
    re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=\S)"),  # after a sentence's end
    re.compile(r"\s+(?=\S)"),  # any whitespace
)


def split(text: str, limit: int = SEGMENT_CHARS) -> list[str]:
    """Consecutive pieces of `text`, each at most `limit` characters, that join back to `text`.

    A cut is at the last break of the best kind in the second half of the window, so pieces are
    never tiny; a stretch with no whitespace at all is cut at `limit` (the API refuses such runs
    long before: `max_run_chars`)."""
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = limit
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(window, limit // 2)]
            if ends:
                cut = ends[-1]
                break
        pieces.append(text[start : start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def parse_long(nlp: Any, text: str, batches: Callable[[list[str]], Iterable[list[str]]],
               limit: int = SEGMENT_CHARS) -> Any:
    """One `Doc` for `text`, parsed piece by piece in the batches `batches` makes of the pieces."""
    from spacy.tokens import Doc

    pieces = split(text, limit)
    docs = [doc for batch in batches(pieces) for doc in nlp.pipe(batch, batch_size=len(batch))]
    return docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
