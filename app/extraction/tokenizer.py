"""A tokenizer guard: very long whitespace-free runs become one token.

spaCy's rule tokenizer splits affixes off a whitespace-delimited chunk one at a time, which is
quadratic in the chunk's length: 10,000 quote marks in a row take ~18 s, 100,000 most of an
hour. News text never has a meaningful "word" that long, so such runs are kept whole. Offsets
are untouched: the doc's text is exactly the input.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc

MAX_RUN = 200
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_PLACEHOLDER = "xlongrunx"


class RunSafeTokenizer:
    """Wraps a spaCy tokenizer; plain texts go straight through at no extra cost."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, text: str) -> Doc:
        runs = [m.group(0) for m in _LONG_RUN.finditer(text)]
        if not runs:
            return self.inner(text)
        # Tokenize a stand-in text with each long run replaced by one word, then put the runs back.
        surrogate = self.inner(_LONG_RUN.sub(_PLACEHOLDER, text))
        pending = iter(runs)
        words = [next(pending) if t.text == _PLACEHOLDER else t.text for t in surrogate]
        spaces = [bool(t.whitespace_) for t in surrogate]
        doc = Doc(surrogate.vocab, words=words, spaces=spaces)
        assert doc.text == text, "tokenizer guard must preserve the text"
        return doc

    def __getattr__(self, name: str) -> Any:  # pipe(), explain(), to_disk() ... of the inner tokenizer
        return getattr(self.inner, name)
