"""Pure classification and assessment: replies, exceptions and certificates to codes."""

from __future__ import annotations

import base64
import datetime as dt
import errno
import ssl

import pytest

from emaildiag.checks import _errors
from emaildiag.checks.ports import assess_probe
from emaildiag.checks.tls import assess_tls, greeting_time, hostname_matches
from emaildiag.checks.wire import InjectionError, NoDataError, ProtocolError, Reply, auth_mechanisms
from emaildiag.model import CertificateFacts, ProbeFacts, TlsFacts
from emaildiag.redact import REDACTED, Redactor, printable

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def reply(line: str) -> Reply:
    code, _, text = line.partition(" ")
    return Reply(int(code[:3]), (text,))


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("235 2.7.0 Accepted", "auth.ok"),
        (
            "535-5.7.8 Username and Password not accepted. For more information, go to",
            "auth.rejected",
        ),
        ("535 5.7.8 Error: authentication failed: authentication failure", "auth.rejected"),
        (
            "534-5.7.9 Application-specific password required. For more information, go to",
            "auth.app_password_required",
        ),
        (
            "535 5.7.139 Authentication unsuccessful, "
            "SmtpClientAuthentication is disabled for the Tenant.",
            "auth.smtp_auth_disabled",
        ),
        (
            "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
            "auth.rejected",
        ),
        (
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
            "security defaults policy.",
            "auth.oauth_required",
        ),
        (
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            "auth.smtp_auth_disabled",
        ),
        ("530 5.7.0 Must issue a STARTTLS command first", "auth.tls_required"),
        (
            "538 5.7.11 Encryption required for requested authentication mechanism",
            "auth.tls_required",
        ),
        ("454 4.7.0 Too many login attempts, please try again later.", "auth.throttled"),
        ("421 4.7.0 Try again later, closing connection.", "auth.throttled"),
        ("504 5.5.4 Unrecognized authentication type", "auth.mechanism_unsupported"),
        ("554 5.7.0 Authentication failed", "auth.rejected"),
        ("451 4.3.0 Temporary authentication failure", "auth.throttled"),
        ("500 5.5.1 What?", "auth.rejected"),
    ],
)
def test_auth_replies(line: str, code: str) -> None:
    assert _errors.auth_problem(reply(line)) == code


@pytest.mark.parametrize(
    ("line", "stage", "code"),
    [
        ("250 2.1.0 Ok", "mail", None),
        (
            "550 5.7.1 Sender address rejected: not owned by user alice",
            "mail",
            "send.sender_rejected",
        ),
        ("553 5.7.1 <bob@example.com>: Sender address rejected", "mail", "send.sender_rejected"),
        (
            "550 5.1.1 <nobody@example.com>: Recipient address rejected",
            "rcpt",
            "send.recipient_rejected",
        ),
        ("450 4.2.0 Greylisted, please try again", "rcpt", "send.temporary_failure"),
        ("554 5.7.1 Message rejected as spam", "data", "send.message_rejected"),
        ("552 5.3.4 Message size exceeds fixed limit", "data", "send.message_rejected"),
    ],
)
def test_send_replies(line: str, stage: str, code: str | None) -> None:
    assert _errors.send_problem(reply(line), stage) == code


