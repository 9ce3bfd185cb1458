"""Hostile input through real HTTP: each case gets a clear 4xx or a correct result, never a 5xx,
and whatever is stored keeps valid offsets (`text[start:end] == span.text`)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

JSON = {"content-type": "application/json"}
PROBLEM = "application/problem+json"


def spans(node: Any) -> list[dict[str, Any]]:
    """Every {start, end, text} object anywhere in a result document."""
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            if (isinstance(n.get("start"), int) and isinstance(n.get("end"), int)
                    and isinstance(n.get("text"), str)):
                found.append(n)
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)
    return found


def assert_offsets(text: str, doc: dict[str, Any]) -> None:
    for s in spans({k: v for k, v in doc.items() if k != "text"}):
        assert 0 <= s["start"] <= s["end"] <= len(text), s
        assert text[s["start"]:s["end"]] == s["text"], s


def assert_clear_4xx(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["request_id"] == r.headers["x-request-id"] and body["detail"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


async def post_ok(client: httpx.AsyncClient, text: str, **fields: Any) -> dict[str, Any]:
    r = await client.post("/v1/articles", json={"text": text, "source": "hostile", **fields})
    assert r.status_code in (200, 201), r.text[:500]
    doc: dict[str, Any] = r.json()
    assert doc["text"] == text
    assert_offsets(text, doc)
    stored = await client.get(f"/v1/articles/{doc['id']}")
    assert stored.status_code == 200 and stored.json()["text"] == text
    assert_offsets(text, stored.json())
    return doc


# --- rejected cleanly -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", " ", "   \n\t \u00a0 ", "\u2003\u3000"])
async def test_empty_and_whitespace_only(client: httpx.AsyncClient, text: str) -> None:
    assert_clear_4xx(await client.post("/v1/articles", json={"text": text}), 422)
    assert_clear_4xx(await client.post("/v1/articles", content=text.encode(),
                                       headers={"content-type": "text/plain"}), 422)


async def test_ten_megabytes_of_text(client: httpx.AsyncClient) -> None:
    big = "All quiet on the front, officials said. " * 262_144  # 10 MiB
    assert_clear_4xx(await client.post("/v1/articles", json={"text": big}), 413)
    assert_clear_4xx(await client.post("/v1/articles", content=big.encode(),
                                       headers={"content-type": "text/plain"}), 413)


async def test_one_megabyte_sentence(client: httpx.AsyncClient) -> None:
    sentence = "and the committee " * 58_255  # ~1 MB without a full stop
    body = assert_clear_4xx(await client.post("/v1/articles", json={"text": sentence}), 413, 422)
    assert "text" in json.dumps(body.get("errors") or body["detail"])


@pytest.mark.parametrize("raw", [b'{"text": "caf\xe9 au lait"}', b'{"text": "\xff\xfe\xfd"}',
                                 b'{"text": "ok", "title": "\xc3\x28"}'])
async def test_invalid_utf8_json(client: httpx.AsyncClient, raw: bytes) -> None:
    assert_clear_4xx(await client.post("/v1/articles", content=raw, headers=JSON), 400, 422)


async def test_invalid_utf8_plain(client: httpx.AsyncClient) -> None:
    assert_clear_4xx(await client.post("/v1/articles", content=b"The mayor \xed\xa0\x80 said.",
                                       headers={"content-type": "text/plain; charset=utf-8"}), 422)


@pytest.mark.parametrize("escaped", ["\\ud800", "x\\udfff", "\\ud83d alone", "\\ude00\\ud83d"])
async def test_lone_surrogates(client: httpx.AsyncClient, escaped: str) -> None:
    raw = ('{"text": "The minister said ' + escaped + ' nothing."}').encode()
    body = assert_clear_4xx(await client.post("/v1/articles", content=raw, headers=JSON), 422)
    assert "surrogate" in body["detail"]


async def test_nul_bytes(client: httpx.AsyncClient) -> None:
    raw = b'{"text": "The minister\\u0000 said so."}'
    assert_clear_4xx(await client.post("/v1/articles", content=raw, headers=JSON), 422)
    assert_clear_4xx(await client.post("/v1/articles", json={"text": "ok", "title": "a\x00b"}), 422)
    assert_clear_4xx(await client.post("/v1/articles", content=b"The minister\x00 said so.",
                                       headers={"content-type": "text/plain"}), 422)
    assert_clear_4xx(await client.post("/v1/extract", json={"text": "nul\x00"}), 422)


async def test_hundred_thousand_quote_marks(client: httpx.AsyncClient) -> None:
    for text in ('"' * 100_000, "\u201c" * 100_000, '" ' * 50_000):
        assert_clear_4xx(await client.post("/v1/articles", json={"text": text}), 413, 422)
        assert_clear_4xx(await client.post("/v1/extract", json={"text": text}), 413, 422)


@pytest.mark.parametrize("depth", [40, 1_000, 100_000])
async def test_deeply_nested_json(client: httpx.AsyncClient, depth: int) -> None:
    raw = '{"text": "The mayor said yes.", "metadata": {"a": ' + "[" * depth + "]" * depth + "}}"
    body = assert_clear_4xx(await client.post("/v1/articles", content=raw.encode(), headers=JSON), 413, 422)
    assert "nested" in body["detail"]


@pytest.mark.parametrize(("ctype", "payload"), [
    ("application/xml", b"<article><text>x</text></article>"),
    ("multipart/form-data; boundary=x",
     b"--x\r\nContent-Disposition: form-data; name=text\r\n\r\nhi\r\n--x--"),
    ("application/x-www-form-urlencoded", b"text=The+mayor+said+yes"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("text/html", b"<p>The mayor said yes.</p>"),
])
async def test_wrong_content_types(client: httpx.AsyncClient, ctype: str, payload: bytes) -> None:
    assert_clear_4xx(await client.post("/v1/articles", content=payload, headers={"content-type": ctype}), 415)


async def test_json_that_is_not_an_object(client: httpx.AsyncClient) -> None:
    for raw in (b"[]", b'"text"', b"null", b"42", b"{", b'{"text": "a",}', b"\xef\xbb\xbf{}"):
        assert_clear_4xx(await client.post("/v1/articles", content=raw, headers=JSON), 400, 422)


@pytest.mark.parametrize("value", [
    "0000-00-00", "9999-12-31T99:99", "2025-02-30", "2025-13-01", "yesterday", "1e9", "",
    "2025-01-01T00:00:00+25:00", "+002025-01-01", "\uff12\uff10\uff12\uff15-\uff10\uff11-\uff10\uff11"])
async def test_impossible_dates(client: httpx.AsyncClient, value: str) -> None:
    r = await client.post("/v1/articles", json={"text": "The mayor said yes.", "published_at": value})
    if r.status_code in (200, 201):  # a lenient but correct reading is fine, a 5xx is not
        assert_offsets("The mayor said yes.", r.json())
        return
    body = assert_clear_4xx(r, 422)
    assert any(e["field"] == "published_at" for e in body["errors"])


@pytest.mark.parametrize("param", ["published_from", "published_to"])
async def test_impossible_dates_in_queries(client: httpx.AsyncClient, param: str) -> None:
    for value in ("0000-00-00", "9999-12-31T99:99", "-1"):
        assert_clear_4xx(await client.get("/v1/articles", params={param: value}), 400, 422)
    for value in ("0000-00-00", "9999-12-31T99:99"):
        assert_clear_4xx(await client.get("/v1/events", params={"from": value}), 400, 422)
        assert_clear_4xx(await client.get("/v1/claims", params={"to": value}), 400, 422)


async def test_hostile_query_parameters(client: httpx.AsyncClient) -> None:
    for limit in ("-1", "0", "1e3", "NaN", "\u0661"):
        assert_clear_4xx(await client.get("/v1/claims", params={"limit": limit}), 400, 422)
    huge = await client.get("/v1/claims", params={"limit": "10" * 30})  # capped, or refused
    assert huge.status_code == 422 or (huge.status_code == 200 and huge.json()["limit"] <= 100)
    for cursor in ("garbage", "A" * 1000, "eyJ4IjoxfQ==", "\u0000"):
        assert_clear_4xx(await client.get("/v1/articles", params={"cursor": cursor}), 400, 422)
    assert_clear_4xx(await client.get("/v1/articles", params={"q": "x" * 5000}), 414)
    for path in ("/v1/articles/99999999999999999999999999", "/v1/articles/-1", "/v1/articles/1.5",
                 "/v1/entities/%00", "/v1/articles/%F0%9F%98%80"):
        r = await client.get(path)
        assert 400 <= r.status_code < 500, (path, r.status_code)


@pytest.mark.parametrize("q", [
    "'; DROP TABLE articles; --", '"unbalanced', "NEAR(a b", "a AND OR b", "*", "^x", "col:value", "-", "()",
    "a\\", "%_%", "é* OR ü", "\u202e\u200b", "\"\" \"\""])
async def test_full_text_query_syntax_is_not_an_error(client: httpx.AsyncClient, q: str) -> None:
    for path in ("/v1/articles", "/v1/claims"):
        r = await client.get(path, params={"q": q})
        assert r.status_code in (200, 400, 422), (path, q, r.status_code, r.text[:200])
    assert (await client.get("/v1/articles")).status_code == 200  # still there


async def test_numbers_json_cannot_store(client: httpx.AsyncClient) -> None:
    for raw in (b'{"text": "The mayor said yes.", "metadata": {"x": NaN}}',
                b'{"text": "The mayor said yes.", "metadata": {"x": Infinity}}',
                b'{"text": "The mayor said yes.", "metadata": {"x": 1e400}}',
                b'{"text": "The mayor said yes.", "metadata": {"x": ' + b"9" * 5000 + b"}}"):
        r = await client.post("/v1/articles", content=raw, headers=JSON)
        assert r.status_code < 500, (raw[:60], r.status_code, r.text[:200])


# --- accepted, extracted, stored intact ---------------------------------------------------------

async def test_rtl_and_zero_width_characters(client: httpx.AsyncClient) -> None:
    text = ("\u202eThe minister\u200b said \u200f\"we will\u200d rebuild the bridge\" on Monday.\u2069 "
            "\u05d4\u05e9\u05e8 \u05d0\u05de\u05e8 \u200e\"\u05db\u05df\". "
            "Officials in \u0627\u0644\u0642\u0627\u0647\u0631\u0629 agreed.")
    await post_ok(client, text)


async def test_emoji_and_astral_characters(client: httpx.AsyncClient) -> None:
    text = ("\U0001F680 The president said \"\U0001F525 we launch on Friday \U0001F44D\" in Berlin. "
            "\U0001F1FA\U0001F1E6 Officials \U0001F9D1\u200d\U0001F4BB told reporters the talks "
            "would resume. "
            "𝐁𝐨𝐥𝐝 said 𝔣𝔯𝔞𝔨𝔱𝔲𝔯 that \"𝟙𝟚𝟛\" was final.")
    doc = await post_ok(client, text)
    assert doc["text"].count("\U0001F680") == 1


async def test_html_and_script_tags_are_plain_text(client: httpx.AsyncClient) -> None:
    text = ('<script>alert("x")</script><p>The mayor said <b>"we will <i>rebuild</i>"</b> on Monday.</p>'
            '<img src=x onerror="alert(1)"> <!-- "quoted" comment --> &quot;entity&quot; said the aide.')
    doc = await post_ok(client, text)
    r = await client.get(f"/v1/articles/{doc['id']}")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["text"] == text  # stored and returned verbatim, never interpreted


async def test_quote_storms_that_fit_the_limits(client: httpx.AsyncClient) -> None:
    await post_ok(client, '" ' * 2_000)
    await post_ok(client, 'He said "' * 150 + "done.")
    await post_ok(client, "\u201c" * 1_500 + " the mayor said " + "\u201d" * 1_500)
    await post_ok(client, "'s " * 1_000)


async def test_long_run_on_sentence(client: httpx.AsyncClient) -> None:
    await post_ok(client, "and the committee " * 1_000 + "met")  # one 18,000-character sentence


async def test_control_characters_and_odd_whitespace(client: httpx.AsyncClient) -> None:
    text = ("The mayor\u0085 said\u2028\u2029 \"yes\"\x0b\x0c on\r\nMonday.\x1b[31m Red\x7f "
            "text said the aide.")
    await post_ok(client, text)


@pytest.mark.parametrize(("published_at", "text"), [
    ("9999-12-31", "The minister said next year will be better and tomorrow is the deadline."),
    ("0001-01-01", "The minister said yesterday and last year were worse, a decade ago too."),
    ("9999-12-31T23:59:59+14:00", "Talks resume next week, the envoy said on Monday."),
])
async def test_extreme_but_valid_dates(client: httpx.AsyncClient, published_at: str, text: str) -> None:
    body = {"text": text, "published_at": published_at, "source": "hostile"}
    r = await client.post("/v1/articles", json=body)
    assert r.status_code in (200, 201, 422), r.text[:300]
    if r.status_code != 422:
        assert_offsets(text, r.json())


async def test_everything_stored_still_has_valid_offsets(client: httpx.AsyncClient) -> None:
    """After the corpus above: every stored article and claim still points into its own text."""
    cursor = None
    seen = 0
    while True:
        params: dict[str, Any] = {"limit": 50} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/articles", params=params)).json()
        for summary in page["items"]:
            doc = (await client.get(f"/v1/articles/{summary['id']}")).json()
            assert_offsets(doc["text"], doc)
            seen += 1
        cursor = page.get("next")
        if not cursor:
            break
    assert seen > 0
