"""Fault catalogue §8 B (scenarios 12–18): STARTTLS and capabilities.

Every fake here is a raw asyncio SMTP server (``scripted_server``) that records what
the client sent and whether it was encrypted at that moment; the upgrade to TLS is
the server side of ``StreamWriter.start_tls``. Run through ``hostile()``, so the §0
invariants (deadline, memory, no crash, no password on the wire) hold in each.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import cast

import pytest
from harness import Outcome, hostile_fake

from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import Handler, Received, submission_script

TIMEOUT = 3.0

EHLO_PLAIN = b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
EHLO_TLS = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"

# What the fake does between its STARTTLS reply and the handshake; returning False
# means "no handshake" (the connection is left as it is).
Interlude = Callable[[asyncio.StreamWriter], Awaitable[bool]]


async def _proceed(writer: asyncio.StreamWriter) -> bool:
    return True


Session = list[tuple[bool, bytes]]  # one connection: (over TLS, line) as the fake read them


class _SessionReader:
    """Hands the fake its client's lines, reading with read() rather than readline():
    each read is logged the moment it arrives, so a ClientHello (binary, maybe without
    a newline) is seen even if a reset follows. A read that starts with a TLS record
    while the connection is plain is a handshake nobody agreed to: logged, not a line.
    Every line is logged with whether the read that completed it was encrypted."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: Session
    ) -> None:
        self._reader, self._writer, self._log = reader, writer, log
        self._pending, self._tls = b"", False

    async def readline(self) -> bytes:
        while b"\n" not in self._pending:
            chunk = await self._reader.read(65536)
            if not chunk:
                return b""
            self._tls = self._writer.get_extra_info("ssl_object") is not None
            if chunk[:1] == b"\x16" and not self._tls and not self._pending:
                self._log.append((False, chunk))
                continue
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        self._log.append((self._tls, line + b"\n"))
        return line + b"\n"


