"""`newsclaims extract`, the batch command: JSONL articles in, one result document per line out,
in input order, in one process or over a pool; a bad line gets an error document, not a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("workers", [1, 2])
def test_lines_in_documents_out_in_order(tmp_path: Path, workers: int) -> None:
    lines = [json.dumps({"id": f"a{i}", "published_at": "2025-03-04",
                         "text": "Minister Ana Pereira said the bridge would reopen on Monday."})
             for i in range(11)]  # more than one chunk of 8
    lines[3] = '{"id": "broken", "text": '  # not JSON
    lines[6] = json.dumps({"id": "no-text", "text": 7})
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n\n", encoding="utf-8")  # (a blank line is skipped)
    p = subprocess.run([sys.executable, "-m", "app.cli", "extract", "--input", str(src), "--output", str(out),
                        "--workers", str(workers), "--progress", "always"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 1, p.stderr  # some lines failed
    assert "2 of 11 lines failed" in p.stderr and "docs/s" in p.stderr  # summary and progress
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in docs] == [f"a{i}" if i not in (3, 6) else None if i == 3 else "no-text"
                                       for i in range(11)]
    assert docs[3]["error"].startswith("line 4:") and docs[6]["error"] == "line 7: 'text' must be a string"
    for i, doc in enumerate(docs):
        if i in (3, 6):
            assert doc["claims"] == [] and doc["entities"] == []
            continue
        assert "error" not in doc and doc["published_at"] == "2025-03-04"
        (claim,) = doc["claims"]
        assert claim["content"]["text"] == "the bridge would reopen on Monday"
        assert claim["cue"]["text"] == "said"
        assert claim["source"]["text"] == "Minister Ana Pereira"
