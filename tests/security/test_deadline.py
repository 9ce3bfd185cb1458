"""A pathological text meets the per-article extraction deadline: a clear answer, a stored
failure with its reason, and a worker that is free for the next article."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import make_settings

# Ordinary prose just under the 50,000-char test limit: accepted, but parsing it takes about a
# second, several times the deadline below, while the short follow-up text takes milliseconds.
# (Runs of punctuation no longer work here: the tokenizer guard makes them cheap.)
SLOW = " ".join(f"Officials in district {i} said on Monday that the bridge would reopen, the mayor added."
                for i in range(530))


async def test_extraction_deadline(fresh_db_url: str, tmp_path: Path, running_app: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSCLAIMS_EXTRACTION_TIMEOUT_S", "0.3")  # read by the spawned worker
    settings = make_settings(fresh_db_url, tmp_path, extraction_timeout_s=0.3)
    async with running_app(settings, wait_ready=True) as (_app, client):
        preview = await client.post("/v1/extract", json={"text": SLOW})
        assert preview.status_code == 422, preview.text
        assert preview.headers["content-type"] == "application/problem+json"
        assert preview.json()["type"].endswith("/extraction-timeout"), preview.text

        stored = await client.post("/v1/articles", json={"text": SLOW, "source": "deadline"})
        assert stored.status_code == 201, stored.text
        doc = stored.json()
        assert doc["extraction"]["state"] == "failed"
        assert "longer than" in doc["extraction"]["error"]
        assert doc["claims"] == [] and doc["entities"] == []  # nothing half-written

        ok = await client.post("/v1/extract", json={"text": "The mayor said the bridge would reopen."})
        assert ok.status_code == 200 and ok.json()["claims"]
