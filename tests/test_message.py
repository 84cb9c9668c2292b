"""The test email (SPEC §2.8): headers, body, envelope, PDF attachment, and a real delivery."""

from __future__ import annotations

import email
import email.policy
import importlib.util
import io
import re
import smtplib
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage, Message
from email.utils import parsedate_to_datetime

import pytest

from emaildiag.message import (
    PDF_FILENAME,
    SUBJECTS,
    build_test_message,
    envelope_recipients,
    summary_pdf,
)
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI

SENDER = "Alice Shop <alice@shop.example>"
TO = "bob@example.org"
REPLY_TO = "orders@shop.example"
COPY_TO = "archive@shop.example"
SUMMARY = {
    "host": "smtp.mail-host.example",
    "port": "587",
    "security": "STARTTLS",
    "username": "alice@shop.example",
}
NOW = datetime(2024, 5, 17, 9, 30, 5, tzinfo=timezone(timedelta(hours=2)))
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
RENDERERS = [
    pytest.param(
        "matplotlib",
        marks=pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib not installed"),
    ),
    "builtin",
]


def build(**overrides: object) -> EmailMessage:
    args: dict[str, object] = {
        "sender": SENDER,
        "to": TO,
        "reply_to": REPLY_TO,
        "settings_summary": SUMMARY,
        "now": NOW,
    }
    args.update(overrides)
    return build_test_message(**args)  # type: ignore[arg-type]


def plain_body(msg: Message) -> str:
    assert isinstance(msg, EmailMessage)
    part = msg.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def pdf_parts(msg: Message) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() == "application/pdf"]


