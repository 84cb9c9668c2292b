"""The one place where exceptions and SMTP replies become classified situations.

Library exceptions leak out of their hierarchies (``ssl.SSLError`` from a handshake,
``asyncio.IncompleteReadError``, ``OSError`` subclasses), so classification is by
phase and exception type here, never in scattered ``except`` blocks.
"""

from __future__ import annotations

import errno
import re
import ssl

from emaildiag.checks.wire import (
    IncompleteGreetingError,
    InjectionError,
    NoDataError,
    ProtocolError,
    Reply,
)
from emaildiag.model import PortState
from emaildiag.redact import printable

TIMED_OUT = "no answer before the time limit"
NOT_TLS = "non-TLS data arrived where the TLS handshake was expected"
TEMPORARY = "temporary refusal, the server asks to try again later"
INCOMPLETE_GREETING = (
    "greeting incomplete at the time limit (the server is extremely slow or holds clients back)"
)
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


def connect_state(exc: BaseException) -> PortState:
    """TCP connect outcome: RST is refused, silence is filtered, no route is unreachable."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, TimeoutError):
        return "filtered"
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE:
        return "unreachable"
    return "error"


def _ssl_reason(exc: ssl.SSLError) -> str:
    return (getattr(exc, "reason", None) or str(exc)).upper()


_OPENSSL_NOISE = re.compile(r"^\[[A-Z0-9_ ]+:[A-Z0-9_ ]+\]\s*|\s*\(_ssl\.c:\d+\)$")


# A fatal alert the server sent (RFC 8446 §6.2, RFC 6066 §3), as OpenSSL names it in the
# error's reason: SSLV3_ALERT_HANDSHAKE_FAILURE, TLSV1_UNRECOGNIZED_NAME, ...
_ALERT = re.compile(r"^(?:SSLV3|TLSV1|TLSV13)_(?:ALERT_)?([A-Z_]+)$")
_NOT_UNDERSTOOD = "the server could not make sense of the handshake"
_ALERT_MEANING = {
    "HANDSHAKE_FAILURE": (
        "the server accepts none of the encryption settings this computer offers, "
        "or it requires a client certificate"
    ),
    "UNRECOGNIZED_NAME": "the server does not recognise the server name it was asked for",
    "CERTIFICATE_REQUIRED": "the server requires a client certificate",
    "PROTOCOL_VERSION": "the server and this computer have no TLS version in common",
    "INSUFFICIENT_SECURITY": "the server wants stronger encryption than this computer offers",
    "INAPPROPRIATE_FALLBACK": "the server saw the connection downgraded on the way",
    "ACCESS_DENIED": "the server refuses this connection",
    "INTERNAL_ERROR": "the server had an internal problem",
    "USER_CANCELLED": "the server cancelled the handshake",
    "BAD_CERTIFICATE": "the server rejected a client certificate",
    "UNKNOWN_CA": "the server rejected a client certificate",
    "CERTIFICATE_UNKNOWN": "the server rejected a client certificate",
    "DECODE_ERROR": _NOT_UNDERSTOOD,
    "ILLEGAL_PARAMETER": _NOT_UNDERSTOOD,
    "UNEXPECTED_MESSAGE": _NOT_UNDERSTOOD,
    "MISSING_EXTENSION": _NOT_UNDERSTOOD,
    "UNSUPPORTED_EXTENSION": _NOT_UNDERSTOOD,
}


def tls_error_text(exc: ssl.SSLError) -> str:
    """An OpenSSL error as evidence in words, without the library's ``[SSL: …]`` tag and
    source location: a fatal alert from the server by its RFC name and what it means
    ("server alert: unrecognized_name (the server does not recognise …)"), any other
    error as "TLS error: wrong version number"."""
    alert = _ALERT.match(getattr(exc, "reason", None) or "")
    if alert:
        name = alert.group(1)
        meaning = _ALERT_MEANING.get(name)
        shown = f"server alert: {name.lower()}"
        return f"{shown} ({meaning})" if meaning else shown
    words = _OPENSSL_NOISE.sub("", str(exc)).strip() or _ssl_reason(exc).lower()
    return f"TLS error: {words.replace('_', ' ')}"


def is_plaintext_on_tls(exc: BaseException) -> bool:
    """A TLS handshake that got plain text back: the port speaks SMTP first (§3.5)."""
    if not isinstance(exc, ssl.SSLError):
        return False
    reason = _ssl_reason(exc)
    return any(
        r in reason
        for r in ("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "UNKNOWN_PROTOCOL", "RECORD_LAYER")
    )


def is_old_protocol(exc: BaseException) -> bool:
    if not isinstance(exc, ssl.SSLError):
        return False
    reason = _ssl_reason(exc)
    return any(
        r in reason
        for r in ("UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE", "ALERT_PROTOCOL_VERSION")
    )


def session_problem(exc: BaseException, phase: str) -> tuple[str, str]:
    """Finding code and evidence for an exception raised during ``phase`` of a session.

    Phases: ``greeting``, ``ehlo``, ``starttls`` (the command), ``starttls_handshake``,
    ``handshake`` (implicit TLS), ``command``.
    """
    if phase == "starttls_handshake":
        if is_plaintext_on_tls(exc):
            # Plain text where the ServerHello should be: bytes injected after the 220
            # (a broken middlebox or an attack, CVE-2011-0411 class), arriving late.
            return "tls.starttls_injection", NOT_TLS
        phase = "starttls"
    if isinstance(exc, InjectionError):
        return "tls.starttls_injection", exc.reason
    if isinstance(exc, ProtocolError):
        if phase == "greeting" and exc.reason == "malformed reply":
            return "port.not_smtp", exc.reason
        return "smtp.protocol_error", exc.reason
    if isinstance(exc, IncompleteGreetingError):
        return "port.no_greeting", INCOMPLETE_GREETING
    if isinstance(exc, NoDataError) or (isinstance(exc, TimeoutError) and phase == "greeting"):
        return "port.no_greeting", "no greeting before the time limit"
    if isinstance(exc, ssl.SSLError):
        if phase == "starttls":
            return "tls.starttls_failed", tls_error_text(exc)
        if is_plaintext_on_tls(exc):
            return "tls.implicit_on_starttls_port", tls_error_text(exc)
        if is_old_protocol(exc):
            return "tls.old_protocol", tls_error_text(exc)
        return "tls.handshake_failed", tls_error_text(exc)
    if isinstance(exc, TimeoutError):
        if phase in ("starttls", "handshake"):
            return (
                "tls.starttls_failed" if phase == "starttls" else "tls.handshake_failed"
            ), TIMED_OUT
        return "smtp.protocol_error", f"no reply to {phase} before the time limit"
    if isinstance(exc, (ConnectionError, EOFError)):
        if phase == "handshake":
            return "tls.handshake_failed", "connection closed during the TLS handshake"
        if phase == "starttls":
            return "tls.starttls_failed", "connection closed during STARTTLS"
        if phase == "greeting":
            return "port.no_greeting", "connection closed before a greeting"
        return "smtp.protocol_error", f"connection closed during {phase}"
    return "smtp.protocol_error", f"{type(exc).__name__} during {phase}"


def refusal(reply: Reply) -> str:
    """Evidence for a refusing reply (a greeting other than 220, STARTTLS answered with
    anything but 220), marked temporary for a 4xx: RFC 5321 §3.8's 421 "service not
    available", RFC 3207 §4's 454 "TLS not available due to temporary reason"."""
    shown = printable(str(reply), 300)
    return f"{TEMPORARY}: {shown}" if 400 <= reply.code < 500 else shown


