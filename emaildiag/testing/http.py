"""A real HTTP(S) relay on loopback, in its own thread, that records every request it gets.

The relay check is tested against real sockets, real TLS handshakes (certificates from
:class:`~emaildiag.testing.pki.TestPKI`) and real HTTP/1.1 bytes, not a mocked transport:
what must be proven is what reaches the wire (no POST, no request after a failed
verification) and that a hostile relay cannot stretch the deadline (faults-and-security
§8 H.39). Only loopback addresses are ever bound.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from emaildiag.testing.pki import CertKind, TestPKI
from emaildiag.testing.threaded import ThreadedServer

__all__ = ["HttpSpec", "HttpTestServer", "ReceivedRequest"]

_LOOPBACK = frozenset({"127.0.0.1", "::1"})
_MAX_HEAD = 64 * 1024
_REASONS = {200: "OK", 302: "Found", 404: "Not Found", 405: "Method Not Allowed"}

Behaviour = Literal["answer", "silent", "drip", "flood", "smtp", "drip_head", "flood_head"]


@dataclass(frozen=True)
class HttpSpec:
    """What kind of relay to impersonate.

    ``cert=None`` serves plain ``http://``. ``behaviour``: ``answer`` replies at once;
    ``silent`` reads the request and never answers; ``drip`` sends the headers, then one
    body byte every ``drip_pause`` seconds, forever; ``flood`` sends an endless body as
    fast as it can; ``drip_head`` sends even the status line and headers one byte every
    ``drip_pause`` seconds; ``flood_head`` sends the status line, then header lines
    without end; ``smtp`` greets like a mail server instead (a relay URL pointing at an
    SMTP port). ``echo`` appends the request as received (target and headers, so any
    key it carried) to the body, as a hostile or careless server might.
    """

    status: int = 200
    cert: CertKind | None = CertKind.VALID
    behaviour: Behaviour = "answer"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    host: str = "127.0.0.1"
    drip_pause: float = 0.2
    echo: bool = False

    def __post_init__(self) -> None:
        if self.host not in _LOOPBACK:
            raise ValueError(f"test servers bind loopback only, not {self.host!r}")
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived: method, request target, headers (names lower-cased), body."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)


class HttpTestServer(ThreadedServer):
    """``with HttpTestServer(HttpSpec(status=404), pki) as server:`` then talk to
    ``server.host:server.port``; ``requests``, ``connections`` and ``server_names`` (SNI)
    say what reached it, recorded on the server thread before any reply is written."""

    _name = "HTTP test server"

    def __init__(self, spec: HttpSpec, pki: TestPKI) -> None:
        super().__init__()
        self.spec = spec
        self.pki = pki
        self.connections = 0
        self.requests: list[ReceivedRequest] = []
        self.server_names: list[str | None] = []  # the SNI of every TLS handshake

    @property
    def host(self) -> str:
        return self.spec.host

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    def start(self) -> HttpTestServer:
        context = self.pki.server_context(self.spec.cert) if self.spec.cert else None
        if context is not None:
            context.sni_callback = self._record_sni
        return self._launch(context, "http-test")

    def _record_sni(self, _obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.server_names.append(name)

    async def _serve(self, context: ssl.SSLContext | None) -> None:
        self._stopping = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        def track(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._connection(reader, writer))
            handlers.add(task)
            task.add_done_callback(handlers.discard)

        server = await asyncio.start_server(track, self.spec.host, 0, ssl=context, limit=_MAX_HEAD)
        self._listening(int(server.sockets[0].getsockname()[1]))
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(handlers):
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            if self.spec.behaviour == "smtp":
                writer.write(b"220 mail.emaildiag.test ESMTP\r\n")
                await writer.drain()
            request = await _read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            await self._reply(writer, request)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: that is its right
        finally:
            writer.transport.abort()

    async def _reply(self, writer: asyncio.StreamWriter, request: ReceivedRequest) -> None:
        spec = self.spec
        if spec.behaviour == "silent":
            await asyncio.Event().wait()  # until the client leaves or the server stops
        endless = spec.behaviour in ("drip", "flood")
        body = spec.body + (_echo(request) if spec.echo else b"")
        head = [f"HTTP/1.1 {spec.status} {_REASONS.get(spec.status, 'Status')}"]
        head += [f"{k}: {v}" for k, v in spec.headers.items()]
        if not endless:
            head.append(f"Content-Length: {len(body)}")
        head.append("Connection: close")
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if spec.behaviour == "drip_head":
            for byte in raw_head + body:  # far longer than any deadline
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(spec.drip_pause)
            return
        if spec.behaviour == "flood_head":
            writer.write(raw_head.split(b"\r\n", 1)[0] + b"\r\n")
            line = b"X-Flood: " + b"x" * 1000 + b"\r\n"
            while not writer.transport.is_closing():  # until the client leaves
                writer.write(line * 64)
                await writer.drain()
                await asyncio.sleep(0)
            return
        writer.write(raw_head)
        if not endless:
            writer.write(body)
            await writer.drain()
            return
        chunk, pause = (b"x", spec.drip_pause) if spec.behaviour == "drip" else (b"x" * 65536, 0.0)
        while True:  # ends when the client closes (OSError) or the server stops
            writer.write(chunk)
            await writer.drain()
            await asyncio.sleep(pause)


def _echo(request: ReceivedRequest) -> bytes:
    lines = [f"{request.method} {request.target}"] + [f"{k}: {v}" for k, v in request.headers]
    return ("\n" + "\n".join(lines)).encode("latin-1", "replace")


async def _read_request(reader: asyncio.StreamReader) -> ReceivedRequest | None:
    """Request line and headers (RFC 9112 §2.1), then a Content-Length body if any."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # connected (and maybe handshook) but sent no request
    lines = head.decode("latin-1").split("\r\n")
    method, target, *_ = [*lines[0].split(" "), "", ""]
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip().lower(), value.strip()))
    length = next((int(v) for k, v in headers if k == "content-length" and v.isdigit()), 0)
    body = await reader.readexactly(min(length, _MAX_HEAD)) if length else b""
    return ReceivedRequest(method, target, tuple(headers), body)
