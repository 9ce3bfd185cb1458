"""`newsclaims extract`: JSONL articles in, JSONL result documents out, in input order.

Lines are read in chunks and sent to worker processes that each load the model once and parse
with `nlp.pipe`; `imap` keeps the output in input order.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import IO, Any

from app.extraction.inputs import ArticleInput, parse_date
from app.extraction.parallel import extract_batch, init_worker

CHUNK = 8


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("extract", help="extract claims, entities, timexes and events from JSONL articles")
    p.add_argument("--input", default="-", help="JSONL file of {id, text, published_at}; - for stdin")
    p.add_argument("--output", default="-", help="JSONL file for result documents; - for stdout")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: all cores)")
    p.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress on stderr (auto: when stderr is a terminal)")
    p.set_defaults(func=run)


def _parse(lineno: int, line: str) -> ArticleInput | str:
    """An input line as an article, or the reason it cannot be one."""
    try:
        obj = json.loads(line)
        if not isinstance(obj, dict):
            return f"line {lineno}: expected a JSON object"
        text = obj.get("text")
        if not isinstance(text, str):
            return f"line {lineno}: 'text' must be a string"
        doc_id = obj.get("id")
        return ArticleInput(text=text, published_at=parse_date(obj.get("published_at")),
                            id=None if doc_id is None else str(doc_id))
    except (ValueError, TypeError) as exc:
        return f"line {lineno}: {exc}"


def _error_doc(line: str, reason: str) -> dict[str, Any]:
    try:
        doc_id = json.loads(line).get("id")
    except (ValueError, AttributeError):
        doc_id = None
    return {"id": doc_id, "error": reason, "published_at": None,
            "claims": [], "entities": [], "timexes": [], "events": []}


def _chunks(lines: Iterable[str]) -> Iterator[list[tuple[str, ArticleInput | str]]]:
    chunk: list[tuple[str, ArticleInput | str]] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        chunk.append((line, _parse(lineno, line)))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _work(chunk: list[tuple[str, ArticleInput | str]]) -> list[dict[str, Any]]:
    """Runs in a worker: extract the good lines of a chunk, keep error documents for the rest."""
    good = [a for _, a in chunk if isinstance(a, ArticleInput)]
    try:
        results = iter(extract_batch(good))
    except Exception:  # one bad article must not lose the chunk: retry one by one
        results = iter(_one_by_one(good))
    return [next(results) if isinstance(a, ArticleInput) else _error_doc(line, a) for line, a in chunk]


def _one_by_one(items: list[ArticleInput]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        try:
            out.extend(extract_batch([item]))
        except Exception as exc:
            out.append({"id": item.id, "error": f"extraction failed: {type(exc).__name__}: {exc}",
                        "published_at": None, "claims": [], "entities": [], "timexes": [], "events": []})
    return out


def run(args: argparse.Namespace) -> int:
    workers = args.workers or os.cpu_count() or 1
    with ExitStack() as stack:
        src: IO[str] = (sys.stdin if args.input == "-"
                        else stack.enter_context(open(args.input, encoding="utf-8")))
        dst: IO[str] = sys.stdout if args.output == "-" else stack.enter_context(
            open(args.output, "w", encoding="utf-8"))
        show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
        chunks = _chunks(src)
        if workers > 1:
            pool = stack.enter_context(mp.get_context("spawn").Pool(workers, initializer=init_worker))
            results: Iterable[list[dict[str, Any]]] = pool.imap(_work, chunks)
        else:
            init_worker()
            results = map(_work, chunks)
        done = errors = 0
        progress = _progress(stack) if show else None
        task = progress.add_task("extracting", total=None) if progress else None
        for docs in results:
            for doc in docs:
                dst.write(json.dumps(doc, ensure_ascii=False) + "\n")
                errors += "error" in doc
            done += len(docs)
            if progress is not None and task is not None:
                progress.update(task, completed=done, refresh=True)
        dst.flush()
    if errors:
        print(f"newsclaims extract: {errors} of {done} lines failed (see their 'error' fields)",
              file=sys.stderr)
    return 1 if errors else 0


def _progress(stack: ExitStack) -> Any:
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.speed} docs/s"))
    # redrawn at each chunk, not by rich's refresh thread: with one worker, spaCy runs in this
    # process, and a second thread in it slows parsing by ~10% (app/extraction/parallel.py)
    return stack.enter_context(Progress(*columns, console=_stderr_console(), transient=False,
                                        auto_refresh=False))


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr)
