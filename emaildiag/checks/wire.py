"""A bounded SMTP client channel over asyncio streams, with a redacted transcript.

emaildiag speaks SMTP itself instead of letting a client library drive: a diagnosis
needs the raw facts a library hides (whether any byte arrived, what the server sent
instead of a greeting, data buffered after the STARTTLS reply), and it must decide
itself when credentials may be sent. Every read is capped in line length, line
count and total size (RFC 5321 §4.5.3.1.5 allows 512-octet reply lines; the caps
are generous multiples) and runs under the caller's deadline.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass

from emaildiag.model import TranscriptLine
from emaildiag.redact import REDACTED, Redactor, printable

MAX_LINE = 4096
MAX_LINES = 100
MAX_REPLY = 64 * 1024

# RFC 5321 §4.2: the code, then "-" (more lines follow), a space and text, or nothing.
# A bare LF ending is accepted as many clients do; the text must not hold control
# characters (§4.2 textstring: HT and printable), so NUL or a terminal escape is a
# violation, while 8-bit bytes (Latin-1 banners on working servers) are shown escaped.
_REPLY_LINE = re.compile(rb"^([2-5][0-9][0-9])(?:([ -])(.*?))?\r?\n$", re.S)
_REPLY_CODE = re.compile(rb"^[2-5][0-9][0-9]")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")
# How split lines may spell a secret again: run together, joined by a space as
# Reply.text joins them, or around a line break that was part of the secret.
_REJOINED = ("", " ", "\n", "\r\n")
_SPAN_SEARCH = 16  # reply lines searched for the exact run that spells a secret
# ... and characters: the search tries every run of lines, so its cost grows with the
# square of the lines times their length (a 64 KiB reply took half a second per pass)
_SPAN_CHARS = 2048


class ProtocolError(Exception):
    """The peer broke SMTP framing: malformed, oversized, endless or out-of-sequence."""

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class InjectionError(ProtocolError):
    """Bytes arrived after the STARTTLS reply, before the handshake (CVE-2011-0411 class)."""


class NoDataError(TimeoutError):
    """Nothing at all arrived before the deadline (a TLS-first port waits for us)."""


class IncompleteGreetingError(TimeoutError):
    """Part of the greeting arrived, the rest not before the deadline (a tarpit, or a
    server trickling bytes)."""


@dataclass(frozen=True)
class Reply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code of the first line, if any."""
        m = _ENHANCED.match(self.lines[0]) if self.lines else None
        return m.group(1) if m else None

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


class Transcript:
    """Collects every line of every conversation, redacted and escaped on entry."""

    def __init__(self, redactor: Redactor) -> None:
        self.redact = redactor
        self._t0 = time.monotonic()
        self._lines: list[TranscriptLine] = []

    def add(self, port: int, address: str, direction: str, text: str) -> None:
        shown = printable(self.redact(text), limit=1000)
        t_ms = round((time.monotonic() - self._t0) * 1000, 1)
        self._lines.append(TranscriptLine(t_ms, port, address, direction, shown))  # type: ignore[arg-type]

    def redact_lines(self, lines: list[str], texts: list[str] | None = None) -> list[str]:
        """Redact each line, and every line of a reply whose ``texts`` (each line after
        its reply code; the lines themselves by default) only together spell a secret.

        A server may split an echo anywhere, even inside a UTF-8 character: lines decoded
        with ``surrogateescape`` are checked rejoined as bytes, and come back with U+FFFD
        in place of the bytes that are not UTF-8."""
        hidden = self._spanning(lines if texts is None else texts)
        return [
            REDACTED if k in hidden else self.redact(_utf8_text(line))
            for k, line in enumerate(lines)
        ]

    def _spanning(self, parts: list[str]) -> set[int]:
        """The lines that spell a secret only together with their neighbours: each
        shortest run of lines that does, so the lines around it keep their words. A
        reply longer than ``_SPAN_SEARCH`` lines or ``_SPAN_CHARS`` characters that does
        is hidden whole."""
        # Postfix-style replies repeat the enhanced code on every line: "535-5.7.8 <half>"
        bare = [_ENHANCED.sub("", part, count=1).lstrip() for part in parts]

        def spells(lo: int, hi: int, known: set[int]) -> bool:
            for source in (parts, bare):
                pieces = [REDACTED if k in known else source[k] for k in range(lo, hi)]
                shown = [_utf8_text(p) for p in pieces]
                if any(self.redact.spans(_utf8_text(sep.join(pieces)), shown) for sep in _REJOINED):
                    return True
            return False

        n = len(parts)
        if n < 2 or not spells(0, n, set()):
            return set()
        if n > _SPAN_SEARCH or sum(len(part) for part in parts) > _SPAN_CHARS:
            return set(range(n))
        runs: list[range] = []
        for width in range(2, n + 1):
            for lo in range(n - width + 1):
                inside = {k for r in runs if lo <= r.start and r.stop <= lo + width for k in r}
                if spells(lo, lo + width, inside):
                    runs.append(range(lo, lo + width))
        return {k for r in runs for k in r}

    @property
    def lines(self) -> tuple[TranscriptLine, ...]:
        return tuple(self._lines)


