"""Fault catalogue §8 C (scenarios 19–25): TLS and certificates.

Each scenario runs twice: on 465 with implicit TLS and on 587 with STARTTLS (the
settings name that port; ``port_map`` sends it to the fake). The fakes are raw
asyncio SMTP servers (``scripted_server``) that record every line the client sent
and whether it was encrypted; a client that went wrong would go on to AUTH, which the
fake answers 235, so the tests see it. Handshake faults (scenario 24) need a server
whose TLS side misbehaves on purpose, so ``serve_handshake`` runs the server half of
TLS over memory BIOs and decides itself what reaches the socket, and when.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from harness import Outcome, hostile_fake

from emaildiag.model import Finding
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.pki import WRONG_HOSTNAME
from emaildiag.testing.scripted import Handler, Received, submission_script

TIMEOUT = 3.0
HANDSHAKE_BUDGET = TIMEOUT * 0.5  # the runner's per-phase TLS limit for this deadline

GREETING = b"220 mail.emaildiag.test ESMTP\r\n"
EHLO_PLAIN = b"250-mail.emaildiag.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
EHLO_TLS = b"250-mail.emaildiag.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"

# (settings port, how that port speaks)
MODES = [
    pytest.param((465, "implicit"), id="465-implicit"),
    pytest.param((587, "starttls"), id="587-starttls"),
]
Mode = tuple[int, str]


# --- fakes ------------------------------------------------------------------------------


async def _flush(writer: asyncio.StreamWriter, outgoing: ssl.MemoryBIO, pace: float | None) -> None:
    data = outgoing.read()
    if pace is None:
        writer.write(data)
        await writer.drain()
        return
    for i in range(len(data)):  # one byte at a time, ``pace`` seconds apart
        writer.write(data[i : i + 1])
        await writer.drain()
        await asyncio.sleep(pace)


async def serve_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    context: ssl.SSLContext,
    *,
    pace: float | None = None,
) -> ssl.SSLObject | None:
    """The server half of a TLS handshake over memory BIOs: every byte OpenSSL wants to
    send (including a fatal alert when the handshake fails) reaches the client, at
    ``pace`` seconds per byte when given. Returns the TLS object, or ``None`` when the
    handshake failed or the client left."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=True)
    while True:
        try:
            tls.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        except ssl.SSLError:
            await _flush(writer, outgoing, pace)  # the alert
            return None
        await _flush(writer, outgoing, pace)
        if done:
            return tls
        data = await reader.read(65536)
        if not data:
            return None
        incoming.write(data)


TlsSide = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def handshake_fault(mode: str, tls_side: TlsSide) -> Handler:
    """A fake whose TLS side is ``tls_side`` (it owns the raw socket from the first
    TLS byte on): at once for implicit TLS, after a 220 to STARTTLS otherwise; the
    session ends with it."""
    if mode == "implicit":
        return tls_side

    async def upgrade(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes
    ) -> None:
        writer.write(b"220 2.0.0 Ready to start TLS\r\n")
        await writer.drain()
        await tls_side(reader, writer)
        writer.close()

    return submission_script(greeting=GREETING, ehlo=EHLO_PLAIN, replies={b"STARTTLS": upgrade})


