"""The test email through the whole engine: delivered once, to the right envelope, as built."""

from __future__ import annotations

import email
import email.policy

import pytest

from emaildiag import adiagnose
from emaildiag.checks.dns import StaticResolver
from emaildiag.demo import DEMO_USER, demo_environment
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.scripted import scripted_server

HOST = "mail.emaildiag.test"


@pytest.mark.parametrize("attach_pdf", [False, True])
async def test_test_email_is_delivered_with_copy_and_reply_to(attach_pdf: bool) -> None:
    with demo_environment("ok") as env:
        settings = env.settings() | {
            "copy_to": "archive@emaildiag.test",
            "reply_to": "office@emaildiag.test",
        }
        report = await adiagnose(settings, send_test="", attach_pdf=attach_pdf, **env.options())
        messages = list(env.main.messages) + list(env.other.messages)
    assert "send.ok" in report.codes()
    assert report.send.result == "ok" and report.send.stage == "data" and report.send.code == 250
    assert report.send.queue_id  # the server's reply names the message
    [received] = messages  # delivered exactly once
    assert received.mail_from == DEMO_USER
    assert sorted(received.rcpt_tos) == sorted([DEMO_USER, "archive@emaildiag.test"])
    msg = email.message_from_bytes(received.data, policy=email.policy.default)
    assert msg["Reply-To"] == "office@emaildiag.test" and msg["To"] == DEMO_USER
    assert msg["Bcc"] is None and b"archive@emaildiag.test" not in received.data
    assert env.password not in received.data.decode("utf-8", "replace")
    pdfs = [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    if attach_pdf:
        [pdf] = pdfs
        data = pdf.get_payload(decode=True)
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    else:
        assert pdfs == []


async def test_test_email_to_another_address_in_italian() -> None:
    with demo_environment("ok") as env:
        report = await adiagnose(
            env.settings(), send_test="bob@emaildiag.test", lang="it", **env.options()
        )
        [received] = list(env.main.messages)
    assert list(received.rcpt_tos) == ["bob@emaildiag.test"]
    assert (
        "prova" in email.message_from_bytes(received.data, policy=email.policy.default)["Subject"]
    )
    assert "send.ok" in report.codes()


@pytest.mark.parametrize(
    ("data_reply", "code", "result"),
    [
        (b"554 5.7.1 Message rejected as spam\r\n", "send.message_rejected", "rejected"),
        (b"552 5.3.4 Message size exceeds fixed limit\r\n", "send.message_rejected", "rejected"),
        (b"451 4.7.1 Please try again later\r\n", "send.temporary_failure", "error"),
    ],
)
async def test_a_refused_message_is_reported_and_not_resent(
    pki: TestPKI, data_reply: bytes, code: str, result: str
) -> None:
    datas: list[bytes] = []

    async def accept(line: bytes) -> bytes:
        return b"235 2.7.0 Accepted\r\n"

    async def handler(reader, writer):  # type: ignore[no-untyped-def]
        writer.write(b"220 x ESMTP\r\n")
        while line := await reader.readline():
            if line.startswith(b"EHLO"):
                writer.write(b"250-x\r\n250 AUTH PLAIN\r\n")
            elif line.startswith(b"AUTH"):
                writer.write(await accept(line))
            elif line.startswith(b"DATA"):
                datas.append(line)
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while (body := await reader.readline()) != b".\r\n":
                    if not body:
                        return
                writer.write(data_reply)
            elif line.startswith(b"QUIT"):
                writer.write(b"221 bye\r\n")
            else:
                writer.write(b"250 OK\r\n")
            await writer.drain()

    async with scripted_server(handler, pki.server_context(CertKind.VALID)) as port:
        report = await adiagnose(
            {"host": HOST, "port": port, "username": DEMO_USER, "password": "pw"},
            send_test="",
            ports=[port],
            port_modes={port: "implicit"},
            ca_file=str(pki.ca_file),
            resolver=StaticResolver({(HOST, "A"): ["127.0.0.1"]}),
            timeout=5,
        )
    assert code in report.codes()
    assert report.send.result == result and report.send.stage == "data"
    assert len(datas) == 1  # never resent
