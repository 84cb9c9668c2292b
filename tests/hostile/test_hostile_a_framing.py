"""Fault catalogue §8 A (faults-and-security.md): plain TCP, banner and reply framing.

Each scenario runs the whole engine through ``hostile()`` against a fake on loopback,
so the §0 invariants (deadline, memory cap, no crash, no secret anywhere, no AUTH on
the wire, sockets closed) hold on every run; the tests then assert what the catalogue
says must, and must never, be reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
from harness import HOST, USER, Outcome, hostile, hostile_fake

from emaildiag.checks._errors import INCOMPLETE_GREETING, TEMPORARY
from emaildiag.checks.dns import StaticResolver
from emaildiag.model import Severity
from emaildiag.runner import _limits
from emaildiag.testing import CertKind, ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.blackhole import BlackholePort
from emaildiag.testing.scripted import Handler, Received, smtp_script

TIMEOUT = 4.0
LIMITS = _limits(TIMEOUT)
STARTTLS_EHLO = b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
FLOOD = 12 * 1024 * 1024  # what a flooding fake offers, bytes (the catalogue asks >= 10 MB)
CHUNK = 64 * 1024


# --- helpers -------------------------------------------------------------------------------------


async def run(
    canary: str,
    handler: Handler,
    *,
    port: int = 587,
    tls: ssl.SSLContext | None = None,
    timeout: float = TIMEOUT,
    **options: Any,
) -> tuple[Outcome, Received]:
    """Diagnose ``port`` served by ``handler`` (behind ``tls``, when given), checking
    the wire again once the fake has read what the client sent last."""
    return await hostile_fake(
        handler, {"port": port}, password=canary, tls=tls, settle=0.1, timeout=timeout, **options
    )


def ehlo_script(greeting: bytes, ehlo: bytes, other: bytes = b"250 OK\r\n") -> Handler:
    """Greets with ``greeting``, answers every EHLO with ``ehlo`` and any other line with
    ``other``; never closes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        while line := await reader.readline():
            writer.write(ehlo if line.upper().startswith(b"EHLO") else other)
            await writer.drain()

    return handler


def commands(rec: Received) -> list[bytes]:
    """The verbs the client sent, upper-cased."""
    return [line.split(b" ")[0].strip().upper() for line in rec.lines()]


def assert_no_garbage_capabilities(out: Outcome, port: int = 587) -> None:
    for p in out.report.probes:
        if p.port == port:
            assert p.ehlo == () and p.ehlo_tls == (), p


