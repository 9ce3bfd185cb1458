"""The pipeline's matrix products run on numpy's BLAS and give the stock (BLIS) annotations.

`load_nlp()` swaps thinc's BLIS for numpy's OpenBLAS in every layer (`use_numpy_gemm`): the parse
is ~1.4x faster on the AMD VMs here. Only the floats' summation order changes, so the hidden
vectors differ in their last bits and every annotation must stay the same; `bench/parse_identity.py`
checks that on whole corpora, these tests on news-like text with entities, quotes and clauses.
"""

from __future__ import annotations

import numpy as np
import pytest
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, POS, SENT_START, TAG
from spacy.language import Language
from thinc.api import Model, NumpyOps

from app.extraction.pipeline import load_nlp, use_numpy_gemm

COLUMNS = [TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE, SENT_START]

TEXTS = [
    "WASHINGTON (Reuters) - U.S. Secretary of State Marco Rubio said on Tuesday that talks with "
    "Russian officials in Riyadh had been \"constructive,\" according to a State Department statement.",
    "\"We are not going to accept that,\" the prime minister told reporters in London, adding that "
    "the European Union would respond by March 3.",
    "An anonymous official quoted by the Associated Press said Steve Witkoff met Vladimir Putin "
    "for nearly five hours last week. The Kremlin declined to comment.",
    "Shares of Apple Inc. fell 3.2% to $187.50 in New York after the company warned that iPhone "
    "sales in China could slow during the second half of 2025.",
    "Protesters gathered outside parliament on Friday night; police said 12 people were arrested "
    "and two officers were injured.\n\nThe mayor, Karen Bass, called for calm.",
    "",
]


@pytest.fixture(scope="module")
def blis_nlp() -> Language:
    return load_nlp(numpy_gemm=False)


@pytest.fixture(scope="module")
def numpy_nlp() -> Language:
    return load_nlp()


def _nodes(nlp: Language) -> list[Model]:
    return [node for _, proc in nlp.components if isinstance(getattr(proc, "model", None), Model)
            for node in proc.model.walk()]


def test_every_layer_of_the_loaded_pipeline_multiplies_with_numpy(
        blis_nlp: Language, numpy_nlp: Language) -> None:
    ours = _nodes(numpy_nlp)
    assert len(ours) > 50  # tok2vec, tagger, parser and NER layers, not an empty walk
    assert all(isinstance(n.ops, NumpyOps) and not n.ops.use_blis for n in ours)
    # the stock pipeline keeps thinc's default, so the comparison below compares two backends
    assert all(getattr(n.ops, "use_blis", False) for n in _nodes(blis_nlp))


def test_annotations_are_those_of_the_blis_pipeline(blis_nlp: Language, numpy_nlp: Language) -> None:
    tokens = entities = 0
    for a, b in zip(blis_nlp.pipe(TEXTS), numpy_nlp.pipe(TEXTS), strict=True):
        assert a.text == b.text
        x, y = a.to_array(COLUMNS), b.to_array(COLUMNS)
        assert (x == y).all(), [(t.text, t.i) for t, same in zip(a, (x == y).all(axis=1), strict=True)
                                if not same]
        assert [(e.text, e.label_) for e in a.ents] == [(e.text, e.label_) for e in b.ents]
        # the shared tok2vec's vectors: the same up to float rounding
        np.testing.assert_allclose(a.tensor, b.tensor, rtol=1e-4, atol=1e-4)
        tokens += len(a)
        entities += len(a.ents)
    assert tokens > 150 and entities > 15


def test_the_swap_also_applies_to_a_pipeline_loaded_elsewhere(blis_nlp: Language) -> None:
    """`use_numpy_gemm` on a pipeline straight from `spacy.load` (no tokenizer wrapper, stock rule
    components): every layer swapped, the same parse as BLIS's."""
    import spacy

    from app.extraction.pipeline import DEFAULT_MODEL

    nlp = spacy.load(DEFAULT_MODEL)
    use_numpy_gemm(nlp)
    assert all(not n.ops.use_blis for n in _nodes(nlp))
    doc, ref = nlp(TEXTS[0]), blis_nlp(TEXTS[0])
    assert [(t.dep_, t.head.i, t.ent_type_) for t in doc] == [(t.dep_, t.head.i, t.ent_type_) for t in ref]
