"""Raw asyncio servers for the broken and hostile behaviour no real mail server offers.

``scripted_server(handler)`` runs ``handler(reader, writer)`` for each connection on
127.0.0.1 in the caller's event loop, optionally behind TLS, and on exit closes the
listener and ends every handler still running, so a test never leaks a task.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def scripted_server(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """Yields the port."""
    tasks: set[asyncio.Task[object]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)
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
