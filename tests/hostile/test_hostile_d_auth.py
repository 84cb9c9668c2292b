"""Fault catalogue D (faults-and-security §8, scenarios 26–31): hostile servers during the
one sign-in attempt. Every fake speaks TLS with a certificate the run verifies, so sending
the password once is right; the harness checks it went out at most once, never in clear."""

from __future__ import annotations

import asyncio
import base64
import socket
import struct

import pytest
from harness import USER, Outcome, hostile_fake, wire_forms

from emaildiag.redact import REDACTED
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import (
    AUTH_OK,
    Handler,
    Received,
    submission_script,
)

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter

PLAIN_LOGIN = b"250-mail.emaildiag.test\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN\r\n"
LOGIN_ONLY = b"250-mail.emaildiag.test\r\n250 AUTH LOGIN\r\n"
USERNAME_PROMPT = b"334 VXNlcm5hbWU6\r\n"  # "Username:"
PASSWORD_PROMPT = b"334 UGFzc3dvcmQ6\r\n"  # "Password:"


async def run(
    pki: TestPKI, canary: str, handler: Handler, port: int = 465
) -> tuple[Outcome, Received]:
    """Diagnose ``port`` served by ``handler``, with a verified certificate: implicit TLS
    on 465 (the listener wraps the socket), STARTTLS (the handler's own) on 587."""
    tls = pki.server_context(CertKind.VALID) if port == 465 else None
    return await hostile_fake(
        handler, {"port": port}, password=canary, tls=tls, tls_accepted=True, pki=pki, timeout=4.0
    )


def auth_commands(rec: Received) -> list[bytes]:
    return [line for line in rec.lines() if line[:5].upper() == b"AUTH "]


def password_sends(rec: Received, canary: str) -> int:
    forms = wire_forms(canary)
    return sum(any(f in line for f in forms) for line in rec.lines())


def lines_after(rec: Received, first: bytes) -> list[bytes]:
    """The client's lines after the first one starting with ``first``, leaving out EHLO
    and QUIT (the probe's connection runs alongside the sign-in and never authenticates,
    so its lines may fall anywhere in the recording)."""
    lines = [line for line in rec.lines() if line.split(b" ", 1)[0].strip() not in _SESSION]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    return lines[start + 1 :]


_SESSION = {b"EHLO", b"HELO", b"QUIT"}


def reset(writer: Writer) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), not a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# --- 26 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_at", ["username", "password"])
async def test_s26_garbage_auth_login_challenge(pki: TestPKI, canary: str, bad_at: str) -> None:
    """Offers only AUTH LOGIN and answers with the challenge ``334 !!not*base64`` (at the
    username prompt, or at the password prompt after a proper username prompt)."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        if bad_at == "password":
            writer.write(USERNAME_PROMPT)
            await writer.drain()
            if not await reader.readline():
                return
        writer.write(b"334 !!not*base64\r\n")
        await writer.drain()
        while await reader.readline():  # anything more (the password?) gets garbage too
            writer.write(b"334 !!not*base64\r\n")
            await writer.drain()

    out, rec = await run(pki, canary, submission_script(ehlo=LOGIN_ONLY, on_auth=on_auth))
    found = out.finding("smtp.protocol_error", 465)
    assert "challenge" in (found.detail or "")
    assert not out.codes & {"auth.ok", "auth.rejected", "auth.connection_lost"}
    assert out.report.auth.result == "error" and out.report.auth.mechanism == "LOGIN"
    # aborted before the password: nothing carrying it reached the server
    assert password_sends(rec, canary) == 0
    assert len(auth_commands(rec)) == 1
    after = lines_after(rec, b"AUTH LOGIN")
    expected = [] if bad_at == "username" else [base64.b64encode(USER.encode()) + b"\r\n"]
    assert after == expected


# --- 27 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ehlo", [PLAIN_LOGIN, LOGIN_ONLY], ids=["plain", "login"])
async def test_s27_endless_334(pki: TestPKI, canary: str, ehlo: bytes) -> None:
    """Answers AUTH and every line after it with ``334 UGFzc3dvcmQ6``, forever."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(PASSWORD_PROMPT)
        await writer.drain()
        while await reader.readline():
            writer.write(PASSWORD_PROMPT)
            await writer.drain()

    out, rec = await run(pki, canary, submission_script(ehlo=ehlo, on_auth=on_auth))
    found = out.finding("smtp.protocol_error", 465)
    assert "did not end" in (found.detail or "")
    assert not out.codes & {"auth.ok", "auth.rejected", "auth.connection_lost"}
    assert out.report.auth.result == "error"
    assert password_sends(rec, canary) == 1  # once, not once per 334
    assert len(auth_commands(rec)) == 1
    # nothing more after the line that carried the password
    forms = wire_forms(canary)
    tail = lines_after(rec, b"AUTH")
    sent_at = next((i for i, line in enumerate(tail) if any(f in line for f in forms)), -1)
    assert tail[sent_at + 1 :] == []
    assert out.elapsed < 2.0  # stopped at the first 334 too many, no waiting for a deadline