def assert_valid_pdf(data: bytes) -> None:
    """Structure check: header, one page, an xref table whose offsets hit their objects."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/Type\s*/Page\b", data)
    assert re.search(rb"trailer\s*<<.*?/Root\s+\d+\s+0\s+R", data, re.S)
    startxref = re.findall(rb"startxref\s+(\d+)\s+%%EOF", data)
    assert startxref, "no startxref before %%EOF"
    offset = int(startxref[-1])
    section = re.match(rb"xref\s+(\d+)\s+(\d+)\s*\n", data[offset:])
    assert section, "startxref does not point at an xref table"
    first, count = int(section[1]), int(section[2])
    table = data[offset + section.end() :]
    for index in range(count):
        entry = table[index * 20 : index * 20 + 20]
        assert re.fullmatch(rb"\d{10} \d{5} [nf](?: \n| \r|\r\n)", entry), entry
        if entry[17:18] == b"n":
            number = first + index
            target = int(entry[:10])
            assert data[target:].startswith(b"%d 0 obj" % number), f"object {number}"
    if importlib.util.find_spec("pypdf") is not None:
        import pypdf  # type: ignore[import-not-found, unused-ignore]

        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1


def test_headers_with_reply_to() -> None:
    msg = build()
    assert msg["From"] == SENDER
    assert msg["To"] == TO
    assert msg["Reply-To"] == REPLY_TO
    assert msg["Subject"] == SUBJECTS["en"]
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert re.fullmatch(r"<[^@<>]+@shop\.example>", msg["Message-ID"])
    assert "Bcc" not in msg


def test_reply_to_absent_when_not_given() -> None:
    msg = build(reply_to="")
    assert "Reply-To" not in msg
    assert "Bcc" not in msg


def test_message_id_domain_override_and_idn_a_label() -> None:
    assert build(message_id_domain="mx.example")["Message-ID"].endswith("@mx.example>")
    msg = build(sender="alice@bücher.example")
    assert msg["Message-ID"].endswith("@xn--bcher-kva.example>")
    assert msg.as_bytes(policy=email.policy.SMTP).isascii()


def test_body_names_the_settings_and_time_not_a_password(canary: str) -> None:
    body = plain_body(build())
    for value in SUMMARY.values():
        assert value in body
    assert "2024-05-17 09:30:05" in body
    assert canary not in build().as_string()


def test_italian_subject_and_body() -> None:
    msg = build(lang="it")
    assert msg["Subject"] == SUBJECTS["it"]
    assert msg.get_body(("plain",))["Content-Language"] == "it"  # type: ignore[index]
    body = plain_body(msg)
    assert body != plain_body(build(lang="en"))
    assert SUMMARY["host"] in body and SUMMARY["port"] in body


@pytest.mark.parametrize("key", ["password", "Password", "smtp_password", "client-secret", "token"])
def test_secret_key_in_summary_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        build(settings_summary={**SUMMARY, key: "x"})
    with pytest.raises(ValueError):
        summary_pdf({**SUMMARY, key: "x"}, renderer="builtin")


@pytest.mark.parametrize("field", ["sender", "to", "reply_to"])
@pytest.mark.parametrize("tail", ["\r\nBcc: evil@attacker.example", "\nX-Evil: 1", "\r"])
def test_cr_lf_in_an_address_is_refused(field: str, tail: str) -> None:
    with pytest.raises(ValueError):
        build(**{field: f"someone@example.org{tail}"})


def test_cr_lf_in_summary_or_envelope_is_refused() -> None:
    with pytest.raises(ValueError):
        build(settings_summary={"host": "smtp.example\r\nBcc: x@y.example"})
    with pytest.raises(ValueError):
        envelope_recipients(TO, "copy@example.org\r\nRCPT TO:<x@y.example>")


@pytest.mark.parametrize("value", ["a@example.org, b@example.org", "not-an-address", ""])
def test_address_field_holds_exactly_one_address(value: str) -> None:
    with pytest.raises(ValueError):
        build(to=value)


def test_naive_clock_and_unknown_language_are_refused() -> None:
    with pytest.raises(ValueError):
        build(now=datetime(2024, 5, 17, 9, 30))
    with pytest.raises(ValueError):
        build(lang="xx")


def test_envelope_recipients() -> None:
    assert envelope_recipients(TO) == [TO]
    assert envelope_recipients(TO, COPY_TO) == [TO, COPY_TO]
    assert envelope_recipients(TO, TO) == [TO]
    assert envelope_recipients("Bob <bob@Example.ORG>", "bob@example.org") == ["bob@Example.ORG"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_summary_pdf_is_valid(renderer: str) -> None:
    data = summary_pdf({**SUMMARY, "note": "a (b) \\ $x$ — è"}, "it", renderer=renderer)  # type: ignore[arg-type]
    assert_valid_pdf(data)


def test_builtin_pdf_holds_the_settings_as_text() -> None:
    data = summary_pdf(SUMMARY, renderer="builtin")
    for value in SUMMARY.values():
        assert value.encode() in data


def test_auto_renderer_falls_back_without_matplotlib() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from emaildiag.message import summary_pdf\n"
        "sys.stdout.buffer.write(summary_pdf({'host': 'h.example'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert_valid_pdf(out)
    assert b"h.example" in out


def test_import_does_not_load_matplotlib() -> None:
    code = (
        "import sys, emaildiag.message\n"
        "print(any(m.split('.')[0] == 'matplotlib' for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("renderer", RENDERERS)
def test_attach_pdf_adds_one_valid_pdf_part(renderer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if renderer == "builtin":
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        for name in [m for m in sys.modules if m.startswith("matplotlib.")]:
            monkeypatch.setitem(sys.modules, name, None)
    msg = build(attach_pdf=True)
    parts = pdf_parts(msg)
    assert len(parts) == 1
    assert parts[0].get_filename() == PDF_FILENAME
    assert parts[0].get_content_disposition() == "attachment"
    data = parts[0].get_payload(decode=True)
    assert isinstance(data, bytes)
    assert_valid_pdf(data)
    assert (b"/BaseFont /Helvetica" in data) == (renderer == "builtin")


def test_smtp_serialisation_round_trips_with_crlf() -> None:
    msg = build(attach_pdf=True, lang="it")
    wire = msg.as_bytes(policy=email.policy.SMTP)
    assert wire.isascii()
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert not re.search(rb"(?im)^bcc:", wire)
    back = email.message_from_bytes(wire, policy=email.policy.default)
    for name in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID"):
        assert back[name] == msg[name]
    assert plain_body(back).replace("\r\n", "\n") == plain_body(msg)
    assert pdf_parts(back)[0].get_payload(decode=True) == pdf_parts(msg)[0].get_payload(decode=True)


def test_real_delivery_over_smtp(pki: TestPKI) -> None:
    msg = build(attach_pdf=True)
    spec = ServerSpec(mode="plain", auth_require_tls=False)
    with SmtpTestServer(spec, pki) as server:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            refused = client.sendmail(
                "alice@shop.example",
                envelope_recipients(TO, COPY_TO),
                msg.as_bytes(policy=email.policy.SMTP),
            )
        assert refused == {}
        [received] = server.messages
    assert received.mail_from == "alice@shop.example"
    assert set(received.rcpt_tos) == {TO, COPY_TO}
    assert COPY_TO.encode() not in received.data
    delivered = email.message_from_bytes(received.data, policy=email.policy.default)
    assert delivered["Reply-To"] == REPLY_TO
    assert "Bcc" not in delivered
    assert delivered["Message-ID"] == msg["Message-ID"]
    [pdf] = pdf_parts(delivered)
    data = pdf.get_payload(decode=True)
    assert isinstance(data, bytes)
    assert_valid_pdf(data)
    assert parsedate_to_datetime(delivered["Date"]).astimezone(UTC) == NOW.astimezone(UTC)
