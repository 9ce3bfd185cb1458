"""`Idempotency-Key` on POST and PATCH (draft-ietf-httpapi-idempotency-key-header).

A client that may retry sends a unique key with the request. The first request with a key claims
it by inserting a row; the unique constraint on (principal, key) decides which of several
concurrent requests that is, so a retry storm runs the operation once. Then:

- same key, same request (method, path, query, media type and body bytes), first one finished:
  the stored response is replayed byte for byte, with `Idempotent-Replayed: true`;
- same key, same request, first one still running: the duplicate waits for it (up to
  `wait_s`) and replays its response, else answers 409 with `Retry-After`;
- same key, different request: 422;
- a key whose first request failed (any non-2xx answer or an exception) is released, so the
  client can retry with the same key;
- keys expire after `ttl_s`; a claim left behind by a crashed process is taken over after
  `stale_s`.

Keys are scoped to the API key that sent them, so two clients cannot collide or read each
other's responses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .database import Base, Database, UTCDateTime, insert_ignore, utcnow
from .http import replay_receive, send_problem
from .security import principal_of

HEADER = b"idempotency-key"
METHODS = frozenset({"POST", "PATCH"})
MAX_KEY_LENGTH = 255
PURGE_EVERY = 200  # claims between two deletions of expired keys (the first claim purges too)
# response headers that belong to one exchange, not to the stored result
_NOT_REPLAYED = frozenset({b"x-request-id", b"date", b"server", b"content-length", b"connection"})

log = logging.getLogger("newsclaims.idempotency")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), doc="running | done")
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_headers: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def parse_key(raw: bytes) -> str | None:
    """The key as a plain string (the draft sends it as a structured-field string, `"abc"`; a bare
    token is accepted too), or None when it is empty, too long or not printable ASCII."""
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not 0 < len(text) <= MAX_KEY_LENGTH or any(not 32 <= ord(c) < 127 for c in text):
        return None
    return text


def fingerprint(scope: Scope, body: bytes) -> str:
    h = hashlib.sha256()
    media = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), b"")
    for part in (str(scope.get("method", "")).encode(), str(scope.get("path", "")).encode(),
                 scope.get("query_string", b""), media, body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


class IdempotencyMiddleware:
    """Claims, replays and releases idempotency keys around POST/PATCH requests that carry one."""

    def __init__(self, app: ASGIApp, *, get_db: Callable[[Scope], Database], wait_s: float = 30.0,
                 stale_s: float = 300.0, ttl_s: float = 86_400.0, poll_s: float = 0.05) -> None:
        self.app = app
        self.get_db = get_db
        self.wait_s = wait_s
        self.stale = timedelta(seconds=stale_s)
        self.ttl = timedelta(seconds=ttl_s)
        self.poll_s = poll_s
        self._claims = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in METHODS:
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers", ()) if k == HEADER), None)
        if raw is None:
            await self.app(scope, receive, send)
            return
        key = parse_key(raw)
        if key is None:
            await send_problem(send, scope, 400, "Bad Request",
                               f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters.",
                               slug="invalid-idempotency-key")
            return

        body, disconnected = await _read_body(receive)
        if disconnected:
            return
        principal = principal_of(scope)
        owner = principal.key_id if principal is not None else ""
        fp = fingerprint(scope, body)
        try:
            db = self.get_db(scope)
            outcome = await self._claim_or_wait(db, owner, key, fp)
        except Exception:
            log.warning("idempotency store unavailable", exc_info=True)
            await send_problem(send, scope, 503, "Service Unavailable",
                               "The request cannot be made idempotent right now; retry shortly.",
                               slug="unavailable", headers={"retry-after": "1"})
            return

        if isinstance(outcome, IdempotencyRecord):
            await _replay(outcome, send)
            return
        if outcome == "mismatch":
            await send_problem(send, scope, 422, "Unprocessable Content",
                               "This Idempotency-Key was already used with a different request.",
                               slug="idempotency-key-reused")
            return
        if outcome == "busy":
            await send_problem(send, scope, 409, "Conflict",
                               "A request with this Idempotency-Key is still being processed.",
                               slug="idempotency-key-in-use", headers={"retry-after": "1"})
            return
        await self._run_and_store(db, owner, key, scope, body, receive, send)
        self._claims += 1
        if self._claims % PURGE_EVERY == 1:
            await self._purge(db)

    async def _claim_or_wait(self, db: Database, owner: str, key: str, fp: str
                             ) -> IdempotencyRecord | str:
        """`claimed`, `mismatch`, `busy`, or the finished record to replay."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.wait_s
        while True:
            now = utcnow()
            async with db.session() as s:
                row = {"principal": owner, "key": key, "fingerprint": fp, "state": "running",
                       "created_at": now}
                result = await s.execute(insert_ignore(db.dialect, IdempotencyRecord, row))
                if getattr(result, "rowcount", 0) == 1:
                    return "claimed"
                rec = await s.scalar(select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == owner, IdempotencyRecord.key == key))
                if rec is None:
                    continue  # released between our insert and read: try again
                if now - rec.created_at > self.ttl:
                    await s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == rec.id))
                    continue
                if rec.fingerprint != fp:
                    return "mismatch"
                if rec.state == "done":
                    return rec
                if now - rec.created_at > self.stale:
                    # left by a process that died mid-request: take it over, one taker wins
                    taken = await s.execute(update(IdempotencyRecord).where(
                        IdempotencyRecord.id == rec.id, IdempotencyRecord.created_at == rec.created_at,
                        IdempotencyRecord.state == "running").values(created_at=now))
                    if getattr(taken, "rowcount", 0) == 1:
                        return "claimed"
            if loop.time() >= give_up:
                return "busy"
            await asyncio.sleep(self.poll_s)

    async def _run_and_store(self, db: Database, owner: str, key: str, scope: Scope, body: bytes,
                             receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay_receive(body, receive), capture)
        except BaseException:
            await self._release(db, owner, key)
            raise
        content = b"".join(chunks)
        status = start["status"] if start is not None else 500
        try:
            if 200 <= status < 300:
                headers = [[k.decode("latin-1"), v.decode("latin-1")]
                           for k, v in (start or {}).get("headers", []) if k.lower() not in _NOT_REPLAYED]
                async with db.session() as s:
                    await s.execute(update(IdempotencyRecord).where(
                        IdempotencyRecord.principal == owner, IdempotencyRecord.key == key).values(
                        state="done", status_code=status, response_headers=json.dumps(headers),
                        response_body=content, completed_at=utcnow()))
            else:
                await self._release(db, owner, key)
        except Exception:
            log.warning("could not record idempotent response", exc_info=True)
        if start is not None:
            sent = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            sent.append((b"content-length", str(len(content)).encode()))
            await send({**start, "headers": sent})
            await send({"type": "http.response.body", "body": content})

    async def _purge(self, db: Database) -> None:
        """Delete expired keys now and then (expired ones are also ignored when met)."""
        try:
            async with db.session() as s:
                await s.execute(delete(IdempotencyRecord).where(
                    IdempotencyRecord.created_at < utcnow() - self.ttl))
        except Exception:
            log.warning("could not purge expired idempotency keys", exc_info=True)

    async def _release(self, db: Database, owner: str, key: str) -> None:
        try:
            async with db.session() as s:
                await s.execute(delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == owner, IdempotencyRecord.key == key,
                    IdempotencyRecord.state == "running"))
        except Exception:
            log.warning("could not release idempotency key", exc_info=True)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


async def _replay(rec: IdempotencyRecord, send: Send) -> None:
    body = rec.response_body or b""
    stored: list[list[str]] = json.loads(rec.response_headers or "[]")
    headers: list[tuple[bytes, bytes]] = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": rec.status_code or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