def starttls_fake(
    pki: TestPKI,
    sessions: list[Session],
    *,
    greeting: bytes = b"220 mail.emaildiag.test ESMTP\r\n",
    ehlo: bytes = EHLO_PLAIN,
    ehlo_tls: bytes = EHLO_TLS,
    starttls: bytes = b"220 2.0.0 Ready to start TLS\r\n",
    interlude: Interlude = _proceed,
) -> Handler:
    """A submission server speaking just enough SMTP: ``ehlo`` before TLS, ``ehlo_tls``
    after, ``starttls`` as the whole answer to STARTTLS (one write), then, when that
    answer starts with 220, ``interlude`` and the server side of the handshake. AUTH
    is answered 235 and MAIL/RCPT 250, so a client that goes wrong goes on and shows it.
    Each connection's lines are appended to ``sessions`` (the engine's probe and its
    sign-in attempt run side by side, so one shared log would interleave them)."""

    async def upgrade(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
    ) -> None:
        if writer.get_extra_info("ssl_object") is not None:
            writer.write(b"250 2.0.0 OK\r\n")
            return
        writer.write(starttls)
        await writer.drain()
        if starttls.startswith(b"220") and await interlude(writer):
            await writer.start_tls(pki.server_context(CertKind.VALID))

    script = submission_script(
        greeting=greeting, ehlo=ehlo, ehlo_tls=ehlo_tls, replies={b"STARTTLS": upgrade}
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        log: Session = []
        sessions.append(log)
        await script(cast(asyncio.StreamReader, _SessionReader(reader, writer, log)), writer)

    return handler


def verbs(log: Session, *, over_tls: bool | None = None) -> list[bytes]:
    """The first word of every line the client sent on one connection (upper case)."""
    return [
        line.split(b" ")[0].strip().upper()
        for tls, line in log
        if line.strip() and (over_tls is None or tls == over_tls)
    ]


def all_verbs(sessions: list[Session]) -> set[bytes]:
    return {v for log in sessions for v in verbs(log)}


def handshakes(sessions: list[Session]) -> list[bytes]:
    """Plaintext client reads that began with a TLS handshake record (a ClientHello)."""
    return [data for log in sessions for tls, data in log if data[:1] == b"\x16" and not tls]


async def run(
    pki: TestPKI, canary: str, handler: Handler, *, tls_accepted: bool = False
) -> tuple[Outcome, Received]:
    """Diagnose port 587 served by ``handler`` through the hostile harness."""
    return await hostile_fake(
        handler, password=canary, pki=pki, timeout=TIMEOUT, tls_accepted=tls_accepted
    )


# --- 12 ---------------------------------------------------------------------------------


async def test_s12_starttls_stripped(pki: TestPKI, canary: str) -> None:
    """The fake's EHLO on 587 has no STARTTLS but offers AUTH PLAIN LOGIN in the clear
    (EAST O_1): a downgrade, or a server that really takes passwords unencrypted."""
    sessions: list[Session] = []
    ehlo = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
    out, _ = await run(pki, canary, starttls_fake(pki, sessions, ehlo=ehlo))

    assert {"tls.starttls_missing", "smtp.auth_before_tls", "auth.skipped_insecure"} <= out.codes
    assert "465" in (out.finding("tls.starttls_missing", 587).fix or "")  # RFC 8314
    assert out.report.auth.result == "skipped"
    assert out.probe(587).mode == "none" and out.probe(587).tls is None
    assert sessions and all(verbs(log)[:1] == [b"EHLO"] for log in sessions)
    sent = all_verbs(sessions)
    assert not {b"AUTH", b"MAIL", b"RCPT", b"DATA", b"STARTTLS"} & sent, sent
    assert not {"auth.ok", "tls.ok"} & out.codes


# --- 13 ---------------------------------------------------------------------------------

REFUSALS = [
    (b"454 4.7.0 TLS not available due to temporary reason\r\n", True),
    (b"502 5.5.1 Command not implemented\r\n", False),
    (b"500 5.5.2 Syntax error, command unrecognized\r\n", False),
    (b"501 5.5.4 Syntax error in parameters\r\n", False),
    (b"530 5.7.0 Must issue a STARTTLS command first\r\n", False),
    (b"354 do something else\r\n", False),
    (b"221 2.0.0 Bye\r\n", False),
    (b"421 4.3.2 Service not available, closing channel\r\n", True),
]


@pytest.mark.parametrize(
    ("reply", "temporary"), REFUSALS, ids=[r[:3].decode() for r, _ in REFUSALS]
)
async def test_s13_starttls_refused(
    pki: TestPKI, canary: str, reply: bytes, temporary: bool
) -> None:
    """The fake advertises STARTTLS, answers it with ``reply`` and keeps listening in
    plaintext, answering anything else with 250/235 (EAST O_2..O_4, others/starttls/*)."""
    sessions: list[Session] = []
    out, rec = await run(pki, canary, starttls_fake(pki, sessions, starttls=reply))

    failed = out.finding("tls.starttls_failed", 587)
    assert failed.detail and reply[:-2].decode() in failed.detail, failed.detail
    # 454/421 are temporary (RFC 3207 §4, RFC 5321 §4.2.1), and the finding says so
    assert failed.detail.startswith("temporary") == temporary, failed.detail
    assert out.report.auth.result == "skipped"
    assert "auth.skipped_insecure" in out.codes
    assert not {"auth.ok", "tls.ok", "smtp.auth_not_offered"} & out.codes
    # 354/221 are no go-ahead: no ClientHello, and nothing after STARTTLS but QUIT.
    assert not handshakes(sessions)
    assert not rec.lines(over_tls=True)
    assert any(b"STARTTLS" in verbs(log) for log in sessions)
    for log in sessions:
        sent = verbs(log)
        assert not {b"AUTH", b"MAIL", b"RCPT", b"DATA"} & set(sent), sent
        if b"STARTTLS" in sent:
            assert set(sent[sent.index(b"STARTTLS") + 1 :]) <= {b"QUIT"}, sent


# --- 14 ---------------------------------------------------------------------------------


async def test_s14_response_injection_same_segment(pki: TestPKI, canary: str) -> None:
    """STARTTLS is answered ``220 Go ahead`` plus a forged ``250-evil`` / ``250 AUTH
    PLAIN`` in the same write (EAST B_1); a client that goes on gets TLS whose EHLO
    offers no AUTH, so only the injected lines could make it sign in."""
    sessions: list[Session] = []
    ehlo_tls = b"250-mail.emaildiag.test\r\n250 8BITMIME\r\n"
    injected = b"220 Go ahead\r\n250-evil\r\n250 AUTH PLAIN\r\n"
    out, rec = await run(
        pki, canary, starttls_fake(pki, sessions, starttls=injected, ehlo_tls=ehlo_tls)
    )

    injection = out.finding("tls.starttls_injection", 587)
    assert "evil" not in injection.title and "evil" not in (injection.fix or "")
    assert out.report.auth.result == "skipped"
    assert not {"auth.ok", "tls.ok"} & out.codes
    assert not rec.lines(over_tls=True), "went on into TLS after an injected reply"
    for log in sessions:
        sent = verbs(log)
        assert not {b"AUTH", b"MAIL", b"RCPT", b"DATA"} & set(sent), sent
        if b"STARTTLS" in sent:
            assert set(sent[sent.index(b"STARTTLS") + 1 :]) <= {b"QUIT"}, sent


# --- 15 ---------------------------------------------------------------------------------


async def _inject_late(writer: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(0.3)  # the client has sent its ClientHello by now
    writer.write(b"250-evil\r\n250 AUTH PLAIN\r\n235 2.7.0 Authentication successful\r\n")
    await writer.drain()
    return True


async def test_s15_response_injection_later_segment(pki: TestPKI, canary: str) -> None:
    """STARTTLS is answered 220 alone; 300 ms later, where the TLS ServerHello should
    come, the fake writes plaintext SMTP lines (a forged capability list and a 235)."""
    sessions: list[Session] = []
    out, rec = await run(pki, canary, starttls_fake(pki, sessions, interlude=_inject_late))

    injection = out.finding("tls.starttls_injection", 587)
    assert {"tls.handshake_failed", "tls.starttls_failed"} & out.codes == set()
    shown = f"{injection.title} {injection.fix} {injection.detail}"
    assert "TLS" in (injection.detail or "")  # says where the non-TLS data came
    for raw in ("WRONG_VERSION_NUMBER", "SSL:", "_ssl.c", "SSLError"):
        assert raw not in shown, shown
        assert raw not in out.report.to_text(), raw
        assert raw not in out.report.to_html(), raw
    assert out.report.auth.result == "skipped"
    assert not {"auth.ok", "tls.ok"} & out.codes
    assert not rec.lines(over_tls=True)
    for log in sessions:
        sent = verbs(log)
        assert not {b"AUTH", b"MAIL", b"RCPT", b"DATA"} & set(sent), sent
        # nothing readable after STARTTLS: a plaintext fallback would show up here
        after = sent[sent.index(b"STARTTLS") + 1 :] if b"STARTTLS" in sent else []
        assert all(v[:1] == b"\x16" or v == b"QUIT" for v in after), after


# --- 16 ---------------------------------------------------------------------------------


async def test_s16_auth_only_before_tls(pki: TestPKI, canary: str) -> None:
    """Before TLS the fake's EHLO offers STARTTLS and AUTH PLAIN LOGIN; after a good,
    verified handshake its EHLO offers no AUTH at all (GMX/Web.de's Nemesis, §1.1)."""
    sessions: list[Session] = []
    ehlo = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"
    ehlo_tls = b"250-mail.emaildiag.test\r\n250-8BITMIME\r\n250 SIZE 10240000\r\n"
    out, _ = await run(pki, canary, starttls_fake(pki, sessions, ehlo=ehlo, ehlo_tls=ehlo_tls))

    assert "smtp.auth_not_offered" in out.codes
    assert out.finding("smtp.auth_not_offered", 587)
    assert "tls.ok" in out.codes  # TLS itself was fine
    assert out.report.auth.result == "skipped"
    assert "auth.ok" not in out.codes
    probe = out.probe(587)
    assert probe.tls and probe.tls.verified and probe.mode == "starttls"
    assert not any(line.startswith("AUTH") for line in probe.ehlo_tls)
    # the capabilities after TLS come from a fresh EHLO sent over TLS, on every connection
    tls_ehlos = [log for log in sessions if b"EHLO" in verbs(log, over_tls=True)]
    assert tls_ehlos and len(tls_ehlos) == len(sessions)
    assert not any(b"AUTH" in verbs(log) for log in sessions)


# --- 17 ---------------------------------------------------------------------------------


async def _stall(writer: asyncio.StreamWriter) -> bool:
    await asyncio.sleep(3600)  # never answers the ClientHello
    return False


async def _close(writer: asyncio.StreamWriter) -> bool:
    writer.close()
    return False


@pytest.mark.parametrize("interlude", [_stall, _close], ids=["stall", "close"])
async def test_s17_starttls_220_then_stall_or_close(
    pki: TestPKI, canary: str, interlude: Interlude
) -> None:
    """STARTTLS is answered 220, then the fake never answers the ClientHello (stall),
    or closes the connection at once (close)."""
    sessions: list[Session] = []
    out, rec = await run(pki, canary, starttls_fake(pki, sessions, interlude=interlude))

    codes = {"tls.starttls_failed", "tls.handshake_failed"} & out.codes
    assert codes, sorted(out.codes)
    f = out.finding(codes.pop(), 587)
    assert f.severity.value == "error"
    for raw in ("SSL:", "_ssl.c", "SSLError"):
        assert raw not in f"{f.title} {f.detail}", f.detail
    # the handshake budget (half the run's) bounds the STARTTLS phase, not the deadline
    probe = out.probe(587)
    assert probe.problem == f.code and probe.timings["starttls"] <= TIMEOUT * 0.5 * 1000 + 300
    assert out.elapsed < TIMEOUT, out.elapsed
    assert out.report.auth.result == "skipped"
    assert not rec.lines(over_tls=True)
    assert any(b"STARTTLS" in verbs(log) for log in sessions)
    for log in sessions:
        sent = verbs(log)
        after = sent[sent.index(b"STARTTLS") :] if b"STARTTLS" in sent else []
        assert not {b"AUTH", b"MAIL", b"EHLO"} & set(after), sent


# --- 18 ---------------------------------------------------------------------------------

SPOOF = "Your mailbox is suspended, log in at http://evil.example"
BAIT = '<a href="http://evil.example">log in</a> <script>alert(1)</script>'
FILLER = "x" * 1500  # longer than RFC 5321 allows, shorter than the reader's line cap


def _spoof_reply(code: bytes, first: bytes = b"") -> bytes:
    """A multi-line reply of about 6 KB whose text is the phishing message."""
    lines = [first] if first else []
    lines += [f"{SPOOF} {BAIT}".encode()] + [FILLER.encode()] * 4
    body = b"".join(code + b"-" + line + b"\r\n" for line in lines[:-1])
    return body + code + b" " + lines[-1] + b"\r\n"


SPOOFS: dict[str, bytes] = {
    "greeting": _spoof_reply(b"220", b"mail.emaildiag.test ESMTP"),
    "ehlo": _spoof_reply(b"250", b"mail.emaildiag.test").replace(
        b"250 " + FILLER.encode(), b"250-" + FILLER.encode() + b"\r\n250 STARTTLS"
    ),
    "454": _spoof_reply(b"454"),
}


def spoofing_fake(pki: TestPKI, sessions: list[Session], where: str) -> Handler:
    reply = SPOOFS[where]
    if where == "greeting":
        return starttls_fake(pki, sessions, greeting=reply)
    if where == "ehlo":
        return starttls_fake(pki, sessions, ehlo=reply)
    return starttls_fake(pki, sessions, starttls=reply)


def capped(shown: str, limit: int) -> bool:
    """``shown`` is at most ``limit`` characters plus the "… [n more characters]" mark."""
    return len(re.sub(r"… \[\d+ more characters\]$", "", shown)) <= limit


@pytest.mark.parametrize("where", list(SPOOFS))
async def test_s18_ui_spoofing_banner(pki: TestPKI, canary: str, where: str) -> None:
    """The fake puts "Your mailbox is suspended, log in at http://evil.example", an HTML
    link and script, and about 5 KB of filler into its greeting, its pre-TLS EHLO or a
    454 answer to STARTTLS (EAST's UI-spoofing class)."""
    sessions: list[Session] = []
    assert len(SPOOFS[where]) > 5000
    # A spoofing greeting or EHLO is only text: STARTTLS still works and the verified
    # TLS session offers AUTH, so signing in there (once, encrypted) is right.
    signs_in = where != "454"
    out, _ = await run(pki, canary, spoofing_fake(pki, sessions, where), tls_accepted=signs_in)

    report = out.report
    # Never the message of a finding: only evidence (details, greeting, EHLO, transcript).
    for f in report.findings:
        assert "evil" not in f.title and "evil" not in (f.fix or ""), f
        assert "mailbox is suspended" not in f.title.lower()
        assert f.detail is None or capped(f.detail, 400), f.detail
    text, page = report.to_text(), report.to_html()
    assert "evil.example" in text + page  # shown as evidence, not dropped silently
    assert 'href="http://evil.example' not in page
    assert "<a href" not in page.replace('<a href="#', "")  # no link from server text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page or "&lt;a href" in page  # escaped, not removed
    titles = re.findall(r"<title>(.*?)</title>|<h[1-3][^>]*>(.*?)</h[1-3]>", page, re.S)
    assert titles and not any("evil" in "".join(t) for t in titles), titles
    if where == "greeting":  # labelled as what it is: unencrypted, unverified text
        assert "Server greeting (sent before encryption, not verified)" in page
    # truncated: no run of server text longer than the transcript's cap per line
    longest = max(len(m) for m in re.findall("x+", text + page))
    assert 200 <= longest <= 1000, longest
    probe = out.probe(587)
    assert probe.greeting is None or capped(probe.greeting, 300)
    assert all(capped(cap, 200) for cap in probe.ehlo)
    assert all(capped(line.text, 1000) for line in report.transcript)
    assert not any(b"AUTH" in verbs(log, over_tls=False) for log in sessions)
    if signs_in:
        assert report.auth.result == "ok"
    else:
        assert "tls.starttls_failed" in out.codes
        assert report.auth.result == "skipped"
        assert not any(b"AUTH" in verbs(log) for log in sessions)
