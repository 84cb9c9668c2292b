"""Raw asyncio servers for the broken and hostile behaviour no real mail server offers.

``scripted_server(handler)`` runs ``handler(reader, writer)`` for each connection on
127.0.0.1 in the caller's event loop, optionally behind TLS, and on exit closes the
listener and ends every handler still running, so a test never leaks a task. Given a
:class:`Received`, it records every line the client sent and whether the connection
was encrypted at that moment, so a test can assert what the server was told.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Received:
    """What clients sent: ``(over_tls, bytes)`` per read, in order, and how many
    connections were accepted."""

    chunks: list[tuple[bool, bytes]] = field(default_factory=list)
    connections: int = 0

    def lines(self, *, over_tls: bool | None = None) -> list[bytes]:
        """The client's lines (CRLF kept), optionally only those sent in the clear
        (``over_tls=False``) or encrypted (``True``)."""
        out: list[bytes] = []
        for tls, chunk in self.chunks:
            if over_tls is None or tls == over_tls:
                out.extend(chunk.splitlines(keepends=True))
        return out


class _RecordingReader:
    """A StreamReader stand-in that notes everything read through it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, received: Received
    ) -> None:
        self._reader, self._writer, self._received = reader, writer, received

    def _note(self, data: bytes) -> bytes:
        if data:
            tls = self._writer.get_extra_info("ssl_object") is not None
            self._received.chunks.append((tls, data))
        return data

    async def readline(self) -> bytes:
        return self._note(await self._reader.readline())

    async def read(self, n: int = -1) -> bytes:
        return self._note(await self._reader.read(n))

    async def readexactly(self, n: int) -> bytes:
        return self._note(await self._reader.readexactly(n))

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        return self._note(await self._reader.readuntil(separator))

    def at_eof(self) -> bool:
        return self._reader.at_eof()


@asynccontextmanager
async def scripted_server(
    handler: Handler, tls: ssl.SSLContext | None = None, received: Received | None = None
) -> AsyncIterator[int]:
    """Yields the port."""
    tasks: set[asyncio.Task[object]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)
        if received is not None:
            received.connections += 1
            reader = _RecordingReader(reader, writer, received)  # type: ignore[assignment]
        try:
            await handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError, asyncio.CancelledError):
            pass  # a client that went away, or the test ending: the handler ends quietly
        finally:
            writer.close()

    server = await asyncio.start_server(tracked, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def smtp_script(
    ehlo: bytes = b"250-x\r\n250 AUTH PLAIN LOGIN\r\n",
    on_auth: Callable[[bytes], Awaitable[bytes | None]] | None = None,
    replies: dict[bytes, bytes] | None = None,
) -> Handler:
    """A minimal SMTP server: a 220 greeting, ``ehlo`` for EHLO, ``on_auth(line)`` for
    AUTH (``None``: never answer), ``replies[VERB]`` for other verbs, else ``250 OK``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            verb = line.split(b" ")[0].split(b":")[0].strip().upper()
            if verb == b"EHLO":
                writer.write(ehlo)
            elif verb == b"AUTH" and on_auth is not None:
                answer = await on_auth(line)
                if answer is None:
                    await asyncio.sleep(3600)
                writer.write(answer or b"")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
            else:
                writer.write((replies or {}).get(verb, b"250 OK\r\n"))
            await writer.drain()

    return handler