@pytest.mark.parametrize(
    ("exc", "state"),
    [
        (ConnectionRefusedError(), "refused"),
        (TimeoutError(), "filtered"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "unreachable"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable"),
        (OSError(errno.EACCES, "Permission denied"), "error"),
    ],
)
def test_connect_states(exc: BaseException, state: str) -> None:
    assert _errors.connect_state(exc) == state


def _ssl_error(reason: str) -> ssl.SSLError:
    e = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    e.reason = reason  # type: ignore[misc]
    return e


@pytest.mark.parametrize(
    ("exc", "phase", "code"),
    [
        (NoDataError(), "greeting", "port.no_greeting"),
        (ProtocolError("malformed reply"), "greeting", "port.not_smtp"),
        (ProtocolError("reply too long"), "greeting", "smtp.protocol_error"),
        (ProtocolError("malformed reply"), "ehlo", "smtp.protocol_error"),
        (InjectionError("data after the STARTTLS reply"), "starttls", "tls.starttls_injection"),
        (_ssl_error("WRONG_VERSION_NUMBER"), "handshake", "tls.implicit_on_starttls_port"),
        (_ssl_error("TLSV1_ALERT_PROTOCOL_VERSION"), "handshake", "tls.old_protocol"),
        (_ssl_error("SSLV3_ALERT_HANDSHAKE_FAILURE"), "handshake", "tls.handshake_failed"),
        (_ssl_error("WRONG_VERSION_NUMBER"), "starttls_handshake", "tls.starttls_injection"),
        (_ssl_error("SSLV3_ALERT_HANDSHAKE_FAILURE"), "starttls_handshake", "tls.starttls_failed"),
        (ConnectionResetError(), "handshake", "tls.handshake_failed"),
        (ConnectionResetError(), "greeting", "port.no_greeting"),
        (ConnectionResetError(), "ehlo", "smtp.protocol_error"),
        (TimeoutError(), "command", "smtp.protocol_error"),
    ],
)
def test_session_exceptions(exc: BaseException, phase: str, code: str) -> None:
    assert _errors.session_problem(exc, phase)[0] == code


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("220 mail.example.com ESMTP", None),
        ("554 5.3.2 No service", "smtp.greeting_rejected"),
        ("421 4.7.0 Too many connections", "smtp.greeting_rejected"),
        ("250 hello?", "smtp.protocol_error"),
    ],
)
def test_greeting(line: str, code: str | None) -> None:
    assert _errors.greeting_problem(reply(line)) == code


def test_auth_mechanisms_both_forms() -> None:
    assert auth_mechanisms(("SIZE 100", "AUTH PLAIN LOGIN", "AUTH=LOGIN XOAUTH2")) == (
        "PLAIN",
        "LOGIN",
        "XOAUTH2",
    )
    assert auth_mechanisms(("STARTTLS",)) == ()


def cert(**kw: object) -> CertificateFacts:
    base: dict[str, object] = {
        "subject": "CN=mail.example.com",
        "san": ("mail.example.com",),
        "issuer": "CN=R11,O=Let's Encrypt",
        "not_before": "2026-10-01T00:00:00+00:00",
        "not_after": "2027-01-01T00:00:00+00:00",
        "days_left": 34,
        "key_type": "RSA",
        "key_bits": 2048,
        "signature_algorithm": "sha256",
        "sha256": "00" * 32,
        "self_signed": False,
    }
    return CertificateFacts(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("certificate", "verify_error", "expected"),
    [
        (cert(), None, {"tls.ok"}),
        (
            cert(issuer="CN=Avast Web/Mail Shield Root"),
            "[20] unable to get local issuer certificate",
            {"tls.intercepted", "tls.cert_untrusted"},
        ),
        (
            cert(issuer="CN=Kaspersky Anti-Virus Personal Root Certificate"),
            None,
            {"tls.intercepted"},
        ),
        (
            cert(not_after="2026-11-20T00:00:00+00:00", days_left=-7),
            "[10] certificate has expired",
            {"tls.cert_expired"},
        ),
        (
            cert(not_before="2026-12-01T00:00:00+00:00"),
            "[9] certificate is not yet valid",
            {"tls.cert_not_yet_valid"},
        ),
        (cert(days_left=5), None, {"tls.cert_expiring"}),
        (
            cert(not_after="2026-11-27T09:00:00+00:00", days_left=-1),
            "[10] certificate has expired",
            {"tls.cert_expired", "tls.clock_skew"},
        ),
        (
            cert(not_before="2026-11-27T15:00:00+00:00"),
            "[9] certificate is not yet valid",
            {"tls.cert_not_yet_valid", "tls.clock_skew"},
        ),
        (
            cert(san=("other.example.com",), not_after="2026-11-01T00:00:00+00:00"),
            "[62] Hostname mismatch",
            {"tls.cert_hostname_mismatch", "tls.cert_expired"},
        ),
        (
            cert(self_signed=True, issuer="CN=mail.example.com"),
            "[18] self-signed certificate",
            {"tls.cert_self_signed"},
        ),
    ],
)
def test_certificate_assessment(
    certificate: CertificateFacts, verify_error: str | None, expected: set[str]
) -> None:
    tls = TlsFacts(
        "starttls",
        "TLSv1.3",
        "TLS_AES_256_GCM_SHA384",
        verify_error is None,
        verify_error,
        certificate,
    )
    found = assess_tls(tls, host="mail.example.com", port=587, now=NOW, verify_tls=True, lang="en")
    assert {f.code for f in found} == expected