class Channel:
    """One TCP connection to one address and port, spoken to line by line."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        port: int,
        address: str,
        transcript: Transcript,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.port = port
        self.address = address
        self.transcript = transcript
        self.bytes_read = 0

    @classmethod
    async def open(
        cls,
        address: str,
        port: int,
        *,
        transcript: Transcript,
        timeout: float,
        dial_port: int | None = None,
    ) -> Channel:
        """Connect to ``address``; ``port`` names the service, ``dial_port`` (when the
        service listens elsewhere, as in tests and the demo) is where the SYN goes."""
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                address, dial_port or port, limit=MAX_LINE
            )
        return cls(reader, writer, port=port, address=address, transcript=transcript)

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        obj = self.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def read_greeting(self, timeout: float) -> Reply:
        """Read the 220 banner; ``NoDataError`` when not a single byte arrived."""
        try:
            return await self.read_reply(timeout)
        except TimeoutError:
            if self.bytes_read == 0 and not self._buffered():
                raise NoDataError("no data from the server") from None
            raise IncompleteGreetingError("greeting incomplete at the time limit") from None

    def _buffered(self) -> int:
        # Python's StreamReader exposes no public view of its buffer, and the STARTTLS
        # injection check needs to know whether plaintext is already waiting there.
        return len(self.reader._buffer)  # type: ignore[attr-defined]

    async def read_reply(self, timeout: float) -> Reply:
        """Read one (possibly multi-line) reply within ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            return await self._read_reply()

    async def _read_reply(self) -> Reply:
        raws: list[bytes] = []
        try:
            return await self._collect_reply(raws)
        finally:
            self._record(raws)

    async def _collect_reply(self, raws: list[bytes]) -> Reply:
        code: bytes | None = None
        total = 0
        texts: list[str] = []
        while True:
            raw = await self._read_line(raws)
            total += len(raw)
            if total > MAX_REPLY or len(raws) > MAX_LINES:
                raise ProtocolError("reply too long", raw[:200])
            m = _REPLY_LINE.match(raw)
            if not m and not raws[:-1] and not _REPLY_CODE.match(raw):
                raise ProtocolError("malformed reply", raw[:200])  # no SMTP reply at all
            text = (m.group(3) or b"") if m else b""
            if not m or (code is not None and m.group(1) != code) or _CONTROL.search(text):
                raise ProtocolError(f"malformed reply (line {len(raws)})", raw[:200])
            code = m.group(1)
            texts.append(text.decode("utf-8", "surrogateescape"))
            if m.group(2) != b"-":
                return Reply(int(code), tuple(self.transcript.redact_lines(texts)))

    def _record(self, raws: list[bytes]) -> None:
        """Every line read goes to the transcript, redacted as one reply (a server may
        split an echoed secret across continuation lines)."""
        lines = [r.decode("utf-8", "surrogateescape").rstrip("\r\n") for r in raws]
        texts = [_text_of(r).decode("utf-8", "surrogateescape") for r in raws]
        for line in self.transcript.redact_lines(lines, texts):
            self.transcript.add(self.port, self.address, "S", line)

    async def _read_line(self, raws: list[bytes]) -> bytes:
        try:
            raw = await self.reader.readuntil(b"\n")
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError("reply line too long") from exc
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raws.append(exc.partial)
                raise ProtocolError("connection closed mid-line", exc.partial[:200]) from exc
            raise ConnectionResetError("the server closed the connection") from exc
        self.bytes_read += len(raw)
        raws.append(raw)
        return raw

    async def send(self, line: str, *, shown: str | None = None) -> None:
        """Write one command line. ``shown`` replaces it in the transcript (AUTH lines)."""
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in line):
            raise ValueError("control character in an SMTP command")
        self.transcript.add(self.port, self.address, "C", shown if shown is not None else line)
        self.writer.write(line.encode("utf-8") + b"\r\n")
        await self.writer.drain()

    async def command(self, line: str, timeout: float, *, shown: str | None = None) -> Reply:
        """Send one command and read its reply. Data already waiting is a reply nobody
        asked for (sent while idle, or one too many for the last command): pairing it
        with this command would shift every later reply by one, so the session stops.
        Pipelined commands (RFC 2920) use :meth:`send` and :meth:`read_reply`."""
        if self._buffered():
            stale = bytes(self.reader._buffer[:200])  # type: ignore[attr-defined]
            self._record([stale])
            raise ProtocolError("protocol desync: unexpected data from the server", stale)
        async with asyncio.timeout(timeout):
            await self.send(line, shown=shown)
            return await self._read_reply()

    async def starttls(self, context: ssl.SSLContext, server_hostname: str, timeout: float) -> None:
        """Upgrade to TLS. Refuses if plaintext is already buffered (injection)."""
        if self._buffered():
            waiting = bytes(self.reader._buffer[:200])  # type: ignore[attr-defined]
            raise InjectionError("data after the STARTTLS reply", waiting)
        await self.start_tls(context, server_hostname, timeout)

    async def start_tls(
        self, context: ssl.SSLContext, server_hostname: str, timeout: float
    ) -> None:
        async with asyncio.timeout(timeout):
            await self.writer.start_tls(context, server_hostname=server_hostname or None)

    async def close(self) -> None:
        """Say QUIT and close, without waiting for the 221: the server ends the session
        on QUIT either way (RFC 5321 §4.1.1.10), and a round trip spent waiting for its
        goodbye is time the person waits too.

        Cancelled mid-way (a deadline), it aborts at once: closing must never be what
        makes a run overshoot its time limit."""
        try:
            if not self.writer.is_closing():
                await self.send("QUIT")
        except (OSError, ssl.SSLError, ValueError):
            pass
        except BaseException:
            self.abort()
            raise
        self.writer.close()

    def abort(self) -> None:
        """Drop the connection now: no QUIT, no TLS close_notify, no waiting."""
        self.writer.transport.abort()