def assert_escaped(out: Outcome) -> None:
    """No raw control character reaches any rendering of the report."""
    rendered = {
        "json": json.loads(out.report.to_json()),
        "text": out.report.to_text(),
        "html": out.report.to_html(),
    }
    for name, value in rendered.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for bad in ("\x1b", "\x00", "\x07", "\x9b"):
            assert bad not in text, f"{bad!r} in the {name} rendering"


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed: connects are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def blackhole_at(host: str, port: int, fill: int = 8) -> Iterator[int]:
    """A SYN blackhole on ``host:port`` (BlackholePort picks its own port; the dual-stack
    scenario needs the IPv4 server's port number on ::1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind((host, port))
        listener.listen(0)
        for _ in range(fill):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect((host, port))
            fillers.append(s)
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def flood(writer: asyncio.StreamWriter, chunk: bytes, sent: list[int]) -> None:
    """Offer ``FLOOD`` bytes in ``chunk``-sized writes, each drained, so the fake holds one
    chunk at a time; ends when the client goes away. ``sent`` counts what was accepted."""
    while sent[0] < FLOOD:
        writer.write(chunk)
        await writer.drain()
        sent[0] += len(chunk)


# --- A1 ------------------------------------------------------------------------------------------


async def test_s01_silent_after_accept(canary: str) -> None:
    """The fake accepts the TCP connection and never sends a byte."""
    heard: list[bytearray] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got = bytearray()
        heard.append(got)
        while data := await reader.read(4096):
            got += data

    out, rec = await run(canary, silent, timeout=3.0)
    f = out.finding("port.no_greeting")
    assert f.port == 587 and f.severity is Severity.ERROR
    assert out.probe(587).problem == "port.no_greeting"
    assert "greeting" in (f.detail or "") and f.detail != INCOMPLETE_GREETING
    assert "SSL/TLS" in (f.fix or "")  # the hint: the port may expect implicit TLS
    # Nothing was said on a plaintext connection before a 220: no EHLO, not a byte.
    assert rec.connections >= 1
    assert all(not bytes(b) or b.startswith(b"\x16\x03") for b in heard), heard
    assert b"EHLO" not in commands(rec) and b"HELO" not in commands(rec)
    assert sum(1 for b in heard if not b) >= 1
    assert not out.findings("tls.plain_on_implicit_port")
    assert out.elapsed <= 3.0


# --- A2 ------------------------------------------------------------------------------------------


async def test_s02_drip_feed_banner(canary: str) -> None:
    """The fake sends ``220-`` and then one more byte every 0.5 s, never ending the line."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220-")
        while True:
            await writer.drain()
            await asyncio.sleep(0.5)
            writer.write(b"x")

    out, rec = await run(canary, drip)
    f = out.finding("port.no_greeting")
    assert f.port == 587
    assert f.detail == INCOMPLETE_GREETING, f.detail
    assert out.probe(587).greeting is None
    assert b"EHLO" not in commands(rec)
    # the greeting budget, not a per-read timeout restarted by every byte, ended the wait
    # and no TLS re-probe: the port spoke plain text
    assert out.elapsed <= LIMITS.greeting + 0.5
    assert rec.connections <= 2


# --- A3 ------------------------------------------------------------------------------------------