@pytest.mark.parametrize(
    ("host", "names", "match"),
    [
        ("smtp.gmail.com", ("smtp.gmail.com",), True),
        ("SMTP.Gmail.com.", ("smtp.gmail.com",), True),
        ("smtp.example.com", ("*.example.com",), True),
        ("a.b.example.com", ("*.example.com",), False),
        ("example.com", ("*.example.com",), False),
        ("smtp.example.com", ("*.com",), False),
        ("127.0.0.1", ("127.0.0.1",), True),
        ("127.0.0.1", ("localhost",), False),
        ("smtp.example.com", (), False),
    ],
)
def test_hostname_matching(host: str, names: tuple[str, ...], match: bool) -> None:
    assert hostname_matches(host, names) is match


@pytest.mark.parametrize(
    ("state", "configured", "code", "severity"),
    [
        ("refused", True, "port.refused", "error"),
        ("refused", False, "port.refused", "warning"),
        ("filtered", True, "port.filtered", "error"),
        ("filtered", False, "port.filtered", "warning"),
        ("unreachable", False, "port.unreachable", "warning"),
        ("unreachable", True, "port.unreachable", "error"),
    ],
)
def test_port_states_and_severity(state: str, configured: bool, code: str, severity: str) -> None:
    facts = ProbeFacts(25, "192.0.2.1", "ipv4", state)  # type: ignore[arg-type]
    [finding] = assess_probe(
        facts, host="h", configured=configured, verify_tls=True, now=NOW, lang="en"
    )
    assert (finding.code, finding.severity.value) == (code, severity)


def test_redactor_covers_every_form() -> None:
    pw, user = "S3cret pw!", "alice@example.com"
    r = Redactor([pw], user)
    forms = [
        pw,
        base64.b64encode(pw.encode()).decode(),
        base64.b64encode(f"\0{user}\0{pw}".encode()).decode(),
        base64.b64encode(f"{user}\0{user}\0{pw}".encode()).decode(),
    ]
    for form in forms:
        shown = r(f"535 5.7.8 bad credentials for {form} (echo)")
        assert form not in shown and REDACTED in shown


def test_printable_escapes_terminal_control_and_caps_length() -> None:
    assert printable("220 \x1b[31mred\x07") == "220 \\x1b[31mred\\x07"
    long = printable("A" * 5000, limit=100)
    assert long.startswith("A" * 100) and "4900 more characters" in long


def test_printable_escapes_bidi_overrides_and_line_separators() -> None:
    shown = printable("535 \u202eevil\u2028x")
    assert "\u202e" not in shown and "\u2028" not in shown
    assert "\\x202e" in shown and "\\x2028" in shown


@pytest.mark.parametrize(
    ("greeting", "expected"),
    [
        (
            "mail.example.com Microsoft ESMTP MAIL Service ready at "
            "Fri, 27 Nov 2026 18:05:09 +0100",
            dt.datetime(2026, 11, 27, 17, 5, 9, tzinfo=dt.UTC),
        ),
        ("smtp.gmail.com ESMTP a1-20020a170906 - gsmtp", None),
        ("x ESMTP Mon, 30 Feb 2026 10:00:00 +0000", None),  # no such day
        ("x ESMTP Fri, 27 Nov 2026 99:00:00 +0000", None),
        (None, None),
    ],
)
def test_the_time_a_greeting_gives(greeting: str | None, expected: dt.datetime | None) -> None:
    assert greeting_time(greeting) == expected
