"""Long articles parsed in pieces (app/extraction/segments.py): same text, offsets and tokens as
the whole article, bounded pieces, and the same claims when the cuts fall at paragraph breaks."""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language

from app.extraction import Extractor
from app.extraction.segments import split

PARAGRAPHS = [
    '"We will not accept this deal," Senator Maria Lopez said on Tuesday. She added that the '
    "committee would meet again next week.",
    "The ministry said in a statement that 40 people had been evacuated from the town of "
    "Harwich. Officials, who spoke on condition of anonymity, said the figure could rise.",
    'Mr. Chen told reporters: "The numbers are wrong." The agency denied the claim on Friday.',
    "According to the Associated Press, the talks collapsed after midnight.  Nobody commented.",
]


def long_text(n: int) -> str:
    return "\n\n".join(PARAGRAPHS[i % len(PARAGRAPHS)] for i in range(n))


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        (long_text(12), 300),
        ("one line\n" * 200, 97),
        ("A sentence ends here. " * 200, 150),
        ("word " * 500, 64),
        ("x" * 1000 + " tail", 100),  # no whitespace at all: cut at the limit
        ("short text", 100),
    ],
)
def test_pieces_join_back_and_respect_the_limit(text: str, limit: int) -> None:
    pieces = split(text, limit)
    assert "".join(pieces) == text
    assert all(0 < len(p) <= limit for p in pieces)
    assert len(pieces) == 1 or len(pieces) >= len(text) // limit


def test_cuts_prefer_paragraph_breaks_then_sentence_ends() -> None:
    text = long_text(12)
    for piece in split(text, 400)[:-1]:
        assert piece.endswith("\n\n"), piece[-40:]
    mixed = ("First sentence of a long paragraph. " * 10).strip() + " and then no end " * 10
    pieces = split(mixed, 300)
    assert pieces[0].endswith(". ")


def test_a_cut_never_splits_a_whitespace_run() -> None:
    text = "alpha beta\n\n\n   gamma delta " * 40
    joined = 0
    for piece in split(text, 50)[:-1]:
        joined += len(piece)
        assert piece[-1].isspace() and not text[joined].isspace()


@pytest.fixture(scope="module")
def small_batches(nlp: Language) -> Extractor:
    """An extractor whose batches stop at 600 characters and pieces at 400, so a few paragraphs
    are already a 'long' article."""
    return Extractor(nlp, max_chars=600, segment_chars=400)


def tokens(doc_or_result: Any) -> list[tuple[str, str]]:
    return [(t.text, t.whitespace_) for t in doc_or_result]


def test_a_long_article_keeps_its_text_offsets_and_tokens(nlp: Language, small_batches: Extractor) -> None:
    from app.extraction.segments import parse_long

    text = long_text(10)
    doc = parse_long(nlp, text, small_batches._batches, 400)
    whole = nlp(text)
    assert doc.text == text
    assert tokens(doc) == tokens(whole)
    assert [t.idx for t in doc] == [t.idx for t in whole]
    assert doc.has_annotation("DEP") and doc.has_annotation("ENT_IOB")
    # every piece starts a sentence where the whole article has a paragraph break
    assert [s.start_char for s in doc.sents][:3] == [s.start_char for s in whole.sents][:3]


def test_a_long_article_gives_the_claims_of_the_whole(nlp: Language, small_batches: Extractor) -> None:
    text = long_text(10)
    cut = small_batches.extract(text, "2024-03-01")
    whole = Extractor(nlp).extract(text, "2024-03-01")

    def spans(result: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(c["content"]["start"], c["content"]["end"], c["cue"]["text"]) for c in result["claims"]]

    assert len(cut["claims"]) >= 10
    assert spans(cut) == spans(whole)
    for c in cut["claims"]:
        assert text[c["content"]["start"]:c["content"]["end"]] == c["content"]["text"]