def _flooder(kind: str, sent: list[int]) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if kind == "lines":
            line = b"220-" + b"x" * 70 + b"\r\n"
            await flood(writer, line * (CHUNK // len(line)), sent)
        elif kind == "one_line":
            writer.write(b"220 ")
            await flood(writer, b"y" * CHUNK, sent)
        else:
            await flood(writer, b"220-a\r\n" * (CHUNK // 7), sent)  # 100,000+ tiny lines
        await asyncio.sleep(30)

    return handler


@pytest.mark.parametrize("kind", ["lines", "one_line", "tiny_lines"])
async def test_s03_reply_flood(canary: str, kind: str) -> None:
    """The fake floods: (a) endless ``220-xxx`` lines, (b) one line of 12 MB without CRLF,
    (c) over 100,000 tiny continuation lines; 12 MB offered in 64 KiB writes."""
    sent = [0]
    out, rec = await run(canary, _flooder(kind, sent))
    f = out.finding("smtp.protocol_error")
    assert f.port == 587
    assert "too long" in (f.detail or ""), f.detail
    assert out.probe(587).greeting is None
    assert_no_garbage_capabilities(out)
    assert b"EHLO" not in commands(rec)
    # the client hung up long before taking what was offered
    assert sent[0] < FLOOD
    assert out.elapsed < 2.0


# --- A4 ------------------------------------------------------------------------------------------


async def test_s04_refused_vs_filtered(canary: str) -> None:
    """Port 587 leads to a closed port (RST); port 25 to a SYN blackhole (full backlog)."""
    closed = free_port()
    with BlackholePort() as hole:
        out = await hostile(password=canary, port_map={587: closed, 25: hole}, timeout=TIMEOUT)
    assert out.probe(587).state == "refused"
    assert out.probe(25).state == "filtered"
    refused = out.finding("port.refused")
    filtered = out.finding("port.filtered")
    assert refused.port == 587 and refused.severity is Severity.ERROR
    assert filtered.port == 25
    assert not out.findings("port.filtered", 587) and not out.findings("port.refused", 25)
    assert "time" not in (refused.detail or "").lower()
    assert refused.title != filtered.title
    # the blackhole costs one connect budget, no retries
    assert out.elapsed <= LIMITS.connect + 0.6


# --- A5 ------------------------------------------------------------------------------------------


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no ::1 on this host")
async def test_s05_ipv6_blackhole_ipv4_works(pki: TestPKI, canary: str) -> None:
    """The name has AAAA ::1 (SYN-blackholed) and A 127.0.0.1 (a working server) on the
    same port."""
    dns = StaticResolver({(HOST, "A"): ["127.0.0.1"], (HOST, "AAAA"): ["::1"]})
    with (
        SmtpTestServer(ServerSpec(users={USER: canary}), pki) as srv,
        blackhole_at("::1", srv.port),
    ):
        out = await hostile(
            password=canary,
            port_map={587: srv.port},
            pki=pki,
            resolver=dns,
            auth_log=srv.auth_log,
            tls_accepted=True,
            timeout=TIMEOUT,
        )
    assert out.report.auth.result == "ok"
    assert "auth.ok" in out.codes
    warn = out.finding("port.ipv6_broken")
    assert warn.severity is Severity.WARNING and warn.port == 587
    v6 = next(p for p in out.report.probes if p.family == "ipv6")
    v4 = next(p for p in out.report.probes if p.family == "ipv4")
    assert v6.state == "filtered" and v4.state == "open"
    # the failing family is a warning, not the verdict
    assert not [f for f in out.report.findings if f.severity is Severity.ERROR]
    assert not out.findings("port.filtered") and not out.findings("port.unreachable")
    assert out.report.verdict != "error"
    assert out.elapsed <= LIMITS.connect + 1.0  # one connect budget, not the whole run
    assert len(srv.auth_log) == 1


# --- A6 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("greeting", "code"),
    [
        (b"554 5.7.1 No SMTP service here\r\n", "554"),
        (b"421 4.3.2 too busy\r\n", "421"),
        (b"554-5.7.1 No SMTP service here\r\n554-5.7.1 blocked\r\n554 5.7.1 go away\r\n", "554"),
    ],
    ids=["554", "421", "554-multiline"],
)
async def test_s06_rejecting_greeting(canary: str, greeting: bytes, code: str) -> None:
    """The fake greets with a refusal (554, 421, or a multi-line 554) and stays open."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting)
        await writer.drain()
        while await reader.read(4096):
            pass

    out, rec = await run(canary, refuse)
    f = out.finding("smtp.greeting_rejected")
    assert f.port == 587 and f.severity is Severity.ERROR
    assert f.params["code"] == code and code in f.title
    assert "\x1b" not in (f.detail or "")
    if code == "421":  # temporary: the evidence says so, and the fix says try later
        assert (f.detail or "").startswith(f"{TEMPORARY}: 421 4.3.2 too busy"), f.detail
        assert "later" in (f.fix or "")
    else:
        assert (f.detail or "").startswith("554 5.7.1 No SMTP service here"), f.detail
    assert not out.findings("port.no_greeting") and not out.findings("smtp.protocol_error")
    # no EHLO, nothing at all after the refusal; one connection per probe/sign-in attempt
    assert commands(rec) == []
    assert 1 <= rec.connections <= 2
    assert_escaped(out)


# --- A7 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["rst", "eof"])
async def test_s07_drop_mid_reply(canary: str, how: str) -> None:
    """Greeting fine; EHLO gets ``250-first`` and then an RST (or a clean EOF)."""

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 mail.emaildiag.test ESMTP\r\n")
        await writer.drain()
        await reader.readline()
        writer.write(b"250-first\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        if how == "rst":
            reset(writer)
        else:
            writer.close()

    out, _ = await run(canary, drop)
    f = out.finding("smtp.protocol_error")
    assert f.port == 587
    assert "closed" in (f.detail or "") and "ehlo" in (f.detail or "").lower(), f.detail
    assert not [c for c in out.codes if c.startswith("auth.") and c != "auth.skipped_insecure"]
    assert out.report.auth.result == "skipped"
    for raw in ("ConnectionResetError", "Connection reset by peer", "Errno"):
        assert raw not in out.outputs
    assert_no_garbage_capabilities(out)


# --- A8 ------------------------------------------------------------------------------------------

_GREET = b"220 mail.emaildiag.test ESMTP\r\n"

MALFORMED = {  # case: (greeting, EHLO reply, the line that breaks the reply)
    "blank_line": (_GREET, b"250-mail.emaildiag.test\r\n\r\n250 AUTH PLAIN LOGIN\r\n", 2),
    "no_code": (_GREET, b"250-mail.emaildiag.test\r\nhello\r\n250 AUTH PLAIN LOGIN\r\n", 2),
    "2500": (_GREET, b"2500 AUTH PLAIN LOGIN\r\n", 1),
    "mixed_codes": (_GREET, b"250-mail.emaildiag.test\r\n250-AUTH PLAIN\r\n550 STARTTLS\r\n", 3),
    "nul": (_GREET, b"250-mail.emaildiag.test\r\n250-AUTH\x00PLAIN\r\n250 STARTTLS\r\n", 2),
    "ansi_banner": (b"220 \x1b[2J\x1b[31mmail\x1b]0;pwned\x07 ESMTP\r\n", STARTTLS_EHLO, 1),
    "nul_banner": (b"220 mail\x00.emaildiag.test ESMTP\r\n", STARTTLS_EHLO, 1),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_s08_malformed_replies(canary: str, case: str) -> None:
    """The fake breaks reply framing: a blank line inside a multi-line reply, a line
    without a code, ``2500 ok``, mixed codes, NUL bytes, ANSI escapes in the banner."""
    greeting, ehlo, line_no = MALFORMED[case]
    out, rec = await run(canary, ehlo_script(greeting, ehlo))
    f = out.finding("smtp.protocol_error")
    assert f.port == 587
    assert f.detail == f"malformed reply (line {line_no})", f.detail
    assert not out.findings("tls.starttls_missing") and not out.findings("smtp.auth_before_tls")
    assert b"STARTTLS" not in commands(rec)
    assert_no_garbage_capabilities(out)
    assert_escaped(out)
    if case == "ansi_banner":  # the evidence is kept, escaped
        assert any("\\x1b[31mmail" in t.text for t in out.report.transcript)


async def test_s08_invalid_utf8_banner_is_shown_escaped(canary: str) -> None:
    """The fake's banner is Latin-1, not UTF-8 (``\\xe8``), and then holds no STARTTLS.

    8-bit banners exist on working servers, so the reply is accepted (not a protocol
    error) and the byte shown escaped."""
    banner = b"220 Servizio attivo \xe8 \xff\xfe pronto\r\n"
    ehlo = b"250-mail.emaildiag.test\r\n250 AUTH PLAIN LOGIN\r\n"
    out, _ = await run(canary, ehlo_script(banner, ehlo))
    assert "tls.starttls_missing" in out.codes
    assert "smtp.protocol_error" not in out.codes and "port.not_smtp" not in out.codes
    greeting = out.probe(587).greeting or ""
    assert greeting.startswith("220 Servizio attivo") and "pronto" in greeting
    assert "\xe8" not in greeting  # not decoded as Latin-1 silently: replaced
    assert_escaped(out)


async def test_s08_bare_lf_is_tolerated(canary: str) -> None:
    """The fake ends every reply line with a bare LF instead of CRLF.

    RFC 5321 §2.3.8 asks for CRLF, but a client may accept LF (Postel; smtplib and
    aiosmtplib do), so the replies parse normally and the real problem is named: here
    the EHLO reply lacks STARTTLS."""
    ehlo = b"250-mail.emaildiag.test\n250-SIZE 1000\n250 AUTH PLAIN LOGIN\n"
    out, rec = await run(canary, ehlo_script(b"220 mail.emaildiag.test ESMTP\n", ehlo, b"250 OK\n"))
    assert out.probe(587).ehlo == ("SIZE 1000", "AUTH PLAIN LOGIN")
    assert {"tls.starttls_missing", "smtp.auth_before_tls"} <= out.codes
    assert "smtp.protocol_error" not in out.codes
    assert b"AUTH" not in commands(rec)


# --- A9 ------------------------------------------------------------------------------------------


def _desync(where: str, pki: TestPKI) -> Handler:
    """A STARTTLS server that sends one reply too many: right after the greeting
    (``idle``), after the plaintext EHLO (``ehlo``) or after the EHLO inside TLS
    (``ehlo_tls``)."""
    context = pki.server_context(CertKind.VALID)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"220 mail.emaildiag.test ESMTP\r\n" + (b"250 extra\r\n" if where == "idle" else b"")
        )
        tls = False
        while line := await reader.readline():
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                extra = where == ("ehlo_tls" if tls else "ehlo")
                writer.write(STARTTLS_EHLO + (b"250 OK extra\r\n" if extra else b""))
            elif verb == b"STARTTLS" and not tls:
                writer.write(b"220 go ahead\r\n")
                await writer.drain()
                await writer.start_tls(context)
                tls = True
                continue
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()

    return handler


@pytest.mark.parametrize("where", ["idle", "ehlo", "ehlo_tls"])
async def test_s09_unsolicited_and_extra_replies(pki: TestPKI, canary: str, where: str) -> None:
    """The fake sends ``250 extra`` while the client is idle, or two replies to one EHLO
    (before or inside TLS)."""
    out, rec = await run(canary, _desync(where, pki), pki=pki)
    f = out.finding("smtp.protocol_error")
    assert f.port == 587
    assert "desync" in (f.detail or ""), f.detail
    sent = commands(rec)
    assert b"AUTH" not in sent
    if where != "ehlo_tls":
        assert b"STARTTLS" not in sent  # the stale reply was never paired with a command
    assert out.report.auth.result != "ok"
    assert "auth.ok" not in out.codes


# --- A10 / A11 -----------------------------------------------------------------------------------


async def test_s10_implicit_tls_client_on_plaintext_port(pki: TestPKI, canary: str) -> None:
    """Port 465 (implicit TLS) leads to a plaintext server that greets ``220 … ESMTP``
    and offers STARTTLS."""
    out, rec = await run(canary, smtp_script(ehlo=STARTTLS_EHLO), port=465, pki=pki)
    f = out.finding("tls.implicit_on_starttls_port")
    assert f.port == 465 and f.severity is Severity.ERROR
    assert not [c for c in out.codes if c.startswith("tls.cert")]
    assert "tls.handshake_failed" not in out.codes
    assert b"AUTH" not in commands(rec)


async def test_s11_plaintext_client_on_implicit_tls_port(pki: TestPKI, canary: str) -> None:
    """Port 587 (STARTTLS) leads to an implicit-TLS server: it waits silently for a
    ClientHello and greets only inside TLS."""
    ctx = pki.server_context(CertKind.VALID)
    t0 = time.monotonic()
    out, rec = await run(canary, smtp_script(), tls=ctx, pki=pki, timeout=3.0)
    f = out.finding("tls.plain_on_implicit_port")
    assert f.port == 587 and f.severity is Severity.ERROR
    for down in ("port.refused", "port.filtered", "port.no_greeting", "port.unreachable"):
        assert down not in out.codes
    assert b"AUTH" not in commands(rec)
    assert out.report.auth.result != "ok"
    assert b"EHLO" in commands(rec)  # the TLS re-probe spoke SMTP, without credentials
    limits = _limits(3.0)
    assert out.elapsed <= limits.greeting + limits.handshake + 0.5
    assert time.monotonic() - t0 < 3.0 + 1