def alert_side(context: ssl.SSLContext) -> TlsSide:
    """Runs the handshake with ``context``, every byte OpenSSL wants to send (the fatal
    alert) going out, then waits for the client to leave."""

    async def side(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_handshake(reader, writer, context)
        await reader.read(65536)

    return side


async def stall_side(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the ClientHello, then says nothing, ever."""
    await reader.read(65536)
    await asyncio.sleep(3600)


def drip_side(context: ssl.SSLContext) -> TlsSide:
    """Answers the ClientHello with a real server flight, one byte per second."""

    async def side(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_handshake(reader, writer, context, pace=1.0)
        await asyncio.sleep(3600)

    return side


# --- helpers ----------------------------------------------------------------------------


async def serve(
    pki: TestPKI,
    canary: str,
    mode: Mode,
    handler: Handler,
    tls: ssl.SSLContext | None = None,
    settings: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Outcome, Received]:
    """Diagnose ``mode``'s port, served by ``handler`` (behind ``tls``, when given)."""
    number, how = mode
    return await hostile_fake(
        handler,
        {"port": number, **(settings or {})},
        password=canary,
        tls=tls,
        port_modes={number: how},
        pki=pki,
        timeout=TIMEOUT,
        **options,
    )


async def run(
    pki: TestPKI,
    canary: str,
    mode: Mode,
    context: ssl.SSLContext,
    settings: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Outcome, Received]:
    """Diagnose ``mode``'s port, served by a submission server that behaves, apart from
    the TLS ``context`` it serves: implicit TLS (the listener wraps the socket) or
    STARTTLS (upgrades with ``context``). After TLS its EHLO offers AUTH PLAIN LOGIN and
    AUTH gets 235."""
    implicit = mode[1] == "implicit"
    handler = submission_script(
        greeting=GREETING,
        ehlo=EHLO_PLAIN,
        ehlo_tls=EHLO_TLS,
        starttls=None if implicit else context,
    )
    tls = context if implicit else None
    return await serve(pki, canary, mode, handler, tls, settings, **options)


def text_of(f: Finding) -> str:
    return f"{f.title} {f.fix or ''} {f.detail or ''}"


def assert_no_auth(out: Outcome, received: Received) -> None:
    """Must never: the password (or any AUTH) reached the fake; sign-in was skipped."""
    sent = [line.split(b" ")[0].strip().upper() for line in received.lines()]
    assert b"AUTH" not in sent, sent
    assert out.report.auth.result == "skipped", out.report.auth
    assert "auth.skipped_insecure" in out.codes
    assert not {"auth.ok", "tls.ok", "settings.tls_verify_disabled"} & out.codes


RAW = ("SSL:", "_ssl.c", "SSLError", "Traceback")


# --- 19 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_s19_wrong_hostname(pki: TestPKI, canary: str, mode: Mode) -> None:
    """The fake presents a certificate from the trusted CA whose only name (SAN) is
    wrong.example.test, not the host in the settings."""
    out, rec = await run(pki, canary, mode, pki.server_context(CertKind.WRONG_HOST))

    f = out.finding("tls.cert_hostname_mismatch", mode[0])
    assert f.params["names"] == WRONG_HOSTNAME
    assert WRONG_HOSTNAME in (f.fix or "") and "mail.emaildiag.test" in f.title
    # the certificate read on the second, collecting pass, with OpenSSL's own verdict
    tls = out.probe(mode[0]).tls
    assert tls is not None and not tls.verified
    assert tls.certificate is not None and tls.certificate.san == (WRONG_HOSTNAME,)
    assert (tls.verify_error or "").startswith("[62]")
    assert not {"tls.cert_untrusted", "tls.cert_self_signed", "tls.cert_chain_incomplete"} & (
        out.codes
    )
    assert out.report.root_cause is not None
    assert out.report.root_cause.code == "tls.cert_hostname_mismatch"
    assert_no_auth(out, rec)


@pytest.mark.parametrize("mode", MODES)
async def test_s19_wrong_hostname_with_verification_unticked(
    pki: TestPKI, canary: str, mode: Mode
) -> None:
    """Same fake; the user unticked certificate verification: the password goes out once,
    over TLS, and the report says both that verification was off and what it hid."""
    out, rec = await run(
        pki,
        canary,
        mode,
        pki.server_context(CertKind.WRONG_HOST),
        {"verify_tls": False},
        tls_accepted=True,
    )

    assert "settings.tls_verify_disabled" in out.codes
    assert out.finding("tls.cert_hostname_mismatch", mode[0]).params["names"] == WRONG_HOSTNAME
    auth = [(tls, line) for tls, chunk in rec.chunks for line in chunk.splitlines()]
    auth = [(tls, line) for tls, line in auth if line.upper().startswith(b"AUTH")]
    assert len(auth) == 1 and auth[0][0], auth  # one attempt, encrypted
    assert out.report.auth.result == "ok" and out.report.auth.port == mode[0]


# --- 20 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("kind", "code", "edge"),
    [
        (CertKind.EXPIRED, "tls.cert_expired", "not_valid_after_utc"),
        (CertKind.NOT_YET_VALID, "tls.cert_not_yet_valid", "not_valid_before_utc"),
    ],
    ids=["expired", "not-yet-valid"],
)
async def test_s20_expired_or_not_yet_valid(
    pki: TestPKI, canary: str, mode: Mode, kind: CertKind, code: str, edge: str
) -> None:
    """The fake presents a trusted certificate that expired yesterday, or one that only
    becomes valid tomorrow; this computer's clock is right."""
    date: dt.datetime = getattr(pki.leaf(kind), edge)
    out, rec = await run(pki, canary, mode, pki.server_context(kind))

    f = out.finding(code, mode[0])
    assert f.params["date"] == date.date().isoformat()
    assert date.date().isoformat() in f.title
    # the computer's own clock (UTC) is shown next to the certificate's dates
    assert "UTC" in (f.detail or "") and date.strftime("%Y-%m-%d %H:%M UTC") in (f.detail or ""), (
        f.detail
    )
    # a whole day apart: the certificate is the problem, not this computer's clock
    assert "tls.clock_skew" not in out.codes
    other = {"tls.cert_expired", "tls.cert_not_yet_valid"} - {code}
    assert not other & out.codes
    assert not {"tls.cert_untrusted", "tls.cert_hostname_mismatch"} & out.codes
    assert_no_auth(out, rec)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("kind", "code", "edge", "shift"),
    [
        (CertKind.EXPIRED, "tls.cert_expired", "not_valid_after_utc", 3),
        (CertKind.NOT_YET_VALID, "tls.cert_not_yet_valid", "not_valid_before_utc", -3),
    ],
    ids=["expired-3h-ago", "valid-in-3h"],
)
async def test_s20_clock_a_few_hours_off(
    pki: TestPKI, canary: str, mode: Mode, kind: CertKind, code: str, edge: str, shift: int
) -> None:
    """Same fakes; this computer's clock (the ``now`` seam) reads three hours past the
    certificate's end, or three hours before its start: the certificate may be fine and
    the clock wrong, and the report must say so."""
    date: dt.datetime = getattr(pki.leaf(kind), edge)
    clock = date + dt.timedelta(hours=shift)
    out, rec = await run(pki, canary, mode, pki.server_context(kind), now=lambda: clock)

    assert out.finding(code, mode[0]).params["date"] == date.date().isoformat()
    skew = out.finding("tls.clock_skew", mode[0])
    shown = text_of(skew)
    assert "clock" in shown and clock.strftime("%Y-%m-%d %H:%M") in shown, shown
    assert skew.params["hours"] == "3"
    assert_no_auth(out, rec)


