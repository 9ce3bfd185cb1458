"""Adversarial strings against the extraction library: every regular expression and the whole
pipeline must finish (no catastrophic backtracking). No timing assertions: a pattern that
backtracks exponentially would never finish, and the subprocess guard names it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from extraction.conftest import extractor, nlp

from app.extraction import Extractor

from .test_corpus import assert_offsets

__all__ = ["extractor", "nlp"]

# Shapes that make badly written patterns backtrack: long runs that almost match.
UNITS = ["a", " ", "\t", "A", "A-", "'", ".", "1", "Mr. ", "said ", '"', "\n", "A a", "A ", "Ab ", "1 ",
         "1-", "12/", "in ", "the ", "January ", "Jan. ", "a.", "-", ",", "A.", "AB ", "x\u200b", "\u05d0",
         "$", "%", "once ", "early ", "week ", "years ", "ago ", ", ", "A. B. ", "of the ", "(photo ", "by ",
         "\u201c", "according to ", "2025-", "on Monday ", "last ", "next ", "ago, ", "\u00e9"]

SWEEP = textwrap.dedent('''
    import importlib, inspect, json, pkgutil, re, sys
    import app.extraction as pkg
    units, n = json.loads(sys.argv[1]), int(sys.argv[2])
    pats = {}
    for m in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module("app.extraction." + m.name)
        for name, val in list(vars(mod).items()):
            items = []
            if isinstance(val, re.Pattern):
                items = [val]
            elif isinstance(val, (tuple, list)):
                items = [v for v in val if isinstance(v, re.Pattern)]
            elif hasattr(val, "cache_info") and getattr(val, "__module__", "") == mod.__name__:
                try:
                    if not inspect.signature(val).parameters:
                        out = val()
                        out = out if isinstance(out, (tuple, list)) else [out]
                        items = [v if isinstance(v, re.Pattern) else v[0] for v in out
                                 if isinstance(v, re.Pattern) or (isinstance(v, tuple) and v
                                                                   and isinstance(v[0], re.Pattern))]
                except Exception:
                    items = []
            for i, p in enumerate(items):
                pats[m.name + "." + name + "[" + str(i) + "]"] = p
    for name, p in pats.items():
        print("START " + name, flush=True)
        for u in units:
            s = (u * (n // len(u) + 1))[:n]
            for text in (s, s + "!", "x" + s + "\\u00e9", s.replace(" ", "\\n")):
                p.search(text)
                for _ in p.finditer(text):
                    pass
        print("DONE " + name, flush=True)
    print("PATTERNS", len(pats))
''')


def test_every_library_regex_finishes_on_adversarial_strings() -> None:
    """Each compiled pattern in app.extraction (module constants and cached tables) is run on
    1,000-character near-miss runs in a subprocess; one that never finishes is named."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run([sys.executable, "-c", SWEEP, json.dumps(UNITS), "1000"], cwd=root,
                             capture_output=True, text=True, timeout=300, check=False)
        stdout, code = out.stdout, out.returncode
    except subprocess.TimeoutExpired as exc:
        raw = exc.stdout or b""
        stdout, code = raw.decode() if isinstance(raw, bytes) else raw, -1
    started = [line[6:] for line in stdout.splitlines() if line.startswith("START ")]
    done = {line[5:] for line in stdout.splitlines() if line.startswith("DONE ")}
    stuck = [p for p in started if p not in done]
    assert code == 0 and not stuck, f"pattern(s) did not finish: {stuck} (exit {code})"
    assert "PATTERNS" in stdout and len(done) > 10


ADVERSARIAL = {
    "quote marks": '" ' * 1_500,
    "curly quotes, unspaced": "\u201c" * 1_000 + " x " + "\u201d" * 1_000,
    "open quote never closed": 'The minister said "' + "word " * 1_500,
    "nested quotes": "He said \"she said 'they said \"" * 80,
    "cue storm": "said " * 1_500,
    "according-to chain": "according to " * 600,
    "titles": "Mr. Dr. Prof. Gen. " * 300,
    "capitalised names": "John Smith " * 700,
    "dates": "January 1, 2020 on Monday last week next year " * 120,
    "numbers": "1 2 3 4 5 6 7 8 9 " * 400,
    "credits and bylines": "(photo by " * 400 + "\nBy John Smith\n" * 200,
    "newlines": "\n" * 5_000,
    "dashes": "- " * 2_000 + "\u2014" * 1_000,
    "zero width": "the\u200b\u200c\u200d\u2060mayor " * 500,
    "rtl": "\u202e\u05d0\u05de\u05e8 said \u202c" * 400,
    "emoji": "\U0001F600 \U0001F1FA\U0001F1E6 " * 700,
    "html": "<script>alert(1)</script><p class=\"x\">said</p> " * 150,
    "apostrophes": "'s " * 1_000,
    "parentheses": "( " * 1_500 + ") " * 1_500,
    "max token of punctuation": "$" * 1_000,
}


@pytest.mark.model
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_pipeline_finishes_on_adversarial_text(extractor: Extractor, name: str) -> None:
    text = ADVERSARIAL[name]
    doc = extractor.extract(text, "2025-01-01")
    assert_offsets(text, doc)
