"""Bounds on everything a client controls, enforced before any handler sees the request.

`RequestLimitsMiddleware` (pure ASGI, so it sees the raw byte stream):

- query string longer than `max_query_bytes` -> 414;
- body larger than `max_body_bytes` -> 413. A declared `Content-Length` over the limit is refused
  without reading; otherwise the bytes are *counted as they stream in* (a lying or absent
  Content-Length, chunked uploads) and reading stops at the first byte past the limit;
- a body of a media type no endpoint accepts -> 415;
- a text or JSON body that is not UTF-8, or a JSON body nested deeper than `max_json_depth`, or holding a
  string with a NUL character, a lone surrogate (neither can be stored as text by PostgreSQL or
  encoded as UTF-8) or a whitespace-free run longer than `max_token_chars` -> 422 with the
  offending location.

Invalid JSON is left to the framework, whose validation error names the position.

`deadline()` bounds the wall time of one extraction inside a worker process, so a pathological
text ends as a clear `ExtractionTimeout` instead of a worker stuck for minutes.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .http import replay_receive, send_problem

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class Limits:
    """The defaults are generous for news text (a long feature is ~60,000 characters)."""

    max_body_bytes: int = 1_048_576
    # Bulk endpoints (path -> byte limit) that legitimately carry many articles in one body.
    bulk_body_bytes: tuple[tuple[str, int], ...] = ()
    max_query_bytes: int = 4096
    max_json_depth: int = 32
    max_token_chars: int = 2000
    max_article_chars: int = 200_000
    max_batch_items: int = 100
    max_page_size: int = 100
    extraction_timeout_s: float = 30.0
    accepted_media_types: tuple[str, ...] = ("application/json", "text/plain", "application/x-ndjson")

    def body_limit(self, scope: Scope) -> int:
        """The byte limit for this request's body: a bulk path's own, else `max_body_bytes`."""
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        return next((n for p, n in self.bulk_body_bytes if p == path), self.max_body_bytes)


class BodyTooLarge(Exception):
    """Raised from the counting `receive` once the body passes the limit."""


def _media_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return None


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None | str:
    for name, value in headers:
        if name == b"content-length":
            try:
                n = int(value)
            except ValueError:
                return "invalid"
            return n if n >= 0 else "invalid"
    return None


def _is_json(media_type: str | None) -> bool:
    return media_type is not None and (media_type == "application/json" or media_type.endswith("+json"))


def inspect_json(value: Any, max_depth: int, max_token: int = 2000
                 ) -> tuple[tuple[str | int, ...], str] | None:
    """First problem in a parsed JSON document as (location, reason), or None.

    Iterative, so a document nested past the limit cannot exhaust the stack here.
    """
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(value, ("body",), 1)]
    while stack:
        node, loc, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                return loc, f"JSON nested deeper than {max_depth} levels"
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str) and (reason := bad_text(key, max_token)):
                    return (*loc, key), reason
                stack.append((child, (*loc, key), depth + 1))
        elif isinstance(node, str) and (reason := bad_text(node, max_token)):
            return loc, reason
    return None


def bad_text(s: str, max_token: int = 2000) -> str | None:
    """Why a client string cannot be stored and tokenised, or None.

    NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8; and a
    run of thousands of characters without whitespace (quote marks, emoji, `$`) makes spaCy's
    tokenizer quadratic, so one such "word" could hold a worker for minutes.
    """
    if "\x00" in s:
        return "text contains a NUL character"
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            return "text contains a lone surrogate (not valid Unicode)"
    if len(s) > max_token:
        longest = max((len(w) for w in s.split()), default=0)
        if longest > max_token:
            return f"text contains a run of {longest} characters without whitespace (limit {max_token})"
    return None


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259) and cannot be stored in a JSON column."""
    raise _NotFinite(name)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(f"{literal[:20]} overflows")
    return value


def field_error(loc: tuple[str | int, ...], message: str) -> dict[str, Any]:
    """One entry of a problem's `errors` list, in the shape the error handlers use."""
    return {"loc": list(loc), "field": ".".join(str(p) for p in loc[1:]), "message": message,
            "type": "value_error"}


