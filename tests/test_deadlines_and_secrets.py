"""Deadlines that fall mid-conversation, and secrets that servers echo back in odd ways.

Each test drives the whole engine (adiagnose) against a real loopback server, so the
deadline, the classification and the redaction are checked together.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from emaildiag import adiagnose
from emaildiag.checks.dns import StaticResolver
from emaildiag.model import Report
from emaildiag.testing import CertKind, ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.scripted import Handler, scripted_server, smtp_script

HOST = "mail.emaildiag.test"
USER = "alice@emaildiag.test"
DNS = StaticResolver({(HOST, "A"): ["127.0.0.1"]})


def serve(handler: Handler, pki: TestPKI | None = None) -> AbstractAsyncContextManager[int]:
    return scripted_server(handler, pki.server_context(CertKind.VALID) if pki else None)


async def diagnose_port(
    port: int, pki: TestPKI, password: str, timeout: float, mode: str | None = "implicit"
) -> Report:
    return await adiagnose(
        {"host": HOST, "port": port, "username": USER, "password": password},
        ports=[port],
        port_modes={port: mode} if mode else {},
        ca_file=str(pki.ca_file),
        resolver=DNS,
        timeout=timeout,
    )


def assert_secret_absent(report: Report, password: str) -> None:
    text = report.to_json() + report.to_text() + repr(report)
    blob = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
    for form in (password, blob, password.encode().decode("latin-1")):
        assert form not in text


# --- secrets -------------------------------------------------------------------------


async def echo_after_padding(line: bytes) -> bytes:
    password = base64.b64decode(line.split()[-1]).split(b"\0")[-1]
    return b"535 5.7.8 " + b"A" * 288 + b" " + password + b"\r\n"


async def echo_split(line: bytes) -> bytes:
    password = base64.b64decode(line.split()[-1]).split(b"\0")[-1]
    half = len(password) // 2
    return b"535-5.7.8 " + password[:half] + b"\r\n535 " + password[half:] + b"\r\n"


async def echo_malformed(line: bytes) -> bytes:
    password = base64.b64decode(line.split()[-1]).split(b"\0")[-1]
    return b"oops " + password + b"\r\n"


@pytest.mark.parametrize("echo", [echo_after_padding, echo_split, echo_malformed])
@pytest.mark.parametrize("password", ["Canary-Secret-pw-123", "Pässwörd-Canary-1"])
async def test_echoed_password_is_redacted_however_it_comes_back(
    pki: TestPKI, echo: Callable[[bytes], Awaitable[bytes]], password: str
) -> None:
    async with serve(smtp_script(on_auth=echo), pki) as port:
        report = await diagnose_port(port, pki, password, timeout=5)
    assert report.auth.result in ("rejected", "error")
    assert_secret_absent(report, password)


# --- deadlines -----------------------------------------------------------------------


async def never_answer(line: bytes) -> None:
    return None


async def test_deadline_during_auth_says_the_password_went_out(pki: TestPKI) -> None:
    async with serve(smtp_script(on_auth=never_answer), pki) as port:
        t0 = time.monotonic()
        report = await diagnose_port(port, pki, "Canary-deadline", timeout=3)
        elapsed = time.monotonic() - t0
    assert elapsed < 3 + 0.5
    assert report.auth.result == "error" and report.auth.port == port
    assert "auth.connection_lost" in report.codes()


async def hang_after_starttls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 x ESMTP\r\n")
    while line := await reader.readline():
        if line.upper().startswith(b"STARTTLS"):
            writer.write(b"220 go ahead\r\n")
            await writer.drain()
            await asyncio.sleep(60)  # never starts the handshake
        writer.write(b"250-x\r\n250 STARTTLS\r\n")
        await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(60)


@pytest.mark.parametrize(
    ("handler", "mode", "timeout", "code"),
    [
        (hang_after_starttls, "starttls", 3, "tls.starttls_failed"),
        (silent, "starttls", 3, "port.no_greeting"),
        (silent, "starttls", 5, "port.no_greeting"),
        (silent, None, 3, "port.no_greeting"),
        (silent, None, 12, "port.no_greeting"),
    ],
)
async def test_a_stalled_conversation_ends_on_time_with_its_own_finding(
    pki: TestPKI, handler: Handler, mode: str | None, timeout: float, code: str
) -> None:
    async with serve(handler) as port:
        t0 = time.monotonic()
        report = await diagnose_port(port, pki, "pw-stalled", timeout=timeout, mode=mode)
        elapsed = time.monotonic() - t0
    assert elapsed < timeout + 0.5
    assert code in report.codes()
    assert "port.unreachable" not in report.codes()


# --- authentication on the port that works -----------------------------------------------


async def test_an_implicit_tls_port_found_by_detection_is_used_for_sign_in(pki: TestPKI) -> None:
    with SmtpTestServer(ServerSpec(mode="implicit", users={USER: "right-pw"}), pki) as server:
        report = await diagnose_port(server.port, pki, "right-pw", timeout=5, mode=None)
        attempts = list(server.auth_log)
    assert report.auth.result == "ok"
    assert [a.over_tls for a in attempts] == [True]


async def test_a_fallback_port_without_auth_says_so(pki: TestPKI) -> None:
    async def no_auth(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            writer.write(
                b"221 bye\r\n" if line.upper().startswith(b"QUIT") else b"250-x\r\n250 SIZE 10\r\n"
            )
            await writer.drain()

    async with serve(no_auth, pki) as port:
        report = await diagnose_port(port, pki, "pw", timeout=5)
    assert report.auth.result == "skipped"
    assert "smtp.auth_not_offered" in report.codes()
