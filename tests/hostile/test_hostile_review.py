"""Defects found reviewing the engine behind the hostile suite, each pinned through
``hostile()`` (so the §0 invariants hold on every run) or, for the transcript's cost,
on the redaction step itself.

- a reply that spells the password only across lines made the line-run search cost
  half a second of blocked event loop per pass when its lines were long;
- a certificate extension cryptography cannot parse (OpenSSL serves it) crashed the
  probe, reported as "did not finish in time";
- an SPF record longer than the 500 characters kept for the report was judged on that
  cut, so a provider's ``include:`` past it gave a false dns.spf_excludes_provider;
- a slow answer from this computer's own lookup, only there to be compared, held every
  connection back until it came;
- an EHLO keyword with blanks before it (``250  STARTTLS``) was not recognised, so the
  server looked as if it offered no encryption.

And what was checked and found right, pinned so it stays so: an EHLO reply in two TCP
segments is one reply, not a desync.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID
from harness import HOST, USER, hostile_dns, hostile_fake

from emaildiag.checks.wire import Transcript
from emaildiag.redact import REDACTED, Redactor
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import submission_script

TIMEOUT = 4.0
EHLO_PLAIN = b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
EHLO_TLS = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


# --- a secret split across long reply lines ------------------------------------------------------


def _split_echo(secret: str, lines: int = 16, width: int = 3990) -> list[str]:
    """A 535 of ``lines`` lines of ``width`` characters whose 8th and 9th lines spell
    ``secret`` only together."""
    pad = "x" * width
    out = [f"535-5.7.8 {pad}" for _ in range(lines)]
    half = len(secret) // 2
    out[7] = f"535-5.7.8 {pad[: width - half]}{secret[:half]}"
    out[8] = f"535-5.7.8 {secret[half:]}{pad[: width - len(secret) + half]}"
    out[-1] = "535 " + out[-1][4:]
    return out


def test_review_a_long_reply_spelling_a_secret_is_hidden_whole(canary: str) -> None:
    """A 64 KiB reply whose lines spell the password only together is hidden whole: the
    search for the exact lines, whose cost grows with every run of lines, is kept for
    short replies. A reply of the same size that spells nothing is shown as it is."""
    transcript = Transcript(Redactor([canary], USER))

    def redact(lines: list[str]) -> list[str]:  # as the channel does: texts after the code
        return transcript.redact_lines(lines, [line[4:] for line in lines])

    hostile_lines = _split_echo(canary)
    plain_lines = _split_echo("y" * len(canary))
    assert redact(hostile_lines) == [REDACTED] * len(hostile_lines)
    assert redact(plain_lines) == plain_lines


async def test_review_a_long_split_echo_after_auth(pki: TestPKI, canary: str) -> None:
    """After AUTH over verified TLS the fake answers a 64 KiB, 16-line 535 that spells
    the base64 of the password across two lines. The sign-in is "rejected", the reply
    is hidden, and the run does not stall on it."""
    blob = base64.b64encode(canary.encode()).decode()
    reply = "".join(f"{line}\r\n" for line in _split_echo(blob)).encode()

    async def echo(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(reply)

    handler = submission_script(
        ehlo=EHLO_PLAIN,
        ehlo_tls=EHLO_TLS,
        starttls=pki.server_context(CertKind.VALID),
        on_auth=echo,
    )
    out, _ = await hostile_fake(
        handler, password=canary, pki=pki, tls_accepted=True, timeout=TIMEOUT
    )
    assert "auth.rejected" in out.codes, out.codes
    assert out.report.auth.reply is not None and REDACTED in out.report.auth.reply
    assert blob not in out.outputs


# --- a certificate extension that is not valid DER -----------------------------------------------


def _context_with_garbage_aia(tmp_path: Path) -> ssl.SSLContext:
    """A self-signed certificate for the host whose Authority Information Access
    extension holds bytes that are not DER: OpenSSL loads and serves it, cryptography
    refuses to parse its extensions."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    garbage = x509.UnrecognizedExtension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, b"\xff\xff")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(garbage, critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "garbage-aia.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    return context


@pytest.mark.parametrize("port", [587, 465])
async def test_review_a_certificate_extension_that_is_not_der(
    tmp_path: Path, canary: str, port: int
) -> None:
    """The server presents a self-signed certificate with an unparsable extension, over
    STARTTLS on 587 or implicit TLS on 465. The probe completes and says what it can
    (self-signed; the names cannot be read, so none matches): no internal error, no
    "did not finish in time", no password to an untrusted server."""
    context = _context_with_garbage_aia(tmp_path)
    if port == 587:
        handler = submission_script(ehlo=EHLO_PLAIN, ehlo_tls=EHLO_TLS, starttls=context)
        out, rec = await hostile_fake(handler, password=canary, timeout=TIMEOUT)
    else:
        handler = submission_script(ehlo=EHLO_TLS)
        out, rec = await hostile_fake(
            handler, {"port": port}, password=canary, tls=context, timeout=TIMEOUT
        )
    probe = out.probe(port)
    assert probe.state == "open" and probe.tls is not None, probe
    assert probe.error != "the check did not finish in time"
    assert "port.unreachable" not in out.codes
    assert {"tls.cert_self_signed", "tls.cert_hostname_mismatch"} <= out.codes, out.codes
    assert probe.tls.certificate is not None and probe.tls.certificate.san == ()
    assert not [line for line in rec.lines() if line.upper().startswith(b"AUTH")]
    assert out.report.auth.result == "skipped"


# --- an SPF record longer than what the report keeps ---------------------------------------------

DOMAIN = "emaildiag.test"
GMAIL = "smtp.gmail.com"
_IP4 = " ".join(f"ip4:198.51.100.{i}" for i in range(1, 41))  # ~700 characters


