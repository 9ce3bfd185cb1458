"""`app.core.server.HttpProtocol`: each response leaves in one write, and HTTP is unchanged."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from app.core.server import FLUSH_AT, CoalescingTransport, HttpProtocol


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def test_writes_in_one_turn_leave_together() -> None:
    fake = FakeTransport()
    t = CoalescingTransport(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"HTTP/1.1 200 OK\r\n\r\n")
    t.write(b"body")
    assert fake.writes == [] and not t.is_closing()  # (other attributes: the real transport's)
    await asyncio.sleep(0)
    assert fake.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    t.write(b"x" * FLUSH_AT)  # a big write goes at once (uvicorn's flow control sees it)
    assert fake.writes[-1] == b"x" * FLUSH_AT
    t.write(b"last")
    t.close()  # what is pending goes before the close
    assert fake.writes[-1] == b"last" and fake.closed
    await asyncio.sleep(0)
    assert len(fake.writes) == 3


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/stream":  # 2 MB in chunks, no content-length: chunked encoding
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(200):
            chunk = bytes([65 + i % 26]) * 10_000
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = path.encode()
    await send({"type": "http.response.start", "status": 204 if path == "/empty" else 200,
                "headers": [(b"content-length", b"0" if path == "/empty" else str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": b"" if path == "/empty" else body})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=HttpProtocol, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve(sockets=[sock]))
    for _ in range(1000):  # (uvicorn sets a flag, no event)
        if srv.started:
            break
        await asyncio.sleep(0.01)
    assert srv.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    await task


async def test_http_through_the_protocol(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[bytes] = []
    flush = CoalescingTransport.flush

    def spy(self: CoalescingTransport) -> None:
        sent.extend(self._pending[:1] and [b"".join(self._pending)])
        flush(self)

    monkeypatch.setattr(CoalescingTransport, "flush", spy)
    async with httpx.AsyncClient(base_url=server) as c:
        for i in range(20):  # keep-alive: one connection, responses in order
            r = await c.get(f"/item/{i}")
            assert r.status_code == 200 and r.text == f"/item/{i}"
        # each response (head and body) left in one write
        assert len(sent) == 20 and all(s.startswith(b"HTTP/1.1 200") and s.endswith(b"/item/%d" % i)
                                       for i, s in enumerate(sent))
        big = await c.get("/stream")
        assert len(big.content) == 2_000_000 and big.content[:1] == b"A" and big.content[-1:] == b"R"
        assert (await c.head("/head")).content == b""
        assert (await c.get("/empty")).status_code == 204
        closing = await c.get("/bye", headers={"Connection": "close"})
        assert closing.text == "/bye" and closing.headers.get("connection") == "close"


async def test_pipelined_requests_are_answered_in_order(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"".join(f"GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5)))
    await writer.drain()
    seen: list[Any] = []
    while len(seen) < 5:
        status = await reader.readline()
        assert status.startswith(b"HTTP/1.1 200")
        length = 0
        while (line := await reader.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        seen.append(await reader.readexactly(length))
    writer.close()
    await writer.wait_closed()
    assert seen == [f"/p{i}".encode() for i in range(5)]
