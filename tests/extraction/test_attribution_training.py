"""The training code on a tiny hand-made corpus: gold spans become BIO sequences, and a CRF
trained from them loads and tags (the real models come from `make train` on PolNeAR train)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pycrfsuite
import pytest
from spacy.language import Language

from training.attribution import examples  # top-level directory: on pytest's pythonpath

pytestmark = pytest.mark.model

TEXT = 'Anna Weber said that the bridge would reopen. "It is safe," Peter Novak told reporters.'


def span(text: str, fragment: str) -> list[tuple[int, int]]:
    start = text.index(fragment)
    return [(start, start + len(fragment))]


def corpus() -> list[dict[str, Any]]:
    return [{"id": "a1", "text": TEXT, "attrs": [
        {"source": span(TEXT, "Anna Weber"), "cue": span(TEXT, "said"),
         "content": span(TEXT, "that the bridge would reopen")},
        {"source": span(TEXT, "Peter Novak"), "cue": span(TEXT, "told"),
         "content": span(TEXT, '"It is safe,"')},
    ]}]


def test_gold_spans_become_bio_sequences(nlp: Language) -> None:
    arts = corpus()
    docs = [nlp(a["text"]) for a in arts]
    seqs = list(examples(arts, docs))
    cue_labels = [lab for kind, _, labels in seqs if kind == "cue" for lab in labels]
    assert cue_labels.count("B-CUE") == 2
    roles = [(feats, labels) for kind, feats, labels in seqs if kind == "role"]
    assert len(roles) == 2
    first = roles[0][1]
    assert first[:3] == ["B-SRC", "I-SRC", "O"]
    assert first.count("B-CON") == 1 and first.count("I-CON") == 4


def test_tiny_model_trains_and_tags(nlp: Language, tmp_path: Path) -> None:
    arts = corpus()
    docs = [nlp(a["text"]) for a in arts]
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params({"max_iterations": 20})
    for kind, feats, labels in examples(arts, docs):
        if kind == "role":
            trainer.append(feats, labels)
    path = tmp_path / "role.crfsuite"
    trainer.train(str(path))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    feats, labels = next((f, lab) for kind, f, lab in examples(arts, docs) if kind == "role")
    assert tagger.tag(feats) == labels
