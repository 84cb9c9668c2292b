"""Fault catalogue E (faults-and-security §8, scenario 32): the test email's DATA outcomes.

The fake signs the user in over implicit TLS with a verified certificate (so the password
goes out once, rightly), then answers the envelope and the message as scripted. The
message must go out once, with CRLF line ends and dot-stuffing, and never be resent."""

from __future__ import annotations

import asyncio
import email.policy
from dataclasses import dataclass, field

import pytest
from harness import Outcome, hostile_fake

from emaildiag.message import build_test_message
from emaildiag.model import Severity
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import Handler, Hook, Received, submission_script

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
DOMAIN = "emaildiag.test"


def dotted_user() -> str:
    """An address whose test email has a body line starting with "." (quoted-printable
    breaks the long username in the settings summary right before ".test"), so the
    message really needs dot-stuffing."""
    for n in range(40, 64):
        user = "x" * n + f".y@{DOMAIN}"
        summary = {"host": "mail.emaildiag.test", "port": "465", "security": "implicit"}
        msg = build_test_message(
            sender=user, to=user, settings_summary={**summary, "username": user}
        )
        if any(
            line.startswith(b".") for line in msg.as_bytes(policy=email.policy.SMTP).split(b"\r\n")
        ):
            return user
    raise AssertionError("no username gives the test email a line starting with '.'")


USER = dotted_user()


@dataclass
class Script:
    """What the fake answers: to RCPT, and after the message's final "." (``None``:
    nothing, ever)."""

    rcpt: bytes = b"250 2.1.5 OK\r\n"
    after_data: bytes | None = b"250 2.0.0 Ok: queued as 4F2AB1C3\r\n"
    delay: float = 0.0  # a slow server: seconds before answering MAIL, RCPT and DATA
    data: list[bytes] = field(default_factory=list)  # each DATA's raw lines, "." included


def fake(script: Script) -> Handler:
    """Implicit-TLS submission server: accepts AUTH PLAIN, then follows ``script``."""

    def slow(reply: bytes) -> Hook:
        async def answer(reader: Reader, writer: Writer, line: bytes) -> None:
            await asyncio.sleep(script.delay)
            writer.write(reply)

        return answer

    async def data(reader: Reader, writer: Writer, line: bytes) -> None:
        await asyncio.sleep(script.delay)
        writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        await writer.drain()
        body: list[bytes] = []
        script.data.append(b"")
        while chunk := await reader.readline():
            body.append(chunk)
            script.data[-1] = b"".join(body)
            if chunk == b".\r\n":
                break
        if script.after_data is None:
            await asyncio.sleep(3600)  # never confirms
        writer.write(script.after_data)

    replies = {b"MAIL": slow(b"250 2.0.0 OK\r\n"), b"RCPT": slow(script.rcpt), b"DATA": data}
    return submission_script(replies=replies)


async def run(
    pki: TestPKI, canary: str, script: Script, timeout: float = 4.0
) -> tuple[Outcome, Received]:
    return await hostile_fake(
        fake(script),
        {"port": 465, "username": USER},
        password=canary,
        tls=pki.server_context(CertKind.VALID),
        tls_accepted=True,
        pki=pki,
        timeout=timeout,
        send_test="",
    )


def data_commands(rec: Received) -> int:
    return sum(line == b"DATA\r\n" for line in rec.lines())


def assert_wire_format(raw: bytes) -> None:
    """CRLF everywhere, the "." end mark once at the very end, and every body line that
    starts with "." doubled (RFC 5321 §4.5.2)."""
    assert raw.endswith(b"\r\n.\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in the message"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR in the message"
    lines = raw[: -len(b".\r\n")].split(b"\r\n")[:-1]
    assert b"." not in lines, "a lone '.' line would end the message early"
    dotted = [line for line in lines if line.startswith(b".")]
    assert dotted, "the test message should hold a line that needs dot-stuffing"
    assert all(line.startswith(b"..") for line in dotted), dotted


@pytest.mark.parametrize("delay", [0.0, 0.8], ids=["reply-limit", "run-deadline"])
async def test_s32a_no_reply_after_the_final_dot(pki: TestPKI, canary: str, delay: float) -> None:
    """Answers 354 and reads the message, then never answers the final ".". Quick
    otherwise (the wait for the reply runs out first), or slow enough at MAIL, RCPT and
    DATA that the run's own deadline cuts the wait."""
    script = Script(after_data=None, delay=delay)
    out, rec = await run(pki, canary, script, timeout=3.0)
    if delay:
        assert "run.check_timed_out" in out.codes
    found = out.finding("send.outcome_unknown", 465)
    assert found.severity is Severity.WARNING
    assert "twice" in (found.fix or "")  # do not resend blindly
    assert not out.codes & {
        "send.ok",
        "send.message_rejected",
        "send.temporary_failure",
        "auth.connection_lost",
        "auth.rejected",
    }
    assert out.report.auth.result == "ok"
    assert out.report.send.result == "error" and out.report.send.stage == "data"
    assert data_commands(rec) == 1 and len(script.data) == 1  # never resent
    assert_wire_format(script.data[0])


async def test_s32b_accepted_then_421(pki: TestPKI, canary: str) -> None:
    """Accepts the message with 250 and, in the same write, says 421 and closes."""
    script = Script(
        after_data=b"250 2.0.0 Ok: queued as 4F2AB1C3\r\n421 4.3.2 Service shutting down\r\n"
    )
    out, rec = await run(pki, canary, script)
    found = out.finding("send.ok", 465)
    assert "4F2AB1C3" in (found.detail or "")
    assert out.report.send.result == "ok" and out.report.send.queue_id == "4F2AB1C3"
    assert not out.codes & {"send.outcome_unknown", "send.temporary_failure", "smtp.protocol_error"}
    assert data_commands(rec) == 1 and len(script.data) == 1
    assert_wire_format(script.data[0])


@pytest.mark.parametrize(
    ("rcpt", "code", "severity", "result"),
    [
        (
            b"450 4.7.1 <x@emaildiag.test>: Recipient address rejected: Greylisted, "
            b"see http://postgrey.schweikert.ch/help/emaildiag.test.html\r\n",
            "send.temporary_failure",
            Severity.WARNING,
            "error",
        ),
        (
            b"550 5.1.1 <x@emaildiag.test>: Recipient address rejected: "
            b"User unknown in virtual mailbox table\r\n",
            "send.recipient_rejected",
            Severity.ERROR,
            "rejected",
        ),
    ],
    ids=["450-greylisted", "550-unknown-user"],
)
async def test_s32cd_recipient_refused(
    pki: TestPKI, canary: str, rcpt: bytes, code: str, severity: Severity, result: str
) -> None:
    """Answers RCPT with greylisting (450 4.7.1) or an unknown user (550 5.1.1)."""
    script = Script(rcpt=rcpt)
    out, rec = await run(pki, canary, script)
    found = out.finding(code, 465)
    assert found.severity is severity
    assert rcpt[:3].decode() in found.title
    assert out.report.send.result == result and out.report.send.stage == "rcpt"
    others = {
        "send.ok",
        "send.temporary_failure",
        "send.recipient_rejected",
        "send.outcome_unknown",
    }
    assert not out.codes & (others - {code})
    assert "send.message_rejected" not in out.codes
    assert data_commands(rec) == 0 and not script.data  # no message after a refused RCPT
    assert sum(line.startswith(b"RCPT") for line in rec.lines()) == 1  # no retry