@pytest.mark.parametrize("mode", MODES)
async def test_s20_the_greetings_own_time_is_shown(pki: TestPKI, canary: str, mode: Mode) -> None:
    """The greeting gives the server's time, as Exchange's does ("… ready at <date>").
    This computer's clock reads three hours past the certificate's end; the server's
    greeting says a day before it. Both date findings show the server's time and how
    far this clock is from it (a hint, from unverified text, never a verdict)."""
    kind = CertKind.EXPIRED
    end: dt.datetime = pki.leaf(kind).not_valid_after_utc
    clock, server = end + dt.timedelta(hours=3), end - dt.timedelta(days=1)
    greeting = f"220 mail.emaildiag.test ESMTP ready at {email.utils.format_datetime(server)}"
    context = pki.server_context(kind)
    implicit = mode[1] == "implicit"
    handler = submission_script(
        greeting=greeting.encode() + b"\r\n",
        ehlo=EHLO_PLAIN,
        ehlo_tls=EHLO_TLS,
        starttls=None if implicit else context,
    )
    out, rec = await serve(
        pki, canary, mode, handler, context if implicit else None, None, now=lambda: clock
    )
    said = (
        f"the server's greeting gives its time as {server:%Y-%m-%d %H:%M} UTC: "
        "this computer's clock is 27.0 h ahead of it"
    )
    assert said in (out.finding("tls.cert_expired", mode[0]).detail or "")
    assert said in (out.finding("tls.clock_skew", mode[0]).detail or "")
    assert_no_auth(out, rec)


# --- 21 ---------------------------------------------------------------------------------

