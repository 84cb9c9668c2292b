"""Fault catalogue §8 G (faults-and-security.md): what people type into the form.

Every scenario runs the whole engine through ``hostile()``, so the §0 invariants hold on
each run; names resolve through a recording ``StaticResolver`` to loopback fakes that
record every line they are sent, so a test can say what reached the wire, and that
nothing did when the settings stop the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from harness import PLAIN_EHLO, USER, hostile, hostile_fake

from emaildiag.checks.dns import StaticResolver
from emaildiag.model import Severity
from emaildiag.testing import CertKind, ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.scripted import Received, scripted_server, smtp_script

GMAIL = "smtp.gmail.com"


@dataclass
class RecordingResolver(StaticResolver):
    """A StaticResolver that notes every name it is asked for."""

    asked: list[tuple[str, str]] = field(default_factory=list)

    async def resolve(self, name: str, rdtype: str) -> list[str]:
        self.asked.append((name, rdtype))
        return await super().resolve(name, rdtype)


def loopback(*names: str) -> RecordingResolver:
    return RecordingResolver({(n, "A"): ["127.0.0.1"] for n in names})


def assert_clean_lines(rec: Received) -> None:
    """Every line the fake got is one command: CRLF only at its end, no bare CR or LF."""
    for line in rec.lines():
        body = line.removesuffix(b"\r\n")
        assert line.endswith(b"\r\n") and b"\r" not in body and b"\n" not in body, line


@contextlib.asynccontextmanager
async def plain_fake() -> AsyncIterator[tuple[int, Received]]:
    """A plain SMTP fake without STARTTLS (the engine never sends a password to it)."""
    rec = Received()
    async with scripted_server(smtp_script(ehlo=PLAIN_EHLO), received=rec) as port:
        yield port, rec


@pytest.fixture(scope="module")
def gmail_pki() -> Iterator[TestPKI]:
    """Certificates for smtp.gmail.com from the test CA: the provider's host on loopback."""
    with TestPKI(hostname=GMAIL) as p:
        yield p


# --- G36 -----------------------------------------------------------------------------------------

_ACCEPTED = [
    # what is typed, the host and port it must become
    ("smtp.gmail.com:587", GMAIL, 587),
    ("https://smtp.gmail.com", GMAIL, 587),
    ("smtp://smtp.gmail.com:25", GMAIL, 25),
    ("  smtp.example.com  ", "smtp.example.com", 587),
    ("smtp.example.com.", "smtp.example.com", 587),
    ("SMTP.Example.COM", "smtp.example.com", 587),
    ("ｓｍｔｐ.ｅｘａｍｐｌｅ.ｃｏｍ", "smtp.example.com", 587),
]


@pytest.mark.parametrize(("typed", "host", "port"), _ACCEPTED)
async def test_s36_host_field_zoo_normalised(typed: str, host: str, port: int, canary: str) -> None:
    """The Host field holds a host:port, a web URL, an smtp:// URL, surrounding spaces,
    a trailing dot, capitals or full-width characters. The normalised host and port are
    shown before connecting, only the normalised name is looked up and dialled, and
    the fake is sent nothing of the raw text."""
    dns = loopback(host)
    async with plain_fake() as (fake, rec):
        out = await hostile(
            {"host": typed, "port": None},
            password=canary,
            port_map={25: fake, 465: fake, 587: fake},
            received=[rec],
            resolver=dns,
            ports=[port],
        )
    f = out.finding("settings.host_normalized")
    assert f.severity is Severity.INFO
    assert (f.params["host"], f.port, f.params["original"]) == (host, port, typed)
    assert out.report.settings["host"] == host and out.report.settings["port"] == port
    assert {name for name, _ in dns.asked if name.startswith("smtp")} == {host}
    assert {(p.port, p.address) for p in out.report.probes} == {(port, "127.0.0.1")}
    assert rec.connections >= 1
    assert_clean_lines(rec)
    assert all(line.isascii() and b"://" not in line for line in rec.lines()), rec.lines()
    assert "settings.host_invalid" not in out.codes


_REJECTED = [
    # what is typed, words the rejection's detail must carry
    (
        "user@gmail.com",
        "This is an email address, not a server; the server is often smtp.gmail.com",
    ),
    ("host\r\nRSET", "line break"),
    ("smtp.gmail.com\r\nRSET", "line break"),
    ("smtp. gmail.com", "spaces"),
]


@pytest.mark.parametrize(("typed", "words"), _REJECTED)
async def test_s36_host_field_zoo_rejected(typed: str, words: str, canary: str) -> None:
    """The Host field holds an email address, a CRLF-injected command or an inner space:
    a specific rejection, and the run stops before any lookup or connection (so no CR
    or LF, and no RSET, can reach a server)."""
    dns = loopback(GMAIL, "host")
    async with plain_fake() as (fake, rec):
        out = await hostile(
            {"host": typed},
            password=canary,
            port_map={587: fake},
            received=[rec],
            resolver=dns,
        )
    f = out.finding("settings.host_invalid")
    assert f.severity is Severity.ERROR and words in (f.detail or ""), f.detail
    assert "\r" not in f.params["value"] and "\n" not in f.params["value"]
    assert "settings.host_normalized" not in out.codes
    assert out.report.settings["host"] == ""
    assert out.report.probes == () and out.report.dns is None
    assert dns.asked == [] and rec.connections == 0