# --- 28 ---------------------------------------------------------------------------------------

GMAIL_BAD = (
    b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials "
    b"d9443c01a7336-2345abcd.12 - gsmtp\r\n"
)
GMAIL_APP = (
    b"534-5.7.9 Application-specific password required. For more information, go to\r\n"
    b"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor "
    b"d9443c01a7336-2345abcd.12 - gsmtp\r\n"
)
MS_TENANT = (
    b"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    b"Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
    b"[AM0PR02CA0001.eurprd02.prod.outlook.com 2026-11-27T10:00:00.000Z 08DC0000]\r\n"
)
MS_BASIC = (
    b"550 5.7.30 Basic authentication is not supported for Client Submission. "
    b"[AM0PR02CA0001.eurprd02.prod.outlook.com 2026-11-27T10:00:00.000Z 08DC0000]\r\n"
)
TEMPORARY = b"454 4.7.0 Temporary authentication failure\r\n"
ENCRYPTION = b"538 5.7.11 Encryption required for requested authentication mechanism\r\n"
AUTH_REQUIRED = b"530 5.7.0 Authentication required\r\n"


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (GMAIL_BAD, "auth.rejected"),
        (GMAIL_APP, "auth.app_password_required"),
        (MS_TENANT, "auth.smtp_auth_disabled"),
        # SPEC §4 lists 550 5.7.30 under auth.smtp_auth_disabled (basic auth off)
        (MS_BASIC, "auth.smtp_auth_disabled"),
        (TEMPORARY, "auth.throttled"),
        (ENCRYPTION, "auth.tls_required"),
        # "530 Authentication required" answers MAIL without AUTH (RFC 4954 §6); as the
        # answer to AUTH itself over verified TLS it says nothing about the password,
        # nor about encryption (the channel is encrypted): a protocol oddity.
        (AUTH_REQUIRED, "smtp.protocol_error"),
    ],
    ids=["gmail-535", "gmail-534", "ms-5.7.139", "ms-5.7.30", "454", "538", "530"],
)
async def test_s28_provider_specific_rejections(
    pki: TestPKI, canary: str, reply: bytes, code: str
) -> None:
    """Answers the AUTH command with a provider's real rejection text (multi-line where
    the provider sends it so); offers CRAM-MD5, PLAIN and LOGIN."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(reply)

    ehlo = b"250-mail.emaildiag.test\r\n250 AUTH CRAM-MD5 PLAIN LOGIN\r\n"
    out, rec = await run(pki, canary, submission_script(ehlo=ehlo, on_auth=on_auth))
    assert code in out.codes, sorted(out.codes)
    assert out.finding(code, 465).detail  # the server's own reply as evidence
    if code != "auth.rejected":  # never "wrong password" for what is not
        assert "auth.rejected" not in out.codes
    assert "auth.ok" not in out.codes
    assert out.report.auth.code == int(reply[:3])
    assert out.report.auth.mechanism == "PLAIN"
    # one attempt, one mechanism: no retry with LOGIN or CRAM-MD5
    assert [c.split(b" ")[1] for c in auth_commands(rec)] == [b"PLAIN"]
    if reply[:1] == b"4":  # temporary: the finding says so, never a permanent verdict
        assert not out.codes & {"auth.rejected", "auth.app_password_required"}


# --- 29 ---------------------------------------------------------------------------------------


def _echo(blob: bytes, split: bool) -> bytes:
    password = base64.b64decode(blob).split(b"\0")[2]
    encoded = base64.b64encode(password)
    if not split:
        return b"535 5.7.8 bad credentials for " + encoded + b" (" + password + b")\r\n"
    half = len(encoded) // 2
    return (
        b"535-5.7.8 bad credentials for " + blob + b"\r\n"
        b"535-5.7.8 " + encoded[:half] + b"\r\n"
        b"535 5.7.8 " + encoded[half:] + b" (" + password + b")\r\n"
    )


@pytest.mark.parametrize("split", [False, True], ids=["one-line", "split-over-lines"])
async def test_s29_server_echoes_credentials(pki: TestPKI, canary: str, split: bool) -> None:
    """Rejects AUTH PLAIN quoting what it got: ``535 5.7.8 bad credentials for
    <b64(password)> (<password>)``, or the PLAIN blob and the base64 password cut across
    continuation lines."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(_echo(line.split()[2], split))

    out, rec = await run(pki, canary, submission_script(on_auth=on_auth))
    found = out.finding("auth.rejected", 465)
    assert REDACTED in (found.detail or "")
    assert REDACTED in (out.report.auth.reply or "")
    server_lines = [t.text for t in out.report.transcript if t.direction == "S"]
    assert any(REDACTED in t and "bad credentials" in t for t in server_lines)
    assert out.report.auth.code == 535 and out.report.auth.result == "rejected"
    assert len(auth_commands(rec)) == 1
    # the harness checked every form of the canary is absent from every output


