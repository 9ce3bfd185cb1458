"""`make eval-timex`: temporal expressions on TimeBank and AQUAINT, through the batch command.

Runs exactly what the held-out evaluation runs: `inputs.py timeml DIR` -> `newsclaims extract` ->
`score_timex.py`, so the figures include span handling, the CLI and the JSON contract.

Splits (fixed, so figures are comparable between runs): the rules were developed on the *dev*
split = all of AQUAINT + the TimeBank documents at even positions in sorted file order; the
*report* split = the TimeBank documents at odd positions, never looked at while writing rules.
Figures are also printed for each whole corpus, next to the reference systems' figures.

usage: python -m evaluation.timex --shared ../shared [--workers N] [--keep DIR] [--json] [--errors CAT]

--errors lists the *dev* split's mismatches (missed, spurious, value, span; or all), matched the
way score_timex.py matches them; the report split is never listed, so it stays unlooked-at.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CORPORA = ("TimeBank", "AQUAINT")
METRICS = ("value", "relaxed", "strict", "type")
DEV = "dev (AQUAINT + TimeBank even)"
# Reference figures on TimeBank with these scorers (shared/eval/README.md).
REFERENCE = {
    "HeidelTime 2.2.1 (news, no POS)": {"value": 0.760, "relaxed": 0.885, "strict": 0.809, "type": 0.861},
    "spaCy DATE/TIME + dateparser": {"value": 0.392, "relaxed": 0.889, "strict": 0.798, "type": 0.793},
}


def _tml(d: Path) -> list[Path]:
    """The .tml files of a corpus in the order the shared loaders use (sorted, recursive)."""
    return [Path(p) for p in sorted(glob.glob(os.path.join(d, "**", "*.tml"), recursive=True))]


def splits(data: Path) -> dict[str, list[Path]]:
    """dev / report / per-corpus file lists; dev = AQUAINT + even TimeBank, report = odd TimeBank."""
    tb, aq = _tml(data / "TimeBank"), _tml(data / "AQUAINT")
    return {
        DEV: aq + tb[0::2],
        "report (TimeBank odd)": tb[1::2],
        "TimeBank (all)": tb,
        "AQUAINT (all)": aq,
        "all": tb + aq,
    }


def _program() -> list[str]:
    exe = Path(sys.executable).with_name("newsclaims")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]


def _run(cmd: list[str], stdout: Any = None) -> None:
    subprocess.run(cmd, check=True, stdout=stdout)


def extract(shared: Path, work: Path, workers: int) -> Path:
    """Predictions for every TimeML document (both corpora) in one JSONL file."""
    pred = work / "timeml.pred.jsonl"
    inputs = work / "timeml.jsonl"
    with inputs.open("w", encoding="utf-8") as out:
        for corpus in CORPORA:
            _run([sys.executable, str(shared / "eval" / "inputs.py"), "timeml",
                  str(shared / "data" / "timeml" / corpus)], stdout=out)
    print(f"extracting {sum(1 for _ in inputs.open(encoding='utf-8'))} documents ...", file=sys.stderr)
    _run(_program() + ["extract", "--input", str(inputs), "--output", str(pred),
                       "--workers", str(workers)])
    return pred


def score(shared: Path, files: list[Path], pred: Path, work: Path, name: str) -> dict[str, Any]:
    """score_timex.py over a subset: a gold dir of links to the subset, predictions filtered to it."""
    gold_dir = work / ("gold-" + "".join(c if c.isalnum() else "_" for c in name))
    if gold_dir.exists():
        shutil.rmtree(gold_dir)
    gold_dir.mkdir(parents=True)
    ids = set()
    for f in files:
        (gold_dir / f.name).symlink_to(f.resolve())
        ids.add(f.stem)
    sub_pred = gold_dir.with_suffix(".pred.jsonl")
    with pred.open(encoding="utf-8") as src, sub_pred.open("w", encoding="utf-8") as dst:
        for line in src:
            try:
                if str(json.loads(line).get("id")) in ids:
                    dst.write(line)
            except ValueError:
                dst.write(line)  # let the scorer count it as unreadable
    out = subprocess.run([sys.executable, str(shared / "eval" / "score_timex.py"), "--gold", str(gold_dir),
                          "--pred", str(sub_pred), "--json"], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


ERROR_KINDS = ("missed", "spurious", "value", "span")


def errors(shared: Path, files: list[Path], pred: Path) -> dict[str, list[str]]:
    """The mismatches of one split by kind, each a line: doc id, values, the text in context."""
    sys.path.insert(0, str(shared / "eval"))
    sys.dont_write_bytecode = True  # keep shared/ free of __pycache__
    import gold  # type: ignore[import-not-found]  # the scorers' own TimeML reader

    wanted = {f.stem for f in files}
    docs = [d for corpus in CORPORA for d in gold.timeml(str(shared / "data" / "timeml" / corpus))
            if d["id"] in wanted]
    results, _ = gold.read_results(str(pred))
    out: dict[str, list[str]] = {k: [] for k in ERROR_KINDS}
    for doc in docs:
        text = doc["text"]

        def show(s: int, e: int, text: str = text) -> str:
            flat = text[max(0, s - 40):s] + "[[" + text[s:e] + "]]" + text[e:e + 40]
            return flat.replace("\n", " ")

        preds = []
        for t in (results.get(doc["id"]) or {}).get("timexes") or []:
            sp, _ok = gold.span(text, t)
            if sp:
                preds.append((sp, t))
        preds.sort(key=lambda p: p[0])
        used: set[int] = set()
        for g in doc["timexes"]:
            near = [i for i, ((s, e), _) in enumerate(preds)
                    if i not in used and s < g["end"] and g["start"] < e]
            exact = [i for i in near if preds[i][0] == (g["start"], g["end"])]
            if not near:
                out["missed"].append(f"{doc['id']}\t{g['type']}\t{g['value']}\t{show(g['start'], g['end'])}")
                continue
            i = (exact or near)[0]
            used.add(i)
            (s, e), t = preds[i]
            if t.get("value") != g["value"]:
                out["value"].append(f"{doc['id']}\tgold={g['value']} pred={t.get('value')}\t"
                                    f"{text[s:e]!r}\t{show(g['start'], g['end'])}")
            if not exact:
                out["span"].append(f"{doc['id']}\tgold={text[g['start']:g['end']]!r} pred={text[s:e]!r}")
        for i, ((s, e), t) in enumerate(preds):
            if i not in used:
                out["spurious"].append(f"{doc['id']}\t{t.get('type')}\t{t.get('value')}\t{show(s, e)}")
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    head = f"{'system / data':48} {'docs':>5} {'gold':>5} {'pred':>5} " + " ".join(
        f"{m + ' F1':>11}" for m in METRICS)
    rows = [head, "-" * len(head)]
    for name, r in results.items():
        rows.append(f"{'newsclaims / ' + name:48} {r['documents']:>5} {r['gold']:>5} {r['pred']:>5} "
                    + " ".join(f"{r[m + '_f1']:>11.3f}" for m in METRICS))
    for name, ref in REFERENCE.items():
        rows.append(f"{name + ' / TimeBank':48} {'':>5} {'':>5} {'':>5} "
                    + " ".join(f"{ref[m]:>11.3f}" for m in METRICS))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default="../shared", type=Path)
    ap.add_argument("--workers", type=int, default=1, help="extract worker processes (default 1)")
    ap.add_argument("--keep", type=Path, help="keep inputs, predictions and gold links in this directory")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--errors", choices=(*ERROR_KINDS, "all"),
                    help="also list the dev split's mismatches of this kind")
    args = ap.parse_args(argv)
    shared: Path = args.shared.resolve()
    data = shared / "data" / "timeml"
    if not data.is_dir():
        print(f"TimeML data not found under {data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="eval-timex-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        pred = extract(shared, work, args.workers)
        parts = splits(data)
        results = {name: score(shared, files, pred, work, name) for name, files in parts.items()}
        if args.errors:
            found = errors(shared, parts[DEV], pred)
            for kind in ERROR_KINDS if args.errors == "all" else (args.errors,):
                print(f"## {kind}: {len(found[kind])}")
                print("\n".join(found[kind]))
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(table(results))
    print("\nsplits: rules developed on dev; report = TimeBank documents at odd positions (sorted).")
    for name, r in results.items():
        if r["inconsistent_spans"] or r["bad_lines"] or r["missing_documents"]:
            print(f"warning: {name}: inconsistent_spans={r['inconsistent_spans']} bad_lines={r['bad_lines']} "
                  f"missing_documents={r['missing_documents']}")
    r = results["report (TimeBank odd)"]
    print(" ".join(f"{m}_f1={r[m + '_f1']:.3f}" for m in METRICS) + "  (report split)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
