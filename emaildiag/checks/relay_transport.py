"""httpx over a connection the relay check opened and secured itself.

The check resolves, connects and does the TLS handshake on its own (SPEC §2.9), so
that each phase fails with its own reason; httpx then only speaks HTTP/1.1 over that
very connection, and reads at most a capped part of the answer (§2.4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import typing
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterator

import httpcore
import httpx

# httpx logs every request's URL (a relay key in its query) at INFO; httpcore logs the
# raw response headers (a server may echo the key in a Location) at DEBUG.
_LIBRARY_LOGGERS = ("httpx", "httpcore.http11", "httpcore.connection")


class _RedactRecords(logging.Filter):
    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record that cannot be formatted: left alone
            return True
        clean = self._redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


@contextlib.contextmanager
def library_logs_redacted(redact: Callable[[str], str]) -> Iterator[None]:
    """While the relay is probed, the HTTP libraries' own log records pass ``redact``
    before any handler sees them: secrets leave through logs too (§5)."""
    loggers = [logging.getLogger(name) for name in _LIBRARY_LOGGERS]
    guard = _RedactRecords(redact)
    for logger in loggers:
        logger.addFilter(guard)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(guard)


class OpenedStream(httpcore.AsyncNetworkStream):
    """httpcore's view of a connection emaildiag opened (and secured) itself."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        async with asyncio.timeout(timeout):
            return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        async with asyncio.timeout(timeout):
            self._writer.write(buffer)
            await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.transport.abort()  # the probe is over: no close_notify to wait for

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RuntimeError("the relay connection is secured before httpx gets it")

    def get_extra_info(self, info: str) -> object:
        return self._writer.get_extra_info(info)


class OneConnectionTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one connection that is already open: the request keeps
    the URL's host (Host header, and the SNI already sent) while the socket goes to the
    address emaildiag resolved. The mapping mirrors ``httpx.AsyncHTTPTransport``."""

    def __init__(self, origin: httpcore.Origin, stream: OpenedStream) -> None:
        self._connection = httpcore.AsyncHTTP11Connection(origin, stream)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        answer = await self._connection.handle_async_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                content=request.stream,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        await self._connection.aclose()


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: object) -> None:
        assert isinstance(stream, AsyncIterable)
        self._stream: AsyncIterable[bytes] = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body, and whether there was more: an endless
    answer must not fill memory."""
    kept = bytearray()
    cut = False
    raw = typing.cast(AsyncGenerator[bytes, None], response.aiter_raw())  # it is one
    async with contextlib.aclosing(raw) as chunks:
        async for chunk in chunks:
            room = limit - len(kept)
            kept += chunk[:room]
            if len(chunk) > room:
                cut = True
                break
    return bytes(kept), cut
