"""Port probes against real loopback servers: aiosmtpd for honest ones, raw asyncio
servers for broken and hostile ones. Each asserts the classified finding code."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
import warnings

import pytest

from emaildiag.checks.auth import Credentials, check_auth
from emaildiag.checks.ports import ProbeContext, assess_probe, probe_port
from emaildiag.checks.send import Delivery
from emaildiag.checks.session import Limits, Target
from emaildiag.checks.wire import MAX_REPLY, Transcript
from emaildiag.model import ProbeFacts
from emaildiag.redact import Redactor
from emaildiag.testing import CertKind, ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.scripted import Handler, smtp_script
from emaildiag.testing.scripted import scripted_server as scripted

HOST = "mail.emaildiag.test"
FAST = Limits(connect=1.0, greeting=0.6, command=1.0, handshake=0.6)


def context(pki: TestPKI, limits: Limits = FAST) -> ProbeContext:
    return ProbeContext(
        pki.client_context(),
        Transcript(Redactor(())),
        limits,
        "client.test",
        lambda: dt.datetime.now(dt.UTC),
    )


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def _banner(data: bytes) -> Handler:
    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(30)

    return send


async def _flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for _ in range(5000):
        writer.write(b"220-" + b"A" * 70 + b"\r\n")
        await writer.drain()


def _smtp(on_starttls: bytes = b"", ehlo: bytes = b"250-x\r\n250 STARTTLS\r\n") -> Handler:
    return smtp_script(ehlo=ehlo, replies={b"STARTTLS": on_starttls})


async def _late_injection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """220 to STARTTLS, then plain text 0.3 s later, after the client has read the 220."""
    writer.write(b"220 x ESMTP\r\n")
    while line := await reader.readline():
        if line.upper().startswith(b"STARTTLS"):
            writer.write(b"220 go ahead\r\n")
            await writer.drain()
            await asyncio.sleep(0.3)
            writer.write(b"250-injected\r\n250 AUTH PLAIN\r\n")
            await writer.drain()
            await asyncio.sleep(5)
            return
        writer.write(b"250-x\r\n250 STARTTLS\r\n")
        await writer.drain()


def target(port: int, mode: str) -> Target:
    return Target(HOST, "127.0.0.1", "ipv4", port, mode)


def codes(facts: ProbeFacts, verify_tls: bool = True) -> set[str]:
    found = assess_probe(
        facts,
        host=HOST,
        configured=True,
        verify_tls=verify_tls,
        now=dt.datetime.now(dt.UTC),
        lang="en",
    )
    return {f.code for f in found}


@pytest.mark.parametrize(
    ("handler", "mode", "expected"),
    [
        (_silent, "starttls", "port.no_greeting"),
        (_banner(b"SSH-2.0-OpenSSH_9.6\r\n"), "starttls", "port.not_smtp"),
        (_banner(b"554 5.7.1 No SMTP service here\r\n"), "starttls", "smtp.greeting_rejected"),
        (_banner(b"421 4.3.2 Too busy\r\n"), "starttls", "smtp.greeting_rejected"),
        (_flood, "starttls", "smtp.protocol_error"),
        (
            _smtp(b"220 go ahead\r\n250 injected AUTH PLAIN\r\n"),
            "starttls",
            "tls.starttls_injection",
        ),
        (_smtp(b"454 4.7.0 TLS not available\r\n"), "starttls", "tls.starttls_failed"),
        (_late_injection, "starttls", "tls.starttls_injection"),
        (_smtp(ehlo=b"250-x\r\n250 AUTH PLAIN\r\n"), "starttls", "tls.starttls_missing"),
        (_banner(b"220 plain text here\r\n"), "implicit", "tls.implicit_on_starttls_port"),
        (_silent, "implicit", "tls.handshake_failed"),
    ],
)
async def test_broken_servers_are_classified(
    pki: TestPKI, handler: Handler, mode: str, expected: str
) -> None:
    async with scripted(handler) as port:
        t0 = time.monotonic()
        facts = await probe_port(target(port, mode), context(pki))
        assert time.monotonic() - t0 < 5.0
    assert facts.state == "open"
    assert facts.problem == expected
    assert expected in codes(facts)


async def test_a_flood_is_cut_at_the_reply_cap(pki: TestPKI) -> None:
    ctx = context(pki)
    async with scripted(_flood) as port:
        facts = await probe_port(target(port, "starttls"), ctx)
    assert facts.problem == "smtp.protocol_error"
    received = sum(len(line.text) for line in ctx.transcript.lines)
    assert received < MAX_REPLY + 2000


async def test_refused_port(pki: TestPKI) -> None:
    async with scripted(_silent) as port:
        pass  # closed again: nothing listens now
    facts = await probe_port(target(port, "starttls"), context(pki))
    assert facts.state == "refused"
    assert codes(facts) == {"port.refused"}


@pytest.mark.parametrize(
    ("server_mode", "probe_mode", "expected_mode", "problem"),
    [
        ("starttls", "auto", "starttls", None),
        ("implicit", "auto", "implicit", None),
        ("implicit", "starttls", None, "tls.plain_on_implicit_port"),
        ("starttls", "implicit", None, "tls.implicit_on_starttls_port"),
    ],
)
async def test_modes_are_detected_and_mixups_named(
    pki: TestPKI, server_mode: str, probe_mode: str, expected_mode: str | None, problem: str | None
) -> None:
    with SmtpTestServer(ServerSpec(mode=server_mode), pki) as server:  # type: ignore[arg-type]
        facts = await probe_port(target(server.port, probe_mode), context(pki))
    assert facts.problem == problem
    if expected_mode:
        assert facts.mode == expected_mode and facts.tls and facts.tls.verified
    else:
        assert problem in codes(facts)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (CertKind.NOT_YET_VALID, {"tls.cert_not_yet_valid"}),
        (CertKind.UNTRUSTED_CA, {"tls.cert_untrusted"}),
        (CertKind.EXPIRING, {"tls.cert_expiring"}),
        (CertKind.CHAIN_INCOMPLETE, {"tls.cert_chain_incomplete"}),
    ],
)
async def test_certificate_kinds(pki: TestPKI, kind: CertKind, expected: set[str]) -> None:
    with SmtpTestServer(ServerSpec(mode="implicit", cert=kind), pki) as server:
        facts = await probe_port(target(server.port, "implicit"), context(pki))
    assert facts.tls and facts.tls.certificate
    assert codes(facts) == expected


async def test_auth_not_offered_after_tls(pki: TestPKI) -> None:
    async with scripted(
        _smtp(ehlo=b"250-x\r\n250 SIZE 1000\r\n"), pki.server_context(CertKind.VALID)
    ) as port:
        facts = await probe_port(target(port, "implicit"), context(pki))
    assert facts.tls and facts.tls.verified
    assert "smtp.auth_not_offered" in codes(facts)


async def test_connection_dropped_during_auth(pki: TestPKI, canary: str) -> None:
    async def drop_on_auth(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            if line.upper().startswith(b"AUTH"):
                writer.transport.abort()
                return
            writer.write(b"250-x\r\n250 AUTH PLAIN LOGIN\r\n")
            await writer.drain()

    ctx = context(pki)
    async with scripted(drop_on_auth, pki.server_context(CertKind.VALID)) as port:
        outcome = await check_auth(
            target(port, "implicit"),
            Credentials("alice", canary),
            ctx,
            delivery=Delivery("a@x.test", ("a@x.test",)),
            verify_tls=True,
            lang="en",
            provider=None,
            provider_name="Example",
        )
    assert [f.code for f in outcome.findings] == ["auth.connection_lost"]
    assert outcome.auth.result == "error"
    assert all(canary not in line.text for line in ctx.transcript.lines)


async def test_old_tls_version_is_named(pki: TestPKI) -> None:
    server_ctx = pki.server_context(CertKind.VALID)
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        server_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        server_ctx.minimum_version = ssl.TLSVersion.TLSv1
        server_ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot serve TLS 1.1")
    async with scripted(_smtp(), server_ctx) as port:
        facts = await probe_port(target(port, "implicit"), context(pki))
    assert facts.problem == "tls.old_protocol"
    assert "tls.old_protocol" in codes(facts)


async def test_antivirus_re_signing_is_named(tmp_path: object) -> None:
    """An antivirus installs its own root and re-signs mail traffic: it verifies, and is
    still worth a warning (the real server's certificate is never seen)."""
    import trustme

    av = trustme.CA(organization_name="Avast Web/Mail Shield Root")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    av.issue_cert(HOST).configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    av.configure_trust(client_ctx)
    ctx = ProbeContext(
        client_ctx, Transcript(Redactor(())), FAST, "client.test", lambda: dt.datetime.now(dt.UTC)
    )
    async with scripted(_smtp(ehlo=b"250-x\r\n250 AUTH PLAIN\r\n"), server_ctx) as port:
        facts = await probe_port(target(port, "implicit"), ctx)
    assert facts.tls and facts.tls.verified
    assert "tls.intercepted" in codes(facts)