async def test_s36_bracketed_ipv6_with_port(canary: str) -> None:
    """The Host field holds "[2001:db8::1]:587". The address and port are taken apart and
    shown; the documentation range is not routed here, so an invalid Email field stops
    the run before any connection, and no probe is made to it."""
    dns = loopback()
    out = await hostile(
        {"host": "[2001:db8::1]:587", "port": "", "email": "not an address"},
        password=canary,
        resolver=dns,
    )
    f = out.finding("settings.host_normalized")
    assert (f.params["host"], f.port) == ("2001:db8::1", 587)
    assert "settings.host_is_ip" in out.codes
    assert out.report.settings["host"] == "2001:db8::1" and out.report.settings["port"] == 587
    assert out.finding("settings.email_invalid").params["field"] == "email"
    assert out.report.probes == () and dns.asked == []


# --- G37 -----------------------------------------------------------------------------------------


async def test_s37_spaced_google_app_password(gmail_pki: TestPKI) -> None:
    """A Google app password pasted in its four groups, "abcd efgh ijkl mnop", for
    smtp.gmail.com (a TLS fake with the test CA). The spaces are removed and the report
    says so; one AUTH, with the joined password, signs in."""
    spaced, joined = "abcd efgh ijkl mnop", "abcdefghijklmnop"
    user = "alice@gmail.com"
    with SmtpTestServer(ServerSpec(users={user: joined}), gmail_pki) as srv:
        out = await hostile(
            {"host": GMAIL, "username": user},
            password=spaced,
            port_map={587: srv.port},
            auth_log=srv.auth_log,
            tls_accepted=True,
            pki=gmail_pki,
            resolver=loopback(GMAIL),
        )
    f = out.finding("settings.password_whitespace")
    assert f.detail == "The spaces between the groups of the Gmail app password were removed."
    assert len(srv.auth_log) == 1 and srv.auth_log[0].success
    assert out.report.auth.result == "ok"
    assert joined not in out.outputs and spaced not in out.outputs


@pytest.mark.parametrize(
    ("tail", "words", "accepted"),
    [
        ("\n", "0 blank character(s) at the start, 1 at the end. Invisible characters: U+000A.", 0),
        ("\u00a0x", "Invisible characters: NO-BREAK SPACE.", 1),
        (" ", "0 blank character(s) at the start, 1 at the end.", 0),
    ],
    ids=["trailing_newline", "nbsp_inside", "trailing_space"],
)
async def test_s37_invisible_characters_are_reported_not_rewritten(
    tail: str, words: str, accepted: int, pki: TestPKI, canary: str
) -> None:
    """A password with a trailing newline, a no-break space inside, or a trailing space
    (password managers and copy-paste). The report names the invisible characters
    (never the value); the password goes out exactly as typed, once: the server's
    account is the canary without the extra character, except for the NBSP case,
    whose account holds the NBSP, so only an unaltered password signs in."""
    typed = canary + tail
    account = typed if accepted else canary
    with SmtpTestServer(ServerSpec(users={USER: account}), pki) as srv:
        out = await hostile(
            password=typed,
            port_map={587: srv.port},
            auth_log=srv.auth_log,
            tls_accepted=True,
            pki=pki,
        )
    f = out.finding("settings.password_whitespace")
    assert f.severity is Severity.WARNING and f.detail == words
    assert len(srv.auth_log) == 1, srv.auth_log  # never a second try "without the space"
    assert srv.auth_log[0].success is bool(accepted)
    assert out.report.auth.result == ("ok" if accepted else "rejected")
    assert canary not in out.outputs  # nor the variant without the extra character


async def test_s37_empty_password(pki: TestPKI, canary: str) -> None:
    """No password at all: the settings say it is missing, the server's checks still
    run, and no AUTH is ever sent."""
    with SmtpTestServer(ServerSpec(users={USER: canary}), pki) as srv:
        out = await hostile(
            {"password": ""},
            password=canary,
            port_map={587: srv.port},
            auth_log=srv.auth_log,
            pki=pki,
        )
    assert out.finding("settings.password_missing").severity is Severity.WARNING
    assert srv.auth_log == [] and out.report.auth.result == "not_attempted"
    assert out.probe(587).tls is not None and out.probe(587).tls.verified


