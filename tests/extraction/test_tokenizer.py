"""The tokenizer guard keeps long whitespace-free runs whole without changing text or offsets."""

from __future__ import annotations

from app.extraction.tokenizer import MAX_RUN, RunSafeTokenizer


def test_plain_text_is_tokenized_exactly_as_by_spacy(nlp):
    text = 'Umerov said: "We are grateful." It\'s done, he wrote.'
    guarded = nlp.tokenizer(text)
    inner = nlp.tokenizer.inner(text) if isinstance(nlp.tokenizer, RunSafeTokenizer) else guarded
    assert [t.text for t in guarded] == [t.text for t in inner]


def test_long_runs_become_single_tokens_and_the_text_is_preserved(nlp):
    run = '"' * (MAX_RUN * 50)
    text = f"He said {run} today.\n\n{'x' * (MAX_RUN + 1)} and  {'😀' * 300}, she wrote."
    doc = nlp(text)
    assert doc.text == text
    assert run in [t.text for t in doc]
    for tok in doc:
        assert text[tok.idx:tok.idx + len(tok.text)] == tok.text


def test_extraction_on_a_long_run_keeps_valid_offsets(extractor):
    text = "The minister said on Monday that " + "!" * 20_000 + " nothing changed."
    result = extractor.extract(text, "2025-12-19")
    for claim in result["claims"]:
        for key in ("content", "cue", "source"):
            span = claim[key]
            if span:
                assert text[span["start"]:span["end"]] == span["text"]