def _text_of(raw: bytes) -> bytes:
    """A reply line without its ending and reply code: where a split echo continues."""
    line = raw.rstrip(b"\r\n")
    if _REPLY_CODE.match(line):
        line = line[4:] if line[3:4] in (b" ", b"-") else line[3:]
    return line


def _utf8_text(text: str) -> str:
    """``text`` decoded with ``surrogateescape``, as ``errors="replace"`` would have it."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "replace").decode("utf-8")


def parse_ehlo(reply: Reply) -> tuple[str, ...]:
    """EHLO keywords with their parameters, first line (the server's name) dropped.
    Blanks around and between them are one space each (``250-  AUTH\tPLAIN  LOGIN``
    still offers AUTH PLAIN and LOGIN)."""
    return tuple(printable(" ".join(line.split()), 200) for line in reply.lines[1:])


def auth_mechanisms(ehlo: tuple[str, ...]) -> tuple[str, ...]:
    """Mechanisms from ``AUTH`` (RFC 4954) and the old ``AUTH=`` form."""
    mechs: list[str] = []
    for line in ehlo:
        head, _, rest = line.replace("=", " ", 1).partition(" ")
        if head.upper() == "AUTH":
            mechs.extend(m.upper() for m in rest.split() if m.upper() not in mechs)
    return tuple(mechs)


def has_extension(ehlo: tuple[str, ...], name: str) -> bool:
    return any(line.split(" ", 1)[0].upper() == name for line in ehlo)
