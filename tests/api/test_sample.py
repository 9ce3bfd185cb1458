"""The issue's "done when": the sample article in, the Miami meeting and Umerov's statements out.

These depend on the extraction library finding Dmitriev, Umerov, the Miami meeting and its date
(2025-12-20) in the sample; they run through real HTTP on each database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "liga-2025-12-19-umerov-talks.txt"


@pytest.fixture(scope="module")
def sample_text() -> str:
    if not SAMPLE.is_file():
        pytest.skip(f"sample article not found at {SAMPLE}")
    return SAMPLE.read_text(encoding="utf-8")


async def ingest(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    r = await client.post(
        "/v1/articles",
        json={
            "text": text,
            "published_at": "2025-12-19",
            "source": "liga.net",
            "title": "Umerov spoke about a new meeting in the United States",
        },
    )
    assert r.status_code in (200, 201), r.text
    doc: dict[str, Any] = r.json()
    assert doc["extraction"]["state"] == "done", doc["extraction"]
    return doc


def entity(doc: dict[str, Any], surname: str) -> int:
    ids = {
        e["stored_id"] for e in doc["entities"] if e["type"] == "PERSON" and e["name"].split()[-1] == surname
    }
    assert len(ids) == 1, f"expected one stored {surname}, got {[e['name'] for e in doc['entities']]}"
    return ids.pop()


async def test_events_of_dmitriev_on_december_20_include_the_miami_meeting(
    client: httpx.AsyncClient, sample_text: str
) -> None:
    doc = await ingest(client, sample_text)
    dmitriev = entity(doc, "Dmitriev")
    r = await client.get("/v1/events", params={"entity": dmitriev, "from": "2025-12-20", "to": "2025-12-20"})
    assert r.status_code == 200
    items = r.json()["items"]
    miami = [e for e in items if e["place"] and e["place"]["name"] == "Miami"]
    assert miami, f"no Miami event among {[(e['summary'], e['place']) for e in items]}"
    assert miami[0]["date"]["value"] == "2025-12-20"
    assert dmitriev in {p["id"] for p in miami[0]["participants"]}
    by_name = await client.get(
        "/v1/events", params={"entity": "Kirill Dmitriev", "from": "2025-12-20", "to": "2025-12-20"}
    )
    assert [e["id"] for e in by_name.json()["items"]] == [e["id"] for e in items]


async def test_claims_of_umerov_are_his_statements(client: httpx.AsyncClient, sample_text: str) -> None:
    doc = await ingest(client, sample_text)
    umerov = entity(doc, "Umerov")
    r = await client.get("/v1/claims", params={"speaker": umerov, "limit": 50})
    claims = [c for c in r.json()["items"] if c["article_id"] == doc["id"]]  # other tests quote him too
    texts = " ".join(c["content"]["text"] for c in claims)
    assert len(claims) >= 3
    assert "another round of consultations" in texts
    assert "common vision" in texts
    assert "Ukraine's security must be guaranteed" in texts
    assert all(c["source"]["entity"]["id"] == umerov for c in claims)
    # the same statements through the entity's own list
    sub = await client.get(f"/v1/entities/{umerov}/claims", params={"role": "speaker", "limit": 50})
    assert [c["id"] for c in sub.json()["items"]] == [c["id"] for c in r.json()["items"]]
