"""Raw asyncio servers for the broken and hostile behaviour no real mail server offers.

``scripted_server(handler)`` runs ``handler(reader, writer)`` for each connection on
127.0.0.1 in the caller's event loop, optionally behind TLS, and on exit closes the
listener and ends every handler still running, so a test never leaks a task. Given a
:class:`Received`, it records every line the client sent and whether the connection
was encrypted at that moment, so a test can assert what the server was told.

``submission_script(...)`` is a configurable handler for it: a submission server that
behaves (greeting, EHLO before and after TLS, STARTTLS, AUTH, QUIT) except where a test
gives its own answer or :data:`Hook` for a verb. ``smtp_script(...)`` is its minimal
form, whose AUTH hook only sees the command line.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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


Hook = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]
"""Answers one command line (the third argument, CRLF kept); may read further lines
through the reader. Closing the writer ends the session."""
Reply = bytes | Hook
"""What a scripted server says to one command: fixed bytes, or a :data:`Hook`."""

AUTH_OK = b"235 2.7.0 Authentication successful\r\n"


async def _say(
    reply: Reply, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
) -> None:
    if isinstance(reply, bytes):
        writer.write(reply)
    else:
        await reply(reader, writer, line)


def submission_script(
    *,
    greeting: bytes = b"220 mail.emaildiag.test ESMTP\r\n",
    ehlo: bytes = b"250-mail.emaildiag.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n",
    ehlo_tls: bytes | None = None,
    starttls: ssl.SSLContext | None = None,
    on_auth: Hook | None = None,
    replies: Mapping[bytes, Reply] | None = None,
    other: Reply = b"250 2.0.0 OK\r\n",
) -> Handler:
    """A submission server that behaves unless told otherwise, one command line at a time.

    It sends ``greeting``, then answers EHLO and HELO with ``ehlo`` (``ehlo_tls`` once
    the connection is encrypted, when given); STARTTLS in the clear, when ``starttls`` is
    a server context, with ``220`` and the server side of the handshake; AUTH with
    ``on_auth(reader, writer, line)`` (``None``: 235 at once); QUIT with 221, closing
    the connection. ``replies[VERB]`` overrides any of these for that verb, and
    ``other`` answers every verb with no answer of its own. Serve it with
    :func:`scripted_server` (``tls=`` the context, for implicit TLS)."""

    async def answer_ehlo(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
    ) -> None:
        encrypted = writer.get_extra_info("ssl_object") is not None
        writer.write(ehlo_tls if encrypted and ehlo_tls is not None else ehlo)

    async def upgrade(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
    ) -> None:
        if starttls is None or writer.get_extra_info("ssl_object") is not None:
            await _say(other, reader, writer, line)
            return
        writer.write(b"220 2.0.0 Ready to start TLS\r\n")
        await writer.drain()
        await writer.start_tls(starttls)

    async def goodbye(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
    ) -> None:
        writer.write(b"221 2.0.0 Bye\r\n")
        await writer.drain()
        writer.close()

    table: dict[bytes, Reply] = {
        b"EHLO": answer_ehlo,
        b"HELO": answer_ehlo,
        b"STARTTLS": upgrade,
        b"AUTH": on_auth or AUTH_OK,
        b"QUIT": goodbye,
        **(replies or {}),
    }

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        while line := await reader.readline():
            verb = line.split(b" ")[0].split(b":")[0].strip().upper()
            await _say(table.get(verb, other), reader, writer, line)
            if writer.is_closing():
                return
            await writer.drain()

    return handler


def smtp_script(
    ehlo: bytes = b"250-x\r\n250 AUTH PLAIN LOGIN\r\n",
    on_auth: Callable[[bytes], Awaitable[bytes | None]] | None = None,
    replies: dict[bytes, bytes] | None = None,
) -> Handler:
    """A minimal SMTP server: a 220 greeting, ``ehlo`` for EHLO, ``on_auth(line)`` for
    AUTH (``None``: never answer), ``replies[VERB]`` for other verbs, else ``250 OK``;
    QUIT gets 221 and the connection stays open until the client closes it."""
    table: dict[bytes, Reply] = {b"HELO": b"250 OK\r\n", b"AUTH": b"250 OK\r\n"}
    table.update(replies or {})
    table.pop(b"EHLO", None)
    table[b"QUIT"] = b"221 bye\r\n"
    if on_auth is not None:
        answer = on_auth

        async def auth(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
        ) -> None:
            said = await answer(line)
            if said is None:
                await asyncio.sleep(3600)
            writer.write(said or b"")

        table[b"AUTH"] = auth
    return submission_script(
        greeting=b"220 x ESMTP\r\n", ehlo=ehlo, replies=table, other=b"250 OK\r\n"
    )