# --- 30 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_s30_reset_mid_auth(pki: TestPKI, canary: str, mechanism: str) -> None:
    """Resets the connection (RST, SO_LINGER 0) right after ``AUTH PLAIN …``, or in LOGIN
    right after the username."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        if mechanism == "LOGIN":
            writer.write(USERNAME_PROMPT)
            await writer.drain()
            await reader.readline()  # the username
        reset(writer)
        raise ConnectionResetError("reset by the fake")

    ehlo = PLAIN_LOGIN if mechanism == "PLAIN" else LOGIN_ONLY
    out, rec = await run(pki, canary, submission_script(ehlo=ehlo, on_auth=on_auth))
    found = out.finding("auth.connection_lost", 465)
    assert found.severity.value == "error"
    assert not out.codes & {"auth.rejected", "auth.ok", "auth.throttled"}
    assert out.report.auth.result == "error" and out.report.auth.mechanism == mechanism
    assert len(auth_commands(rec)) == 1  # no retry, no second mechanism
    assert rec.connections == 2  # the probe and the one sign-in: no reconnect to retry
    assert password_sends(rec, canary) == (1 if mechanism == "PLAIN" else 0)


# --- 31 ---------------------------------------------------------------------------------------


async def test_s31_several_mechanisms_first_fails(pki: TestPKI, canary: str) -> None:
    """Advertises ``AUTH CRAM-MD5 PLAIN LOGIN XOAUTH2`` and rejects the first attempt
    with 535."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        writer.write(b"535 5.7.8 Error: authentication failed: authentication failure\r\n")

    ehlo = b"250-mail.emaildiag.test\r\n250-PIPELINING\r\n250 AUTH CRAM-MD5 PLAIN LOGIN XOAUTH2\r\n"
    out, rec = await run(pki, canary, submission_script(ehlo=ehlo, on_auth=on_auth))
    assert "auth.rejected" in out.codes
    assert out.report.auth.mechanism == "PLAIN"
    # why PLAIN: what the server offered is reported beside the one mechanism tried
    assert out.report.auth.offered == ("CRAM-MD5", "PLAIN", "LOGIN", "XOAUTH2")
    assert out.report.to_dict()["auth"]["offered"] == ["CRAM-MD5", "PLAIN", "LOGIN", "XOAUTH2"]
    assert "PLAIN (the server offers: CRAM-MD5 PLAIN LOGIN XOAUTH2)" in out.report.to_html()
    assert [c.split(b" ")[1].strip() for c in auth_commands(rec)] == [b"PLAIN"]
    assert password_sends(rec, canary) == 1


async def test_s31_mechanism_advertised_only_before_tls(pki: TestPKI, canary: str) -> None:
    """STARTTLS on 587: the plaintext EHLO advertises ``AUTH PLAIN``, the EHLO after the
    handshake only ``AUTH LOGIN``; LOGIN then succeeds."""

    async def on_auth(reader: Reader, writer: Writer, line: bytes) -> None:
        if not line.upper().startswith(b"AUTH LOGIN"):
            writer.write(b"504 5.5.4 Unrecognized authentication type\r\n")
            return
        writer.write(USERNAME_PROMPT)
        await writer.drain()
        await reader.readline()
        writer.write(PASSWORD_PROMPT)
        await writer.drain()
        await reader.readline()
        writer.write(AUTH_OK)

    handler = submission_script(
        ehlo=b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
        ehlo_tls=b"250-mail.emaildiag.test\r\n250 AUTH LOGIN\r\n",
        starttls=pki.server_context(CertKind.VALID),
        on_auth=on_auth,
    )
    out, rec = await run(pki, canary, handler, port=587)
    assert "auth.ok" in out.codes
    assert out.report.auth.mechanism == "LOGIN"
    assert out.report.auth.offered == ("LOGIN",)  # the list from after the handshake
    assert [c.strip() for c in auth_commands(rec)] == [b"AUTH LOGIN"]
    assert not any(line.startswith(b"AUTH PLAIN") for line in rec.lines())
    assert not any(line.startswith(b"AUTH") for line in rec.lines(over_tls=False))
    assert password_sends(rec, canary) == 1
