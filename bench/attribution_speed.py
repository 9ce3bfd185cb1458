"""Full extraction vs bare en_core_web_sm parsing on the same PolNeAR dev texts, in one run.

`python -m bench.attribution_speed --shared ../shared` prints docs/s for both and their ratio
(target: full extraction at >= 90% of bare parsing), plus the CPU time per stage, so a slow stage
is visible. One process, same batch size; both passes see the same texts after a warm-up.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import spacy

from app.extraction import pipeline
from app.extraction.pipeline import MAX_LENGTH, Extractor, load_nlp
from app.extraction.types import Context


def texts(shared: Path, split: str) -> list[str]:
    sys.path.insert(0, str(shared / "eval"))
    import gold  # type: ignore[import-not-found]

    return [a["text"] for a in gold.polnear(str(shared / "data" / "polnear" / split))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--split", default="dev")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1, help="passes over the texts for each measurement")
    args = ap.parse_args(argv)
    docs = texts(args.shared.resolve(), args.split) * args.rounds
    bare = spacy.load(pipeline.DEFAULT_MODEL)
    bare.max_length = MAX_LENGTH
    extractor = Extractor(load_nlp(), batch_size=args.batch_size)
    extractor.extract("Warm-up: the official said it works.")  # loads lexicons and trained models
    list(bare.pipe(docs[:4], batch_size=args.batch_size))

    t, c = time.perf_counter(), time.process_time()
    parsed = list(bare.pipe(docs, batch_size=args.batch_size))
    t_bare, c_bare = time.perf_counter() - t, time.process_time() - c

    t, c = time.perf_counter(), time.process_time()
    n_claims = sum(len(r["claims"]) for r in extractor.extract_many(pipeline.ArticleInput(x) for x in docs))
    t_full, c_full = time.perf_counter() - t, time.process_time() - c

    # CPU time per stage (the machine may be shared: wall-clock time would count other processes)
    stage_time = dict.fromkeys((s.__module__.rsplit(".", 1)[-1] for s in pipeline.STAGES), 0.0)
    for doc in parsed:
        ctx = Context(doc=doc, published_at=None)
        for stage in pipeline.STAGES:
            c = time.process_time()
            stage(ctx)
            stage_time[stage.__module__.rsplit(".", 1)[-1]] += time.process_time() - c

    n = len(docs)
    print(f"{n} PolNeAR {args.split} articles, batch size {args.batch_size}, one process")
    print(f"bare en_core_web_sm nlp.pipe : {n / t_bare:7.2f} docs/s ({t_bare:.2f}s)")
    print(f"full extraction              : {n / t_full:7.2f} docs/s ({t_full:.2f}s, {n_claims} claims)")
    print(f"ratio full/bare              : {t_bare / t_full:7.3f}  (target >= 0.90)")
    print(f"ratio full/bare, CPU time    : {c_bare / c_full:7.3f}")
    for name, secs in stage_time.items():
        share = 100 * secs / c_bare
        print(f"  stage {name:12}: {1000 * secs / n:6.1f} ms/doc CPU ({share:5.1f}% of the parse)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
