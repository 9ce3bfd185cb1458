"""`newsclaims ingest` and `newsclaims export` against a live server (real uvicorn, real
database, real model), and the ingest client's retry rule."""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import main
from app.cli.ingest import Tally, idempotency_key, ingest, post

from .conftest import ROOT, Live

NAMES = ("Berg", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad")


def articles(n: int) -> list[dict[str, Any]]:
    tag = uuid.uuid4().hex[:8]
    return [{"id": f"{tag}-{i}", "source": "cli-tests", "published_at": "2025-04-02",
             "text": f"Minister Anna {NAMES[i % 6]} said on Tuesday that the ferry {tag}{i} would resume "
                     "in June. "
                     f"\"The harbour is ready,\" {NAMES[(i + 1) % 6]} told reporters in Oslo. "
                     f"{NAMES[i % 6]} met {NAMES[(i + 1) % 6]} in Oslo on Monday to discuss the plan."}
            for i in range(n)]


def write_jsonl(path: Path, rows: list[dict[str, Any]], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra, encoding="utf-8")
    return path


def cli(live: Live, *args: str) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=live.env, capture_output=True,
                       text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def inproc(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command run in this process (no interpreter start-up), its output captured."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def summary(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_ingest_file_and_rerun(live: Live, tmp_path: Path) -> None:
    rows = articles(5)
    src = write_jsonl(tmp_path / "a.jsonl", rows, extra="not json\n\n")
    code, out, err = cli(live, "ingest", str(src), "--url", live.url, "--concurrency", "3",
                         "--progress", "always")
    s = summary(out)
    assert s["articles"] == 5 and s["created"] == 5 and s["invalid"] == 1, (s, err)
    assert code == 1 and "a.jsonl:6" in err  # the bad line is reported, with its place
    assert "articles/s" in err  # the progress bar
    code, out, _ = cli(live, "ingest", str(src), "--url", live.url, "--progress", "never")
    s = summary(out)
    assert s["articles"] == 5 and s.get("created", 0) == 0 and s["duplicate"] == 5
    ids = {r["id"] for r in rows}
    listed = httpx.get(f"{live.url}/v1/articles", params={"source": "cli-tests", "limit": 50}).json()["items"]
    assert ids <= {a["external_id"] for a in listed}


def _wait_no_pending(live: Live) -> None:
    deadline = time.monotonic() + 120
    while httpx.get(f"{live.url}/v1/articles", params={"state": "pending"}).json()["items"]:
        assert time.monotonic() < deadline, "queued articles were not processed"
        time.sleep(0.3)


def test_ingest_directory_in_batches_then_export(live: Live, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "crawl"
    (folder / "day2").mkdir(parents=True)
    rows = articles(7)
    write_jsonl(folder / "day1.jsonl", rows[:4])
    write_jsonl(folder / "day2" / "more.jsonl", rows[4:])
    code, out, err = cli(live, "ingest", str(folder), "--url", live.url, "--batch", "3",
                         "--progress", "never")
    s = summary(out)
    assert code == 0 and s["articles"] == 7 and s["accepted"] == 7, (s, err)
    _wait_no_pending(live)

    code, out, err = inproc(capsys, "export", "claims", "--format", "ndjson", "--database-url", live.db_url)
    assert code == 0, err
    exported = [json.loads(line) for line in out.splitlines()]
    ndjson = {"Accept": "application/x-ndjson"}
    streamed = httpx.get(f"{live.url}/v1/claims", headers=ndjson).text.splitlines()
    assert [c["id"] for c in exported] == [json.loads(line)["id"] for line in streamed]
    assert len(exported) >= 7

    code, out, err = inproc(capsys, "export", "claims", "--format", "csv", "--database-url", live.db_url)
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(table) == len(exported)
    assert [int(r["id"]) for r in table] == [c["id"] for c in exported] and "content.text" in table[0]

    person = next(c for c in exported if c.get("source") and (c["source"].get("entity") or {}).get("id"))
    speaker = str(person["source"]["entity"]["id"])
    code, out, _ = inproc(capsys, "export", "claims", "--speaker", speaker, "--database-url", live.db_url)
    mine = [json.loads(line) for line in out.splitlines()]
    api = httpx.get(f"{live.url}/v1/claims", params={"speaker": speaker, "limit": 50}).json()["items"]
    assert mine and [c["id"] for c in mine] == [c["id"] for c in api]

    for what in ("events", "entities"):
        code, out, err = inproc(capsys, "export", what, "--database-url", live.db_url)
        assert code == 0 and out.strip(), err
        assert all(isinstance(json.loads(line)["id"], int) for line in out.splitlines())


async def test_post_retries_on_429_and_5xx() -> None:
    answers = iter([503, 429, 201])
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("idempotency-key"))
        return httpx.Response(next(answers), headers={"Retry-After": "0"}, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://x") as client:
        resp = await post(client, "/v1/articles", retries=5, json={"text": "t"},
                          headers={"Idempotency-Key": "k"})
    assert not isinstance(resp, str) and resp.status_code == 201
    assert seen == ["k", "k", "k"]  # the same key on every attempt
    a = {"text": "Some text.", "source": "s"}
    assert idempotency_key(a) == idempotency_key(dict(a)) != idempotency_key({**a, "external_id": "1"})


def test_reprocess_command(live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_jsonl(tmp_path / "r.jsonl", articles(2))
    assert cli(live, "ingest", str(src), "--url", live.url, "--progress", "never")[0] == 0
    code, out, _ = inproc(capsys, "reprocess", "--database-url", live.db_url)
    assert code == 0 and json.loads(out)["queued"] == 0  # everything is at the current version
    code, out, _ = inproc(capsys, "reprocess", "--force", "--database-url", live.db_url)
    queued = json.loads(out)
    assert code == 0 and queued["queued"] >= 2
    deadline = time.monotonic() + 120  # the live server's queue worker re-extracts them
    while (job := httpx.get(f"{live.url}/v1/jobs/{queued['job']}").json())["state"] != "done":
        assert time.monotonic() < deadline, job["counts"]
        time.sleep(0.3)
    assert job["kind"] == "reprocess" and job["counts"]["done"] == queued["queued"]


async def test_batches_too_large_are_split(tmp_path: Path) -> None:
    """A 413 on a batch sends it again in halves until the server takes it."""
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        n = len(json.loads(request.content))
        sizes.append(n)
        if n > 2:
            return httpx.Response(413, json={"detail": "too large"})
        return httpx.Response(202, json={"counts": {"duplicate": 0}})

    src = write_jsonl(tmp_path / "b.jsonl", articles(5))
    args = argparse.Namespace(path=src, url="http://x", concurrency=1, batch=5, respond_async=False,
                              api_key=None, retries=2, timeout=5.0)
    tally = Tally()
    await ingest(args, tally, transport=httpx.MockTransport(handler))
    assert tally.done == 5 and tally.counts["accepted"] == 5 and not tally.counts["failed"]
    assert sizes == [5, 2, 3, 1, 2]