class RequestLimitsMiddleware:
    """Refuses oversized or malformed input before the framework buffers or parses it."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lim = self.limits
        if len(scope.get("query_string", b"")) > lim.max_query_bytes:
            await send_problem(send, scope, 414, "URI Too Long",
                               f"The query string is longer than {lim.max_query_bytes} bytes.",
                               slug="query-too-long", limit=lim.max_query_bytes)
            return
        if scope.get("method") not in BODY_METHODS:
            await self.app(scope, receive, send)
            return

        headers = scope.get("headers", [])
        declared = _content_length(headers)
        if declared == "invalid":
            await send_problem(send, scope, 400, "Bad Request", "Content-Length is not a number.",
                               slug="bad-request")
            return
        max_bytes = lim.body_limit(scope)
        if isinstance(declared, int) and declared > max_bytes:
            await self._too_large(send, scope, max_bytes)
            return

        # Read the whole body here, counting: at most the limit is ever held.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await self._too_large(send, scope, max_bytes)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        if body:
            problem = self._check_body(body, _media_type(headers))
            if problem is not None:
                status, title, detail, slug, extra = problem
                await send_problem(send, scope, status, title, detail, slug=slug, **extra)
                return

        await self.app(scope, replay_receive(body, receive), send)

    async def _too_large(self, send: Send, scope: Scope, limit: int) -> None:
        await send_problem(send, scope, 413, "Content Too Large",
                           f"The request body is larger than {limit} bytes.",
                           slug="body-too-large", limit=limit,
                           headers={"connection": "close"})

    def _check_body(self, body: bytes, media_type: str | None
                    ) -> tuple[int, str, str, str, dict[str, Any]] | None:
        lim = self.limits
        accepted = lim.accepted_media_types
        if media_type is not None and not (
            media_type in accepted or (_is_json(media_type) and "application/json" in accepted)
        ):
            return (415, "Unsupported Media Type",
                    f"Send the body as one of: {', '.join(accepted)}.", "unsupported-media-type",
                    {"accepted": list(accepted)})
        if media_type is not None and (media_type.startswith("text/") or _is_json(media_type)
                                       or media_type == "application/x-ndjson"):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                why = f"the body is not valid UTF-8 (byte {exc.start})"
                return (422, "Unprocessable Content", f"{why[0].upper()}{why[1:]}.", "invalid-encoding",
                        {"errors": [field_error(("body",), why)]})
        if media_type is not None and media_type.startswith("text/"):
            reason = bad_text(body.decode("utf-8"), lim.max_token_chars)
            if reason is not None:
                return (422, "Unprocessable Content", f"{reason}.", "invalid-text",
                        {"errors": [field_error(("body",), reason)]})
        if _is_json(media_type) or media_type is None:
            return self._check_json(body, ())
        if media_type == "application/x-ndjson":
            for n, line in enumerate(body.split(b"\n")):
                if line.strip() and (problem := self._check_json(line, (n,))) is not None:
                    return problem
        return None

    def _check_json(self, raw: bytes, where: tuple[int, ...]
                    ) -> tuple[int, str, str, str, dict[str, Any]] | None:
        """Depth, finite numbers and storable strings of one JSON document (`where`: the line of an
        NDJSON body)."""
        lim = self.limits
        try:
            doc = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
        except _NotFinite as exc:
            why = f"JSON numbers must be finite ({exc})"
            return (422, "Unprocessable Content", f"{why}.", "invalid-number",
                    {"errors": [field_error(("body", *where), why)]})
        except RecursionError:
            return (422, "Unprocessable Content",
                    f"JSON nested deeper than {lim.max_json_depth} levels.", "json-too-deep",
                    {"limit": lim.max_json_depth})
        except ValueError:
            return None  # not JSON: the framework reports where it breaks
        found = inspect_json(doc, lim.max_json_depth, lim.max_token_chars)
        if found is None:
            return None
        loc, reason = found
        loc = ("body", *where, *loc[1:])
        slug = "json-too-deep" if reason.startswith("JSON nested") else "invalid-text"
        name = ".".join(str(p) for p in loc[1:]) or "body"
        return (422, "Unprocessable Content", f"{reason} (at {name}).", slug,
                {"errors": [field_error(loc, reason)]})


class ExtractionTimeout(Exception):
    """The extraction of one article ran past its deadline."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise `ExtractionTimeout` in this thread once `seconds` of wall time pass.

    Uses SIGALRM, so it only arms in a process's main thread (a pool worker's task runs there);
    elsewhere it is a no-op and the caller's own timeout (`asyncio.wait_for`) is the bound.
    The signal is delivered between Python bytecodes: spaCy's pipeline calls back into Python per
    component and per token pattern, so the interruption lands within a fraction of a second.
    """
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum: int, frame: Any) -> None:
        raise ExtractionTimeout(f"extraction took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded_extract_batch(items: list[Any]) -> list[dict[str, Any]]:
    """`app.extraction.parallel.extract_batch` under a deadline of `extraction_timeout_s` per
    article; runs in a pool worker (the pool submits this instead of the bare function)."""
    from app.extraction.parallel import extract_batch

    with deadline(_worker_timeout() * max(1, len(items))):
        return extract_batch(items)


_timeout: float | None = None


def _worker_timeout() -> float:
    """The per-article bound from the settings (read once per worker process)."""
    global _timeout
    if _timeout is None:
        from .settings import Settings

        _timeout = Settings().extraction_timeout_s
    return _timeout