def greeting_problem(reply: Reply) -> str | None:
    """RFC 5321 §3.1: 220 is service ready; 554 (and 421) refuse the session."""
    if reply.code == 220:
        return None
    if reply.code in (421, 554) or reply.code >= 400:
        return "smtp.greeting_rejected"
    return "smtp.protocol_error"


# RFC 4954 §6 and RFC 3463 reply meanings; provider-specific texts are matched
# first by the caller (the provider catalogue), this is the generic fallback.
_AUTH_TEXT = (
    ("user credentials were incorrect", "auth.rejected"),
    ("security defaults policy", "auth.oauth_required"),
    ("application-specific password", "auth.app_password_required"),
    ("app password", "auth.app_password_required"),
    ("smtpclientauthentication is disabled", "auth.smtp_auth_disabled"),
    # SPEC §4 names 550 5.7.30 among "SMTP AUTH disabled for the mailbox or tenant".
    ("basic authentication is not supported", "auth.smtp_auth_disabled"),
)
_AUTH_ENHANCED = {
    "5.7.8": "auth.rejected",
    "5.7.9": "auth.app_password_required",
    "5.7.139": "auth.smtp_auth_disabled",
    "5.7.30": "auth.smtp_auth_disabled",
    "4.7.0": "auth.throttled",
    "5.5.4": "auth.mechanism_unsupported",
    "5.7.11": "auth.tls_required",
}
_AUTH_CODE = {
    235: "auth.ok",
    535: "auth.rejected",
    534: "auth.app_password_required",
    538: "auth.tls_required",
    454: "auth.throttled",
    421: "auth.throttled",
    504: "auth.mechanism_unsupported",
}


# RFC 4954 §6: "530 5.7.0 Authentication required" answers MAIL and other commands sent
# without AUTH; the one 530 meant for AUTH itself is "Must issue a STARTTLS command first".
_TLS_WORDS = re.compile(r"starttls|\btls\b|\bssl\b|encrypt")


def auth_problem(reply: Reply) -> str:
    """The ``auth.*`` code for the final reply to an AUTH exchange, or
    ``smtp.protocol_error`` for a reply that makes no sense as one."""
    if reply.code == 235:
        return "auth.ok"
    text = reply.text.lower()
    for needle, code in _AUTH_TEXT:
        if needle in text:
            return code
    if reply.code == 530:
        # Any other 530 to AUTH says neither "wrong password" nor "encrypt first".
        return "auth.tls_required" if _TLS_WORDS.search(text) else "smtp.protocol_error"
    if reply.enhanced in _AUTH_ENHANCED:
        return _AUTH_ENHANCED[reply.enhanced]
    if reply.code in _AUTH_CODE:
        return _AUTH_CODE[reply.code]
    return "auth.throttled" if 400 <= reply.code < 500 else "auth.rejected"


def send_problem(reply: Reply, stage: str) -> str | None:
    """MAIL/RCPT/DATA reply → ``send.*`` code (``None`` when accepted)."""
    if 200 <= reply.code < 400:
        return None
    if 400 <= reply.code < 500:
        return "send.temporary_failure"
    return {
        "mail": "send.sender_rejected",
        "rcpt": "send.recipient_rejected",
    }.get(stage, "send.message_rejected")
