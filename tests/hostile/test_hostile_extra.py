"""Hostile edges beyond the fault catalogue (faults-and-security §8), each run through
``hostile()`` so the §0 invariants (deadline, memory, no crash, no password on the wire
or in any output, sockets closed) hold on it too:

1. a certificate naming 2,000 hosts, with a 5,000-character subject;
2. an SPF record of about 57 KB in one UDP answer;
3. STARTTLS answered with a success code that is not 220;
4. an EHLO reply of exactly the line cap (100 lines), and one line more;
5. a valid greeting followed at once by a reset, before the client's EHLO.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from pathlib import Path

import pytest
import trustme
from harness import HOST, hostile_dns, hostile_fake

from emaildiag.checks.tls import MAX_SAN
from emaildiag.checks.wire import MAX_LINES
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import Received, submission_script

TIMEOUT = 3.0
EHLO_PLAIN = b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
EHLO_TLS = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


def auth_lines(rec: Received) -> list[bytes]:
    return [line for line in rec.lines() if line[:5].upper() == b"AUTH "]


# --- 1. a certificate with a huge name list and subject -------------------------------------------

SAN_COUNT = 2000


@pytest.fixture(scope="module")
def crowded_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA(organization_name="emaildiag crowded CA")
    path = tmp_path_factory.mktemp("crowded") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.mark.parametrize("host_listed", [True, False], ids=["host-last", "host-absent"])
async def test_extra_certificate_with_2000_names_and_a_huge_subject(
    crowded_ca: tuple[trustme.CA, Path], canary: str, host_listed: bool
) -> None:
    """A certificate from a CA the run trusts (``ca_file``) names 2,000 hosts (about
    60 KB, under OpenSSL's 100 KB limit for the peer's certificates) and has a
    5,000-character organisational unit in its subject; the host is the last name, or
    absent. The report keeps at most ``MAX_SAN`` names plus the one that matches, counts
    the others, cuts the subject, and stays small; the host is judged against the whole
    list (found at position 2,000; or a mismatch, and then no password)."""
    ca, ca_file = crowded_ca
    names = [f"h{i:04d}.other.test" for i in range(SAN_COUNT - 1)]
    names.append(HOST if host_listed else "h-last.other.test")
    leaf = ca.issue_cert(*names, organization_unit_name="U" * 5000)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    handler = submission_script(ehlo=EHLO_PLAIN, ehlo_tls=EHLO_TLS, starttls=context)
    out, rec = await hostile_fake(
        handler,
        password=canary,
        ca_file=str(ca_file),
        tls_accepted=host_listed,
        timeout=TIMEOUT,
    )
    tls = out.probe(587).tls
    assert tls is not None and tls.certificate is not None
    cert = tls.certificate
    assert len(cert.san) <= MAX_SAN + 1
    assert len(cert.san) + cert.san_omitted == SAN_COUNT
    assert len(cert.subject) < 400 and "more characters" in cert.subject
    assert len(out.report.to_json()) < 30_000
    assert len(out.report.to_text()) < 10_000
    html = out.report.to_html()
    assert f"(and {cert.san_omitted} more)" in html and "h1900.other.test" not in html
    if host_listed:
        assert HOST in cert.san and tls.verified
        assert {"tls.ok", "auth.ok"} <= out.codes, out.codes
        assert "tls.cert_hostname_mismatch" not in out.codes
        assert len(auth_lines(rec)) == 1
    else:
        assert not tls.verified
        assert "tls.cert_hostname_mismatch" in out.codes, out.codes
        assert "tls.ok" not in out.codes and "auth.ok" not in out.codes
        assert auth_lines(rec) == []
        f = out.finding("tls.cert_hostname_mismatch")
        assert len(f.title) + len(f.detail or "") < 1000  # names five, not two thousand


# --- 2. a huge SPF record ------------------------------------------------------------------------

DOMAIN = "emaildiag.test"
GMAIL = "smtp.gmail.com"


async def test_extra_spf_record_of_57_kb(canary: str) -> None:
    """The sending domain's TXT answer is one SPF record of 240 strings (about 57 KB, in
    one UDP datagram from the loopback DNS server), ending in Google's include; the
    settings name Gmail's server. The record is read, kept cut in the report, judged
    whole (the include counts: no dns.spf_excludes_provider) and costs no time or memory
    to speak of."""
    chunk = "ip4:198.51.100.1 " * 14
    strings = ['"v=spf1 "', *[f'"{chunk}"' for _ in range(240)], '"include:_spf.google.com -all"']
    zone = {
        (GMAIL, "A"): ["127.0.0.1"],
        (DOMAIN, "MX"): [f"10 {HOST}."],
        (DOMAIN, "TXT"): [" ".join(strings)],
        (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=none"'],
    }
    out, dns, _ = await hostile_dns(zone, {"host": GMAIL}, password=canary, timeout=TIMEOUT)
    assert (DOMAIN, "TXT") in dns.queries
    facts = out.report.dns
    assert facts is not None and facts.spf is not None
    assert facts.spf.startswith("v=spf1 ip4:198.51.100.1") and len(facts.spf) < 600
    assert not {"dns.spf_missing", "dns.failure", "dns.spf_excludes_provider"} & out.codes
    assert "_spf.google.com" in facts.spf_targets
    dns_job = next(j for j in out.report.jobs if j.name == "dns")
    assert dns_job.state == "ok" and dns_job.elapsed_ms < 1000, dns_job
    assert len(out.report.to_json()) < 20_000
    assert out.report.auth.result == "skipped"  # the fake offers no STARTTLS


# --- 3. STARTTLS answered "250 OK" ----------------------------------------------------------------


async def test_extra_starttls_answered_with_250(pki: TestPKI, canary: str) -> None:
    """The fake answers STARTTLS with ``250 OK``, a success code that is not the 220
    RFC 3207 requires, then records whatever the client sends next. It is a refusal of
    STARTTLS: no TLS handshake starts (no ClientHello), no AUTH, no "encryption works"."""
    after: list[bytes] = []

    async def fake_ok(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(b"250 OK\r\n")
        await writer.drain()
        try:
            async with asyncio.timeout(1.0):
                while data := await reader.read(4096):
                    after.append(data)
        except TimeoutError:
            pass
        writer.close()

    handler = submission_script(
        ehlo=EHLO_PLAIN,
        ehlo_tls=EHLO_TLS,
        starttls=pki.server_context(CertKind.VALID),
        replies={b"STARTTLS": fake_ok},
    )
    out, rec = await hostile_fake(handler, password=canary, pki=pki, timeout=TIMEOUT)
    f = out.finding("tls.starttls_failed", 587)
    assert "250 OK" in (f.detail or "")
    assert "try again later" not in (f.detail or "")  # not a 4xx: nothing temporary
    assert not {"tls.ok", "auth.ok", "smtp.protocol_error"} & out.codes, out.codes
    assert out.report.auth.result == "skipped"
    assert not any(chunk.startswith(b"\x16") for chunk in after), after  # no ClientHello
    assert not any(b"AUTH" in chunk.upper() for chunk in after), after
    assert auth_lines(rec) == []
    assert out.probe(587).tls is None


# --- 4. the EHLO line-count cap -------------------------------------------------------------------


@pytest.mark.parametrize("lines", [MAX_LINES, MAX_LINES + 1])
async def test_extra_ehlo_at_and_over_the_line_cap(pki: TestPKI, canary: str, lines: int) -> None:
    """The EHLO reply before TLS has ``lines`` lines: the server's name, filler
    capabilities, and STARTTLS last. At the cap (100) it is one reply like any other:
    STARTTLS is seen, TLS comes up, the sign-in works. One line more is a broken server:
    smtp.protocol_error naming the size, none of its capabilities used (no STARTTLS, no
    AUTH sent), nothing crashes."""
    filler = b"".join(b"250-X-FILLER-%03d\r\n" % i for i in range(lines - 2))
    ehlo = b"250-mail.emaildiag.test\r\n" + filler + b"250 STARTTLS\r\n"
    assert ehlo.count(b"\r\n") == lines
    handler = submission_script(
        ehlo=ehlo, ehlo_tls=EHLO_TLS, starttls=pki.server_context(CertKind.VALID)
    )
    within = lines <= MAX_LINES
    out, rec = await hostile_fake(
        handler, password=canary, pki=pki, tls_accepted=within, timeout=TIMEOUT
    )
    probe = out.probe(587)
    if within:
        assert {"tls.ok", "auth.ok"} <= out.codes, out.codes
        assert "smtp.protocol_error" not in out.codes
        assert len(probe.ehlo) == lines - 1 and probe.ehlo[-1] == "STARTTLS"
        assert len(auth_lines(rec)) == 1
    else:
        f = out.finding("smtp.protocol_error", 587)
        assert "too long" in (f.detail or ""), f.detail
        assert probe.ehlo == () and probe.tls is None
        assert not {"tls.ok", "auth.ok", "smtp.auth_before_tls"} & out.codes, out.codes
        assert out.report.auth.result == "skipped"
        assert not [line for line in rec.lines() if line.upper().startswith(b"STARTTLS")]
        assert auth_lines(rec) == []


# --- 5. a greeting, then a reset before EHLO ------------------------------------------------------


def _reset(writer: Writer) -> None:
    """Close with an RST instead of a FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_extra_greeting_then_reset_before_ehlo(canary: str) -> None:
    """The fake sends a valid ``220`` greeting and resets the connection in the same
    breath, before the client can say EHLO (whose write then meets a dead socket). The
    greeting was good, so it is not "no greeting"; the server dropped the session during
    EHLO. No raw socket error reaches the report, no AUTH, no retry beyond the probe's and
    the sign-in's own connection."""

    async def greet_and_reset(reader: Reader, writer: Writer) -> None:
        writer.write(b"220 mail.emaildiag.test ESMTP\r\n")
        await writer.drain()
        _reset(writer)

    out, rec = await hostile_fake(greet_and_reset, password=canary, timeout=TIMEOUT)
    f = out.finding("smtp.protocol_error", 587)
    assert "closed" in (f.detail or "") and "ehlo" in (f.detail or "").lower(), f.detail
    assert not {"port.no_greeting", "port.not_smtp", "port.unreachable"} & out.codes, out.codes
    assert out.probe(587).greeting.startswith("220 mail.emaildiag.test")
    for raw in ("ConnectionResetError", "Connection reset by peer", "Errno", "BrokenPipe"):
        assert raw not in out.outputs
    assert out.report.auth.result == "skipped"
    assert auth_lines(rec) == []
    assert rec.connections <= 2
