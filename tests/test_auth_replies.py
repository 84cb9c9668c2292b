"""Sign-in and sender-check replies from real servers (their texts as providers send them),
each through the whole engine to its finding code, with the password sent exactly once."""

from __future__ import annotations

import asyncio
import base64

import pytest

from emaildiag import adiagnose
from emaildiag.checks.dns import StaticResolver
from emaildiag.model import Report
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import Handler, scripted_server, smtp_script

HOST = "mail.emaildiag.test"
USER = "alice@emaildiag.test"


async def run(pki: TestPKI, handler: Handler, **options: object) -> Report:
    async with scripted_server(handler, pki.server_context(CertKind.VALID)) as port:
        return await adiagnose(
            {"host": HOST, "port": port, "username": USER, "password": "pw-Canary-1"},
            ports=[port],
            port_modes={port: "implicit"},
            ca_file=str(pki.ca_file),
            resolver=StaticResolver({(HOST, "A"): ["127.0.0.1"]}),
            timeout=5,
            **options,
        )


def answering(reply: bytes, seen: list[bytes]) -> Handler:
    async def on_auth(line: bytes) -> bytes:
        seen.append(line)
        return reply

    return smtp_script(on_auth=on_auth)


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (
            b"534-5.7.9 Application-specific password required. For more information, go to\r\n"
            b"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp\r\n",
            "auth.app_password_required",
        ),
        (
            b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
            b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp\r\n",
            "auth.rejected",
        ),
        (
            b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
            b"for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n",
            "auth.smtp_auth_disabled",
        ),
        (
            b"550 5.7.30 Basic authentication is not supported for Client Submission.\r\n",
            "auth.smtp_auth_disabled",
        ),
        (
            b"535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
            b"security defaults policy. Contact your administrator.\r\n",
            "auth.oauth_required",
        ),
        (b"530 5.7.0 Must issue a STARTTLS command first\r\n", "auth.tls_required"),
        (b"454 4.7.0 Too many login attempts, please try again later.\r\n", "auth.throttled"),
        (b"535 5.7.8 Error: authentication failed: authentication failure\r\n", "auth.rejected"),
    ],
)
async def test_sign_in_replies(pki: TestPKI, reply: bytes, code: str) -> None:
    seen: list[bytes] = []
    report = await run(pki, answering(reply, seen))
    assert code in report.codes()
    assert report.auth.result == "rejected" and report.auth.code == int(reply[:3])
    assert len(seen) == 1  # one attempt, one mechanism


async def test_no_mechanism_in_common(pki: TestPKI) -> None:
    seen: list[bytes] = []
    handler = smtp_script(
        ehlo=b"250-x\r\n250 AUTH GSSAPI NTLM\r\n", on_auth=lambda line: seen.append(line)
    )  # type: ignore[arg-type, func-returns-value]
    report = await run(pki, handler)
    assert "auth.mechanism_unsupported" in report.codes()
    assert seen == []  # nothing was sent


async def test_login_mechanism_when_plain_is_missing(pki: TestPKI) -> None:
    connections: list[list[bytes]] = []

    async def login_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received: list[bytes] = []  # this connection's lines (probe and sign-in run together)
        connections.append(received)
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            received.append(line)
            if line.startswith(b"EHLO"):
                writer.write(b"250-x\r\n250 AUTH LOGIN\r\n")
            elif line.startswith(b"AUTH LOGIN") or len(received) == 3:
                writer.write(b"334 UGFzc3dvcmQ6\r\n")
            elif len(received) == 4:
                writer.write(b"235 2.7.0 Accepted\r\n")
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()

    report = await run(pki, login_only)
    assert report.auth.result == "ok" and report.auth.mechanism == "LOGIN"
    [received] = [c for c in connections if b"AUTH LOGIN\r\n" in c]
    assert received[1:4] == [
        b"AUTH LOGIN\r\n",
        base64.b64encode(USER.encode()) + b"\r\n",
        base64.b64encode(b"pw-Canary-1") + b"\r\n",
    ]
    text = report.to_json()
    assert "[password, redacted]" in text and "pw-Canary-1" not in text


@pytest.mark.parametrize(
    ("replies", "recipient", "code", "result"),
    [
        (
            {b"MAIL": b"550 5.7.1 Sender address rejected: not owned by user\r\n"},
            None,
            "send.sender_rejected",
            "rejected",
        ),
        (
            {b"RCPT": b"550 5.1.1 <bob@example.test>: Recipient address rejected\r\n"},
            "bob@example.test",
            "send.recipient_rejected",
            "rejected",
        ),
        (
            {b"RCPT": b"450 4.2.0 Greylisted, try again in 5 minutes\r\n"},
            None,
            "send.temporary_failure",
            "error",
        ),
        ({}, None, "send.sender_accepted", "ok"),
    ],
)
async def test_sender_check(
    pki: TestPKI, replies: dict[bytes, bytes], recipient: str | None, code: str, result: str
) -> None:
    async def accept(line: bytes) -> bytes:
        return b"235 2.7.0 Accepted\r\n"

    report = await run(pki, smtp_script(on_auth=accept, replies=replies), recipient=recipient)
    assert {"auth.ok", code} <= set(report.codes())
    assert report.send.result == result


@pytest.mark.parametrize("accept", [True, False])
async def test_xoauth2_with_a_token(pki: TestPKI, accept: bool) -> None:
    token = "ya29.Canary-token-XYZ"
    lines: list[bytes] = []

    async def xoauth2(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            lines.append(line)
            if line.startswith(b"EHLO"):
                writer.write(b"250-x\r\n250 AUTH PLAIN LOGIN XOAUTH2\r\n")
            elif line.startswith(b"AUTH XOAUTH2"):
                blob = base64.b64decode(line.split()[-1])
                good = accept and blob == f"user={USER}\x01auth=Bearer {token}\x01\x01".encode()
                writer.write(
                    b"235 2.7.0 Accepted\r\n" if good else b"334 eyJzdGF0dXMiOiI0MDAifQ==\r\n"
                )
            elif line == b"\r\n":
                writer.write(b"535-5.7.8 Username and Password not accepted.\r\n535 5.7.8 x\r\n")
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()

    async with scripted_server(xoauth2, pki.server_context(CertKind.VALID)) as port:
        report = await adiagnose(
            {"host": HOST, "port": port, "username": USER},
            oauth_token=token,
            ports=[port],
            port_modes={port: "implicit"},
            ca_file=str(pki.ca_file),
            resolver=StaticResolver({(HOST, "A"): ["127.0.0.1"]}),
            timeout=5,
        )
    assert report.auth.mechanism == "XOAUTH2"
    assert report.auth.result == ("ok" if accept else "rejected")
    assert ("auth.ok" if accept else "auth.rejected") in report.codes()
    assert "settings.password_missing" not in report.codes()
    assert sum(line.startswith(b"AUTH") for line in lines) == 1
    text = report.to_json() + report.to_text()
    assert token not in text and "AUTH XOAUTH2 [redacted]" in text
    assert "auth" in report.auth.timings and "connect" in report.auth.timings
