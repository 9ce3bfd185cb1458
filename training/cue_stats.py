"""Cue lemmas learned from PolNeAR train: `python -m training.cue_stats --shared ../shared`.

For every verb lemma with a clausal complement (ccomp, or a "that"/"whether" clause) it counts how
often it occurs in train and how often that occurrence is the head of a gold cue. Lemmas with a
high cue rate and enough support that cues.tsv lacks are printed as candidate rows for
app/extraction/data/cues.tsv. Train only: dev stays unseen. (Nov 2026: the 13 verbs and 5 nouns it
proposed at rate >= 0.5, support >= 5 did not raise dev e2e (0.647 -> 0.646), because the cue CRF
already finds most of them, so none were added.)
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from app.extraction.lexicon import cue_types
from app.extraction.pipeline import load_nlp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--min-rate", type=float, default=0.5)
    ap.add_argument("--any-structure", action="store_true", help="count every verb/noun")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.shared) / "eval"))
    import gold  # type: ignore[import-not-found]

    arts = gold.polnear(str(Path(args.shared) / "data" / "polnear" / "train"))
    nlp = load_nlp()
    seen: Counter[str] = Counter()
    cued: Counter[str] = Counter()
    for art, doc in zip(arts, nlp.pipe((a["text"] for a in arts), batch_size=16), strict=True):
        cue_chars = {i for a in art["attrs"] for s, e in a["cue"] for i in range(s, e)}
        for tok in doc:
            if tok.pos_ not in ("VERB", "NOUN"):
                continue
            comp = any(c.dep_ == "ccomp" or (c.dep_ in ("acl", "advcl") and any(
                m.lower_ in ("that", "whether") and m.dep_ == "mark" for m in c.children))
                for c in tok.children if c.i > tok.i)
            if not comp and not args.any_structure:
                continue
            key = f"{tok.lemma_.lower()}\t{tok.pos_}"
            seen[key] += 1
            cued[key] += tok.idx in cue_chars
    known = cue_types()
    for key, n in seen.most_common():
        rate = cued[key] / n
        if n >= args.min_count and rate >= args.min_rate and key.split("\t")[0] not in known:
            print(f"{key}\t{cued[key]}/{n}\t{rate:.2f}")


if __name__ == "__main__":
    main()
