"""Identity and speed of `load_nlp`'s parse (fast rule components, numpy's BLAS) vs the stock one.

usage: python -m bench.parse_identity --shared ../shared [--limit N]

Parses every PolNeAR text (train + dev) and every TimeML text (TimeBank + AQUAINT) with the stock
pipeline (`load_nlp(fast_rules=False, numpy_gemm=False)`: spaCy's own attribute_ruler and
lemmatizer, thinc's BLIS) and with ours (`load_nlp()`), in the extraction's `nlp.pipe` batches,
and compares every token's ORTH, TAG, POS, MORPH, LEMMA, DEP, HEAD, entity and sentence
annotation: each mismatch count must be 0 (the exit status is 1 otherwise). Each batch goes
through each pipeline's components the way `nlp.pipe` runs them (`proc.pipe` where a component
has one), one component at a time, so the CPU time (`time.process_time`) of each component is
measured; the two pipelines alternate which goes first, batch by batch, so machine load affects
both alike. Run with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, ORTH, POS, SENT_START, TAG
from spacy.tokens import Doc

from app.extraction import pipeline

from .common import polnear_texts

COMPARED = {"ORTH": ORTH, "TAG": TAG, "POS": POS, "MORPH": MORPH, "LEMMA": LEMMA, "DEP": DEP,
            "HEAD": HEAD, "ENT_IOB": ENT_IOB, "ENT_TYPE": ENT_TYPE, "SENT_START": SENT_START}
RULE_COMPONENTS = ("attribute_ruler", "lemmatizer")
TOKENIZER = "(tokenizer)"


def timeml_texts(shared: Path) -> list[str]:
    """The TimeML texts as the batch command receives them (shared/eval/gold.py's reader)."""
    sys.dont_write_bytecode = True  # keep shared/ free of __pycache__
    sys.path.insert(0, str(shared / "eval"))
    import gold  # type: ignore[import-not-found]

    return [d["text"] for corpus in ("TimeBank", "AQUAINT")
            for d in gold.timeml(str(shared / "data" / "timeml" / corpus))]


def timed_pipe(nlp: Any, texts: list[str], cpu: Counter[str]) -> list[Doc]:
    """What `nlp.pipe(texts, batch_size=len(texts))` computes, component by component, adding
    each one's CPU seconds to `cpu`."""
    t = time.process_time()
    docs: Iterable[Doc] = [nlp.make_doc(text) for text in texts]
    cpu[TOKENIZER] += time.process_time() - t
    for name, proc in nlp.pipeline:
        t = time.process_time()
        if hasattr(proc, "pipe"):
            docs = list(proc.pipe(docs, batch_size=len(texts)))
        else:
            docs = [proc(doc) for doc in docs]
        cpu[name] += time.process_time() - t
    return list(docs)


def compare(stock: list[Doc], ours: list[Doc], mismatches: Counter[str]) -> int:
    """Adds the mismatching tokens per attribute; returns the number of tokens compared."""
    cols = list(COMPARED.values())
    n = 0
    for a, b in zip(stock, ours, strict=True):
        if a.text != b.text or len(a) != len(b):
            mismatches["ORTH"] += max(len(a), len(b))
            continue
        x, y = a.to_array(cols), b.to_array(cols)
        for name, diff in zip(COMPARED, (x != y).sum(axis=0).tolist(), strict=True):
            mismatches[name] += diff
        # Strings too, in case a hash were ever set without its string in the store.
        mismatches["LEMMA"] += sum(s.lemma_ != t.lemma_ for s, t in zip(a, b, strict=True)
                                   if s.lemma == t.lemma)
        n += len(a)
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N texts (a quick look)")
    args = ap.parse_args(argv)

    corpora = {
        "PolNeAR train": polnear_texts(args.shared, "train"),
        "PolNeAR dev": polnear_texts(args.shared, "dev"),
        "TimeML": timeml_texts(args.shared),
    }
    texts = [t for ts in corpora.values() for t in ts]
    if args.limit:
        texts = texts[: args.limit]
    print(", ".join(f"{k}: {len(v)}" for k, v in corpora.items()), f"-> {len(texts)} texts", flush=True)

    stock, ours = pipeline.load_nlp(fast_rules=False, numpy_gemm=False), pipeline.load_nlp()
    assert stock.pipe_names == ours.pipe_names, (stock.pipe_names, ours.pipe_names)
    kinds = {name: (type(stock.get_pipe(name)).__name__, type(ours.get_pipe(name)).__name__)
             for name in RULE_COMPONENTS if name in ours.pipe_names}
    print("components:", ", ".join(f"{n}: {a} -> {b}" for n, (a, b) in kinds.items()), flush=True)
    warm = texts[:4]
    timed_pipe(stock, warm, Counter())
    timed_pipe(ours, warm, Counter())

    cpu: dict[str, Counter[str]] = {"stock": Counter(), "ours": Counter()}
    mismatches: Counter[str] = Counter()
    tokens = 0
    for k, batch in enumerate(pipeline.batches(texts, len)):
        order = ("stock", "ours") if k % 2 == 0 else ("ours", "stock")
        docs = {}
        for which in order:
            docs[which] = timed_pipe(stock if which == "stock" else ours, batch, cpu[which])
        tokens += compare(docs["stock"], docs["ours"], mismatches)

    n = len(texts)
    print(f"\ntokens compared: {tokens:,} in {n} documents")
    print("mismatches: " + ", ".join(f"{name} {mismatches[name]}" for name in COMPARED))
    total = {w: sum(c.values()) for w, c in cpu.items()}
    print(f"\nCPU time, {n} documents ({tokens / n:.0f} tokens/doc on average):")
    print(f"  {'component':<18}{'stock ms/doc':>14}{'ours ms/doc':>14}")
    for name in [TOKENIZER, *ours.pipe_names]:
        print(f"  {name:<18}{1000 * cpu['stock'][name] / n:>14.2f}{1000 * cpu['ours'][name] / n:>14.2f}")
    print(f"  {'whole parse':<18}{1000 * total['stock'] / n:>14.2f}{1000 * total['ours'] / n:>14.2f}")
    print(f"\nparse speed: stock {n / total['stock']:.2f} docs/s, ours {n / total['ours']:.2f} docs/s "
          f"(x{total['stock'] / total['ours']:.3f})")
    for name in RULE_COMPONENTS:
        if cpu["ours"][name]:
            print(f"{name}: x{cpu['stock'][name] / cpu['ours'][name]:.1f} faster")
    bad = sum(mismatches.values())
    print("IDENTICAL" if bad == 0 else f"NOT IDENTICAL: {bad} mismatching token attributes")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
