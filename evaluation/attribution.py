"""`make eval-attribution`: the batch command on PolNeAR dev, scored by the shared scorer.

Runs `newsclaims extract` on `shared/eval/inputs.py polnear shared/data/polnear/dev`, prints the
scorer's table, per-phenomenon figures (direct / mixed / indirect gold; named / pronoun /
nominal / anonymous / media sources) and the comparison with the reference systems.
The per-phenomenon split uses the scorer's own matching (imported from shared/eval), so the
figures add up to the headline ones.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app.extraction.attribution_features import quote_mask
from app.extraction.attribution_lexicon import anonymous_patterns, media_table

REFERENCES = [  # PolNeAR dev, same scorer (shared/eval/README.md and issue 3)
    ("textacy direct_quotations", 0.169, 0.202, 0.835, 0.359),
    ("BBC Citron (CRF)", 0.417, 0.472, 0.883, 0.486),
    ("target (issue 3)", 0.65, 0.70, 0.90, None),
]
PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "him", "her", "them", "his", "its", "their",
            "who", "which", "that"}


def gold_phenomenon(text: str, mask: list[bool], content: list[tuple[int, int]]) -> str:
    """direct: the content is all inside quotation marks; mixed: partly; indirect: not at all."""
    letters = [i for s, e in content for i in range(s, e) if text[i].isalnum()]
    inside = sum(1 for i in letters if mask[i])
    if letters and inside >= 0.9 * len(letters):
        return "direct"
    return "mixed" if inside >= 3 else "indirect"


def gold_source_kind(text: str, source: list[tuple[int, int]]) -> str:
    if not source:
        return "no source"
    phrase = " ".join(text[s:e] for s, e in source)
    low = phrase.lower().strip()
    if any(p.search(low) for p in anonymous_patterns()):
        return "anonymous"
    regex, words, _ = media_table()
    if regex.search(phrase) or any(w in words for w in phrase.split()[1:]):
        return "media"
    if low in PRONOUNS:
        return "pronoun"
    if any(w[:1].isupper() for w in phrase.split() if w.lower() not in ("the", "a", "an")):
        return "named"
    return "nominal"


def per_phenomenon(gold_mod: Any, score_mod: Any, gold_dir: Path,
                   pred_path: Path) -> dict[str, dict[str, Any]]:
    arts = gold_mod.polnear(str(gold_dir))
    results, _ = gold_mod.read_results(str(pred_path))
    stats: dict[str, Counter[str]] = {}
    pred_kind: dict[str, Counter[str]] = {}
    for art in arts:
        text, doc = art["text"], results.get(art["id"]) or {}
        mask = quote_mask(text)
        claims = [c for c in doc.get("claims") or [] if isinstance(c, dict)]
        preds = []
        for c in claims:
            sp = {k: gold_mod.span(text, c.get(k))[0] for k in ("content", "source")}
            preds.append({k: None if c.get(k) is None else score_mod.chars([r] if r else [])
                          for k, r in sp.items()})
        golds = [{k: score_mod.chars(g[k]) for k in ("content", "cue", "source")} for g in art["attrs"]]
        match = score_mod.pair_up(preds, golds)
        back = {j: i for i, j in match.items()}
        for j, g in enumerate(art["attrs"]):
            keys = ("gold " + gold_phenomenon(text, mask, g["content"]),
                    "source " + gold_source_kind(text, g["source"]))
            for key in keys:
                st = stats.setdefault(key, Counter())
                st["gold"] += 1
                if j in back:
                    st["matched"] += 1
                    st["speaker"] += score_mod.agrees(preds[back[j]]["source"], golds[j]["source"])
        for i, c in enumerate(claims):
            pk = pred_kind.setdefault("predicted " + str(c.get("kind")), Counter())
            pk["pred"] += 1
            if i in match:
                pk["matched"] += 1
                pk["speaker"] += score_mod.agrees(preds[i]["source"], golds[match[i]]["source"])
    out: dict[str, dict[str, Any]] = {}
    for key, st in sorted(stats.items()):
        out[key] = {"gold": st["gold"], "matched": st["matched"],
                    "content_r": st["matched"] / st["gold"] if st["gold"] else 0.0,
                    "speaker_acc": st["speaker"] / st["matched"] if st["matched"] else 0.0,
                    "e2e_r": st["speaker"] / st["gold"] if st["gold"] else 0.0}
    for key, pk in sorted(pred_kind.items()):
        out[key] = {"pred": pk["pred"], "matched": pk["matched"],
                    "content_p": pk["matched"] / pk["pred"] if pk["pred"] else 0.0,
                    "speaker_acc": pk["speaker"] / pk["matched"] if pk["matched"] else 0.0,
                    "e2e_p": pk["speaker"] / pk["pred"] if pk["pred"] else 0.0}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--split", default="dev", help="PolNeAR compartment (train or dev)")
    ap.add_argument("--workers", type=int, default=0, help="batch command workers (default: all cores)")
    ap.add_argument("--keep", type=Path, default=None, help="directory to keep inputs and predictions in")
    args = ap.parse_args(argv)
    shared = args.shared.resolve()
    gold_dir = shared / "data" / "polnear" / args.split
    work = args.keep or Path(tempfile.mkdtemp(prefix="eval-attribution-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs, preds = work / f"polnear-{args.split}.jsonl", work / f"polnear-{args.split}.pred.jsonl"
    with open(inputs, "w", encoding="utf-8") as f:
        subprocess.run([sys.executable, str(shared / "eval" / "inputs.py"), "polnear", str(gold_dir)],
                       stdout=f, check=True)
    exe = Path(sys.executable).with_name("newsclaims")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    workers = args.workers or os.cpu_count() or 1
    t0 = time.perf_counter()
    subprocess.run([*cmd, "extract", "--input", str(inputs), "--output", str(preds),
                    "--workers", str(workers), "--progress", "never"], check=True)
    elapsed = time.perf_counter() - t0
    scorer = shared / "eval" / "score_attribution.py"
    table = subprocess.run([sys.executable, str(scorer), "--gold", str(gold_dir), "--pred", str(preds)],
                           capture_output=True, text=True, check=True).stdout
    report = json.loads(subprocess.run([sys.executable, str(scorer), "--gold", str(gold_dir),
                                        "--pred", str(preds), "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    print(f"PolNeAR {args.split}: {report['documents']} articles, extracted in {elapsed:.1f}s "
          f"with {workers} workers (including model loading)\n")
    print(table)
    sys.path.insert(0, str(shared / "eval"))
    import gold as gold_mod  # type: ignore[import-not-found]
    import score_attribution as score_mod  # type: ignore[import-not-found]

    print("per phenomenon (gold subsets: recall; predicted kinds: precision)")
    print(f"{'subset':24}{'gold/pred':>10}{'matched':>9}{'content':>9}{'speaker':>9}{'e2e':>8}")
    for key, row in per_phenomenon(gold_mod, score_mod, gold_dir, preds).items():
        n = row.get("gold", row.get("pred"))
        c = row.get("content_r", row.get("content_p"))
        e = row.get("e2e_r", row.get("e2e_p"))
        print(f"{key:24}{n:>10}{row['matched']:>9}{c:>9.3f}{row['speaker_acc']:>9.3f}{e:>8.3f}")
    a = report["all"]
    print("\ncomparison (PolNeAR dev, same scorer)")
    print(f"{'system':28}{'e2e F1':>8}{'content F1':>12}{'speaker':>9}{'direct e2e':>12}")
    rows = [*REFERENCES, ("newsclaims (this run)", a["e2e_f1"], a["content_f1"], a["speaker_acc"],
                          report["direct"]["e2e_f1"])]
    for name, e2e, cf, sp, de in rows:
        de_s = f"{de:>12.3f}" if de is not None else f"{'':>12}"
        print(f"{name:28}{e2e:>8.3f}{cf:>12.3f}{sp:>9.3f}{de_s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