async def test_s37_local_part_only_username(gmail_pki: TestPKI, canary: str) -> None:
    """Username "alice" for smtp.gmail.com (which wants the full address) and no Email
    field: the report asks for the full address and the sending address, and no
    password is spent on a username Gmail would refuse."""
    with SmtpTestServer(ServerSpec(users={"alice@gmail.com": canary}), gmail_pki) as srv:
        out = await hostile(
            {"host": GMAIL, "username": "alice"},
            password=canary,
            port_map={587: srv.port},
            auth_log=srv.auth_log,
            pki=gmail_pki,
            resolver=loopback(GMAIL),
        )
    assert out.finding("settings.email_required").params["username"] == "alice"
    form = out.finding("settings.username_form")
    assert form.params == {"provider": "Gmail", "expected": "your full email address"}
    assert srv.auth_log == [] and srv.sessions == 0
    assert out.report.settings["username"] == "alice"  # a hint, never a rewrite


# --- G38 -----------------------------------------------------------------------------------------

_BAD_ADDRESSES = {
    "crlf_rcpt": "a@b.c\r\nRCPT TO:<x@y.z>",
    "two_addresses": "a@b.c, evil@x.org",
    "paren_angle": "alice@example.org)<bob@example.org>",
    "too_long": "a" * 63 + "@" + ".".join(["c" * 57] * 4) + ".test",  # 300 characters
}


@pytest.mark.parametrize("name", list(_BAD_ADDRESSES))
@pytest.mark.parametrize("fld", ["email", "copy_to", "reply_to", "recipient", "send_test"])
async def test_s38_address_fields(fld: str, name: str, canary: str) -> None:
    """An address field (Email, Copy to, Reply to, or the recipient of the sender
    check or of the test email) holds a CRLF-injected second RCPT, two addresses, a
    parenthesis-and-angle trick that parseaddr reads as another address, or a
    300-character address. The field is named as invalid, no other address is taken
    from it, and the run stops before anything reaches the fake."""
    value = _BAD_ADDRESSES[name]
    assert name != "too_long" or len(value) == 300
    settings: dict[str, Any] = {}
    options: dict[str, Any] = {}
    (options if fld in ("recipient", "send_test") else settings)[fld] = value
    async with plain_fake() as (fake, rec):
        out = await hostile(
            settings, password=canary, port_map={587: fake}, received=[rec], **options
        )
    (f,) = [f for f in out.findings("settings.email_invalid") if f.params["field"] == fld]
    assert f.severity is Severity.ERROR
    assert "\r" not in f.params["value"] and "\n" not in f.params["value"]
    if fld not in ("recipient", "send_test"):
        assert out.report.settings[fld] == ""  # never a different address parsed out
    for other in ("bob@example.org", "evil@x.org", "x@y.z"):
        assert other not in {out.report.settings.get(k) for k in ("email", "copy_to", "reply_to")}
    assert out.report.probes == () and rec.connections == 0


UTF8_USER = "jörg@emaildiag.test"
NO_SMTPUTF8_EHLO = b"250-mail.emaildiag.test\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n"


async def _sign_in_ok(_line: bytes) -> bytes:
    return b"235 2.7.0 accepted\r\n"


async def test_s38_utf8_local_part_without_smtputf8(pki: TestPKI, canary: str) -> None:
    """Username and sender "jörg@emaildiag.test" (valid under SMTPUTF8). The TLS fake on
    465 signs the user in but does not offer SMTPUTF8: the report says the server does
    not accept international addresses, and no MAIL FROM (nor RCPT) is sent."""
    out, rec = await hostile_fake(
        smtp_script(ehlo=NO_SMTPUTF8_EHLO, on_auth=_sign_in_ok),
        {"username": UTF8_USER, "port": 465},
        password=canary,
        tls=pki.server_context(CertKind.VALID),
        tls_accepted=True,
        pki=pki,
    )
    assert out.report.settings["username"] == UTF8_USER
    assert "settings.email_invalid" not in out.codes and out.report.auth.result == "ok"
    (f,) = out.findings("send.smtputf8_missing")
    assert f.port == 465 and f.severity is Severity.ERROR and f.params["email"] == UTF8_USER
    assert out.report.send.result == "rejected"
    verbs = {line.split(b":")[0].split(b" ")[0].upper() for line in rec.lines(over_tls=True)}
    assert b"MAIL" not in verbs and b"RCPT" not in verbs, rec.lines()
    assert_clean_lines(rec)


async def test_s38_utf8_local_part_with_smtputf8(pki: TestPKI, canary: str) -> None:
    """The same address against a server that offers SMTPUTF8 (aiosmtpd): the sender
    check declares it on MAIL FROM and the server accepts the sender."""
    with SmtpTestServer(ServerSpec(users={UTF8_USER: canary}), pki) as srv:
        out = await hostile(
            {"username": UTF8_USER},
            password=canary,
            port_map={587: srv.port},
            auth_log=srv.auth_log,
            tls_accepted=True,
            pki=pki,
        )
    assert out.report.auth.result == "ok" and "send.smtputf8_missing" not in out.codes
    assert out.finding("send.sender_accepted").params["email"] == UTF8_USER
    sent = [t.text for t in out.report.transcript if t.direction == "C"]
    assert f"MAIL FROM:<{UTF8_USER}> SMTPUTF8" in sent, sent