CHAIN_CODES = {
    CertKind.SELF_SIGNED: "tls.cert_self_signed",
    CertKind.UNTRUSTED_CA: "tls.cert_untrusted",
    CertKind.CHAIN_INCOMPLETE: "tls.cert_chain_incomplete",
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", list(CHAIN_CODES), ids=lambda k: k.value)
async def test_s21_untrusted_chain_three_ways(
    pki: TestPKI, canary: str, mode: Mode, kind: CertKind
) -> None:
    """The fake presents (a) a self-signed leaf, (b) a leaf from a private CA the
    computer does not trust, or (c) a leaf from an intermediate of the trusted CA
    without that intermediate, which the leaf names in its AIA "CA Issuers" URL."""
    out, rec = await run(pki, canary, mode, pki.server_context(kind))

    code = CHAIN_CODES[kind]
    f = out.finding(code, mode[0])
    assert not (set(CHAIN_CODES.values()) - {code}) & out.codes  # never collapsed
    assert "tls.cert_hostname_mismatch" not in out.codes  # the names are right
    tls = out.probe(mode[0]).tls
    assert tls is not None and not tls.verified
    assert tls.verify_error is not None
    if kind is CertKind.SELF_SIGNED:
        assert (
            tls.verify_error.startswith("[18]") and tls.certificate and tls.certificate.self_signed
        )
    else:
        assert tls.verify_error.startswith("[20]")  # the same OpenSSL code for both
    if kind is CertKind.UNTRUSTED_CA:
        assert "emaildiag untrusted CA" in f.params["issuer"]
        assert "authority certificate" in (f.fix or "")  # add the CA, when intended
    if kind is CertKind.CHAIN_INCOMPLETE:
        assert "http://ca.emaildiag.test/intermediate.der" in (f.detail or ""), f.detail
        assert "intermediate" in (f.fix or "")
    assert_no_auth(out, rec)


# --- 22 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_s22_expired_and_wrong_hostname(pki: TestPKI, canary: str, mode: Mode) -> None:
    """The fake presents a trusted certificate that both expired yesterday and is for
    wrong.example.test only: OpenSSL names just one of the two problems."""
    leaf = pki.leaf(CertKind.EXPIRED_WRONG_HOST)
    out, rec = await run(pki, canary, mode, pki.server_context(CertKind.EXPIRED_WRONG_HOST))

    expired = out.finding("tls.cert_expired", mode[0])
    assert expired.params["date"] == leaf.not_valid_after_utc.date().isoformat()
    assert out.finding("tls.cert_hostname_mismatch", mode[0]).params["names"] == WRONG_HOSTNAME
    tls = out.probe(mode[0]).tls
    assert tls is not None and tls.verify_error is not None
    assert tls.verify_error.startswith(("[62]", "[10]"))  # one code only, whichever
    assert "tls.cert_untrusted" not in out.codes
    assert_no_auth(out, rec)


# --- 23 ---------------------------------------------------------------------------------


def legacy_context(pki: TestPKI, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = pki.server_context(CertKind.VALID)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = version
            context.maximum_version = version
    except (ValueError, ssl.SSLError):
        pytest.skip(f"this OpenSSL cannot serve {version.name}")
    return context


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_1, "TLSv1.1"), (ssl.TLSVersion.TLSv1, "TLSv1")],
    ids=["tls1.1", "tls1.0"],
)
async def test_s23_legacy_tls_only(
    pki: TestPKI, canary: str, mode: Mode, version: ssl.TLSVersion, name: str
) -> None:
    """The fake, with a good certificate, speaks only TLS 1.1 (or only TLS 1.0, at
    OpenSSL security level 0)."""
    out, rec = await run(pki, canary, mode, legacy_context(pki, version))

    f = out.finding("tls.old_protocol", mode[0])
    assert f.params["version"] == name and name in f.title
    probe = out.probe(mode[0])
    # named by a separate, permissive pass that never carries credentials
    assert probe.tls is not None and probe.tls.version == name and not probe.tls.verified
    assert not {"tls.handshake_failed", "tls.starttls_failed"} & out.codes
    for raw in RAW:
        assert raw not in out.report.to_text(), raw
    # the sign-in connection kept its TLS 1.2 floor: it never got as far as AUTH
    assert_no_auth(out, rec)


