"""Train the attribution taggers on PolNeAR train: `make train` (= `python -m training.attribution`).

Two CRFs (python-crfsuite), both over en_core_web_sm parses:
- the cue tagger labels cue tokens (B-CUE/I-CUE/O) sentence by sentence;
- the role tagger labels, for one cue, the tokens of the cue's sentence as source or content
  (B-/I-SRC, B-/I-CON, O).
They are written to app/extraction/models/attribution/, where `attribution.annotate` loads them.
Only PolNeAR train is read; dev is for `make eval-attribution`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pycrfsuite
from spacy.tokens import Doc, DocBin

from app.extraction.attribution_features import TokenTable
from app.extraction.pipeline import load_nlp

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "app" / "extraction" / "models" / "attribution"
CACHE = ROOT / "training" / "output"

CUE_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}
ROLE_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}


def load_articles(shared: Path, split: str) -> list[dict[str, Any]]:
    """PolNeAR articles of one compartment via the shared loader (gold offsets match the text)."""
    sys.path.insert(0, str(shared / "eval"))
    import gold  # type: ignore[import-not-found]

    arts: list[dict[str, Any]] = gold.polnear(str(shared / "data" / "polnear" / split))
    return arts


def parse(arts: list[dict[str, Any]], split: str) -> list[Doc]:
    """The articles parsed with the shipped model, cached (parsing is most of the training time)."""
    nlp = load_nlp()
    path = CACHE / f"polnear-{split}-{nlp.meta.get('version', '')}-{len(arts)}.spacy"
    if path.exists():
        return list(DocBin().from_disk(path).get_docs(nlp.vocab))
    docs = list(nlp.pipe((a["text"] for a in arts), batch_size=16))
    path.parent.mkdir(parents=True, exist_ok=True)
    db = DocBin(store_user_data=False)
    for d in docs:
        db.add(d)
    db.to_disk(path)
    return docs


def token_ids(doc: Doc, ranges: list[tuple[int, int]]) -> list[int]:
    """Tokens overlapping any of the character ranges (whitespace tokens excluded)."""
    out = []
    for s, e in ranges:
        span = doc.char_span(s, e, alignment_mode="expand")
        if span is not None:
            out.extend(t.i for t in span if not t.is_space)
    return sorted(set(out))


def bio(ids: list[int], start: int, end: int, tag: str, labels: list[str]) -> None:
    prev = -2
    for i in ids:
        if start <= i < end:
            labels[i - start] = ("I-" if i == prev + 1 else "B-") + tag
        prev = i


def examples(arts: list[dict[str, Any]], docs: list[Doc]) -> Iterator[tuple[str, list[list[str]], list[str]]]:
    """("cue" | "role", features, labels) sequences from the gold attributions."""
    for art, doc in zip(arts, docs, strict=True):
        table = TokenTable(doc)
        cue_tokens: list[list[int]] = []
        gold: list[tuple[list[int], list[int], list[int]]] = []
        for a in art["attrs"]:
            cue = token_ids(doc, a["cue"])
            if not cue:
                continue
            cue_tokens.append(cue)
            gold.append((cue, token_ids(doc, a["source"]), token_ids(doc, a["content"])))
        for sent in doc.sents:
            labels = ["O"] * len(sent)
            for cue in cue_tokens:
                bio(cue, sent.start, sent.end, "CUE", labels)
            yield "cue", table.cue_features(sent.start, sent.end), labels
        for cue, src, con in gold:
            sent = doc[cue[0]].sent
            labels = ["O"] * len(sent)
            bio(src, sent.start, sent.end, "SRC", labels)
            bio(con, sent.start, sent.end, "CON", labels)
            # a cue's tokens outside its anchor's sentence are dropped (sentence-split errors)
            cue_toks = [doc[i] for i in cue if sent.start <= i < sent.end]
            if cue_toks:
                yield "role", table.role_features(sent.start, sent.end, cue_toks), labels


def train(shared: Path, out: Path) -> None:
    t0 = time.time()
    arts = load_articles(shared, "train")
    docs = parse(arts, "train")
    print(f"parsed {len(docs)} articles in {time.time() - t0:.0f}s", flush=True)
    trainers = {"cue": pycrfsuite.Trainer(verbose=False), "role": pycrfsuite.Trainer(verbose=False)}
    trainers["cue"].set_params(CUE_PARAMS)
    trainers["role"].set_params(ROLE_PARAMS)
    n = {"cue": 0, "role": 0}
    for kind, feats, labels in examples(arts, docs):
        trainers[kind].append(feats, labels)
        n[kind] += 1
    out.mkdir(parents=True, exist_ok=True)
    # the two CRFs train at once in forked children (each inherits its loaded trainer): the
    # same models as one after the other, in half the time on two cores
    fork = multiprocessing.get_context("fork")
    t = time.time()
    procs = [fork.Process(target=trainer.train, args=(str(out / f"{kind}.crfsuite"),))
             for kind, trainer in trainers.items()]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    for kind, p in zip(trainers, procs, strict=True):
        if p.exitcode != 0:
            raise RuntimeError(f"training the {kind} tagger failed (exit code {p.exitcode})")
        size = (out / f"{kind}.crfsuite").stat().st_size / 1e6
        print(f"{kind}: {n[kind]} sequences, {size:.1f} MB", flush=True)
    print(f"trained in {time.time() - t:.0f}s", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ directory")
    ap.add_argument("--out", type=Path, default=MODEL_DIR, help="where the models are written")
    args = ap.parse_args(argv)
    train(args.shared, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
