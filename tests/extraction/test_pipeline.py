"""The pipeline's batching, the shared token lists and the worker processes' thread setting."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from spacy.language import Language

from app.extraction import ArticleInput, Extractor
from app.extraction.parallel import extract_batch, init_worker
from app.extraction.pipeline import batches
from app.extraction.types import Tokens

TEXTS = [
    "The minister said on Monday that taxes would rise next year.",
    "\"We will not retreat,\" President Volodymyr Zelenskyy told reporters in Kyiv.\n\nTalks resumed.",
    "Officials in Brussels, according to a Reuters report, expect a deal by March 3, 2024. "
    "Critics disagreed.",
    "Short.",
    "Sen. Elizabeth Warren accused the bank of fraud. She said regulators had failed for years.",
]


def test_batches_stop_at_the_document_or_character_limit() -> None:
    sizes = [3, 4, 10, 2, 2, 2, 30, 1]
    got = list(batches(sizes, lambda n: n, max_docs=3, max_chars=10))
    assert got == [[3, 4], [10], [2, 2, 2], [30], [1]]  # 30 is over the limit: a batch alone
    assert [x for b in got for x in b] == sizes  # order kept, nothing lost
    assert all(len(b) <= 3 and (sum(b) <= 10 or len(b) == 1) for b in got)
    assert list(batches([], len)) == []


def test_batches_read_the_input_lazily() -> None:
    seen: list[int] = []

    def items() -> object:
        for n in range(100):
            seen.append(n)
            yield n

    first = next(batches(items(), lambda n: 1, max_docs=4, max_chars=1000))  # type: ignore[arg-type]
    assert first == [0, 1, 2, 3]
    assert len(seen) == 5  # one item past the batch, not the whole input


def test_character_bounded_batches_give_the_same_results(nlp: Language, extractor: Extractor) -> None:
    """Cutting `nlp.pipe` batches by characters (the memory bound) changes no output."""
    items = [ArticleInput(text=t, published_at=None, id=str(k)) for k, t in enumerate(TEXTS)]
    small = Extractor(nlp, batch_size=16, max_chars=120)  # most texts alone, some in pairs
    assert len(list(batches(items, lambda a: len(a.text), 16, 120))) >= 3
    assert list(small.extract_many(items)) == list(Extractor(nlp, batch_size=16).extract_many(items))
    assert list(small.extract_many(items)) == [extractor.extract(a.text, doc_id=a.id) for a in items]


def test_token_lists_match_spacy(nlp: Language, samples_dir: Path) -> None:
    texts = [*TEXTS, "", next(samples_dir.glob("*.txt")).read_text(encoding="utf-8")]
    for doc in nlp.pipe(texts):
        toks = Tokens.of(doc)
        assert toks.idx == [t.idx for t in doc]
        assert toks.text == [t.text for t in doc]
        assert toks.lower == [t.lower_ for t in doc]
        assert toks.pos == [t.pos_ for t in doc]
        assert toks.dep == [t.dep_ for t in doc]
        assert toks.head == [t.head.i for t in doc]
        if len(doc):
            assert toks.sent_starts == [s.start for s in doc.sents]
            assert len(toks.sent_starts) > 1 or len(list(doc.sents)) == 1
            for t in doc:
                assert toks.sent_start(t.i) == t.sent.start
                assert toks.sent_bounds(t.i) == (t.sent.start, t.sent.end)


def _threads(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("Threads:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: BLAS starts no threads anyway")
def test_extraction_processes_run_one_math_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extraction worker, spawned and initialised as the API pool, `newsclaims extract` and
    `newsclaims worker` start theirs, runs BLAS on one thread: N workers on N cores must not
    start N x N threads. (numpy's OpenBLAS starts its threads when numpy is imported.)"""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=init_worker) as pool:
        [result] = pool.submit(extract_batch, [ArticleInput(text=TEXTS[1])]).result(timeout=300)
        assert result["entities"]
        pid = pool.submit(os.getpid).result(timeout=60)
        assert "numpy" in pool.submit(_loaded_modules).result(timeout=60)
        # no native (BLAS) threads, and no other Python thread than the main one (the kernel
        # ends the worker with its parent: app/extraction/parallel.py)
        python_threads = pool.submit(threading.active_count).result(timeout=60)
        assert python_threads == 1
        assert _threads(pid) == python_threads


def _loaded_modules() -> list[str]:
    import sys

    return list(sys.modules)


def test_noun_chunks_match_spacy(nlp: Language, samples_dir: Path) -> None:
    from app.extraction.entities import _noun_chunks

    texts = [*TEXTS, next(samples_dir.glob("*.txt")).read_text(encoding="utf-8"),
             "Ministers, diplomats and their aides, and the press and its photographers waited."]
    found = 0
    for doc in nlp.pipe(texts):
        chunks = _noun_chunks(doc, Tokens.of(doc))
        assert chunks == [(c.start, c.end) for c in doc.noun_chunks]
        found += len(chunks)
    assert found > 20