# --- 24 ---------------------------------------------------------------------------------


def _alert(pki: TestPKI, description: ssl.AlertDescription) -> ssl.SSLContext:
    context = pki.server_context(CertKind.VALID)
    context.sni_callback = lambda obj, name, ctx: description
    return context


def _no_shared_cipher(pki: TestPKI) -> ssl.SSLContext:
    context = pki.server_context(CertKind.VALID)  # an EC key ...
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES256-SHA256")  # ... and only RSA key exchange: nothing in common
    return context


def _client_certificate(pki: TestPKI) -> ssl.SSLContext:
    context = pki.server_context(CertKind.VALID)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=pki.ca_pem.decode("ascii"))
    return context


# fault -> (TLS side of the fake, what the finding's detail must say)
FAULTS: dict[str, tuple[Callable[[TestPKI], TlsSide], str]] = {
    "stall": (lambda pki: stall_side, "no answer before the time limit"),
    "drip": (lambda pki: drip_side(pki.server_context(CertKind.VALID)), "no answer"),
    "alert-unrecognized-name": (
        lambda pki: alert_side(
            _alert(pki, ssl.AlertDescription.ALERT_DESCRIPTION_UNRECOGNIZED_NAME)
        ),
        "server alert: unrecognized_name",
    ),
    "alert-handshake-failure": (
        lambda pki: alert_side(
            _alert(pki, ssl.AlertDescription.ALERT_DESCRIPTION_HANDSHAKE_FAILURE)
        ),
        "server alert: handshake_failure",
    ),
    "no-shared-cipher": (
        lambda pki: alert_side(_no_shared_cipher(pki)),
        "server alert: handshake_failure",
    ),
    "client-certificate": (
        lambda pki: alert_side(_client_certificate(pki)),
        "requires a client certificate",
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_s24_handshake_faults(pki: TestPKI, canary: str, mode: Mode, fault: str) -> None:
    """The fake's TLS side misbehaves: reads the ClientHello and stalls; drips a real
    server flight one byte per second; answers with a fatal alert (unrecognized_name,
    handshake_failure from its name callback, or handshake_failure because it has no
    cipher in common with the client); or demands a client certificate (TLS 1.3: its
    certificate_required alert arrives after the client's side of the handshake)."""
    make_side, says = FAULTS[fault]
    out, rec = await serve(pki, canary, mode, handshake_fault(mode[1], make_side(pki)))

    after_handshake = fault == "client-certificate"
    code = (
        "tls.starttls_failed"
        if mode[1] == "starttls" and not after_handshake
        else "tls.handshake_failed"
    )
    f = out.finding(code, mode[0])
    assert says in (f.detail or ""), f.detail
    for raw in RAW:
        assert raw not in text_of(f), f.detail
    assert not {"tls.cert_untrusted", "tls.old_protocol", "port.no_greeting"} & out.codes
    if fault in ("stall", "drip"):  # cut by the handshake's own limit, not the run's
        assert out.elapsed <= HANDSHAKE_BUDGET + 0.75, out.elapsed
    assert_no_auth(out, rec)


# --- 25 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_s25_host_entered_as_ip(pki: TestPKI, canary: str, mode: Mode) -> None:
    """The settings name the server by IP address (127.0.0.1); the fake presents a
    trusted certificate that carries only its DNS name, mail.emaildiag.test."""
    out, rec = await run(
        pki, canary, mode, pki.server_context(CertKind.NAMES_ONLY), {"host": "127.0.0.1"}
    )

    assert "settings.host_is_ip" in out.codes
    f = out.finding("tls.cert_hostname_mismatch", mode[0])
    assert f.params["names"] == "mail.emaildiag.test" and "mail.emaildiag.test" in (f.fix or "")
    assert "127.0.0.1" in f.title
    tls = out.probe(mode[0]).tls
    assert tls is not None and not tls.verified
    assert (tls.verify_error or "").startswith("[64]")  # OpenSSL: IP address mismatch
    assert not {"tls.cert_untrusted", "tls.cert_self_signed"} & out.codes
    assert out.report.settings["verify_tls"] is True  # never switched off on its own
    assert_no_auth(out, rec)