@pytest.mark.parametrize("names_gmail", [True, False])
async def test_review_a_long_spf_record_is_judged_whole(canary: str, names_gmail: bool) -> None:
    """The sending domain's SPF lists 40 addresses and then Google's include (a real
    record is often this long); the settings name Gmail's server. The include past the
    500 characters the report keeps still counts: no dns.spf_excludes_provider. The
    same record without the include is flagged."""
    tail = " include:_spf.google.com ~all" if names_gmail else " ~all"
    record = f"v=spf1 {_IP4}{tail}"
    assert len(record) > 600
    zone = {
        (GMAIL, "A"): ["127.0.0.1"],
        (DOMAIN, "MX"): [f"10 {HOST}."],
        (DOMAIN, "TXT"): [" ".join(f'"{record[i : i + 200]}"' for i in range(0, len(record), 200))],
        (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=none"'],
    }
    out, dns, _ = await hostile_dns(zone, {"host": GMAIL}, password=canary, timeout=3.0)
    assert (DOMAIN, "TXT") in dns.queries
    facts = out.report.dns
    assert facts is not None and facts.spf is not None and len(facts.spf) < len(record)
    assert ("dns.spf_excludes_provider" in out.codes) is not names_gmail, out.codes
    assert ("_spf.google.com" in facts.spf_targets) is names_gmail
    assert "dns.spf_missing" not in out.codes


# --- this computer's own lookup ------------------------------------------------------------------


@pytest.mark.parametrize("answers", [True, False], ids=["late", "never"])
async def test_review_a_slow_system_lookup_holds_nothing_back(
    pki: TestPKI, canary: str, answers: bool
) -> None:
    """This computer's lookup (the ``system_lookup`` seam) answers a different address
    only once the password has reached the server, or never. Had the DNS step or the
    connections waited for it, the sign-in would never have come. The late answer is
    still compared at the end; the one that never comes is not (nothing claimed), and
    nothing of it outlives the run (the harness checks tasks and threads)."""
    signed_in = asyncio.Event()

    async def this_computer(host: str) -> list[str]:
        await signed_in.wait()
        if not answers:
            await asyncio.sleep(3600)
        return ["127.0.0.2"]

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        signed_in.set()
        writer.write(b"235 2.7.0 Authentication successful\r\n")

    handler = submission_script(
        ehlo=EHLO_PLAIN,
        ehlo_tls=EHLO_TLS,
        starttls=pki.server_context(CertKind.VALID),
        on_auth=on_auth,
    )
    out, _ = await hostile_fake(
        handler,
        password=canary,
        pki=pki,
        tls_accepted=True,
        timeout=TIMEOUT,
        system_lookup=this_computer,
    )
    assert "auth.ok" in out.codes
    facts = out.report.dns
    assert facts is not None
    if answers:
        assert facts.system_addresses == ("127.0.0.2",)
        assert "dns.resolver_mismatch" in out.codes
    else:
        assert facts.system_addresses is None
        assert "dns.resolver_mismatch" not in out.codes


# --- EHLO keywords with extra blanks -------------------------------------------------------------


async def test_review_ehlo_keywords_with_extra_blanks(pki: TestPKI, canary: str) -> None:
    """The EHLO replies put two blanks after the code and a tab and double blanks between
    AUTH and its mechanisms. STARTTLS is still seen (no false "no encryption offered"),
    and after TLS AUTH PLAIN is used."""
    handler = submission_script(
        ehlo=b"250-mail.emaildiag.test\r\n250-8BITMIME\r\n250  STARTTLS\r\n",
        ehlo_tls=b"250-mail.emaildiag.test\r\n250-  AUTH\tPLAIN  LOGIN \r\n250 8BITMIME\r\n",
        starttls=pki.server_context(CertKind.VALID),
    )
    out, _ = await hostile_fake(
        handler, password=canary, pki=pki, tls_accepted=True, timeout=TIMEOUT
    )
    assert "tls.starttls_missing" not in out.codes
    assert {"tls.ok", "auth.ok"} <= out.codes, out.codes
    assert out.report.auth.mechanism == "PLAIN"
    assert out.probe(587).ehlo_tls[0] == "AUTH PLAIN LOGIN"


# --- a reply in two TCP segments is not a desync -------------------------------------------------


async def test_review_a_reply_in_two_segments_is_one_reply(pki: TestPKI, canary: str) -> None:
    """The fake sends each multi-line EHLO reply in two writes 100 ms apart, and its 235
    late: the channel reads each as one reply and pairs it with its command, so the
    desync check never fires on a slow but correct server."""

    async def split_ehlo(reader: Reader, writer: Writer, line: bytes) -> None:
        encrypted = writer.get_extra_info("ssl_object") is not None
        reply = EHLO_TLS if encrypted else EHLO_PLAIN
        cut = reply.index(b"\n") + 4  # inside the second line
        writer.write(reply[:cut])
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.write(reply[cut:])

    async def late_ok(reader: Reader, writer: Writer, line: bytes) -> None:
        await asyncio.sleep(0.2)
        writer.write(b"235 2.7.0 Authentication successful\r\n")

    handler = submission_script(
        starttls=pki.server_context(CertKind.VALID),
        on_auth=late_ok,
        replies={b"EHLO": split_ehlo},
    )
    out, _ = await hostile_fake(
        handler, password=canary, pki=pki, tls_accepted=True, timeout=TIMEOUT
    )
    assert {"tls.ok", "auth.ok", "send.sender_accepted"} <= out.codes, out.codes
    assert "smtp.protocol_error" not in out.codes
    assert "desync" not in out.outputs
