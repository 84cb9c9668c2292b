"""The SMTP side of the test servers: aiosmtpd's protocol plus recording and policy hooks.

Everything here runs on the server thread's event loop.  Records are appended *before* the
reply is written, so a client that has read the reply always finds its record.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import itertools
import logging
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, syntax

__all__ = ["AuthAttempt", "ReceivedMessage", "RecordingHandler", "TestSMTP"]

# aiosmtpd logs every command at INFO and every successful AUTH at WARNING (a deprecation
# notice); AUTH lines carry credentials, so nothing below ERROR may reach a test log.
logging.getLogger("mail.log").setLevel(logging.ERROR)
logging.getLogger("mail.debug").setLevel(logging.ERROR)

_log = logging.getLogger(__name__)

IMPLICIT_TLS_HANDSHAKE_TIMEOUT = 10.0
"""Seconds a client may take to finish the implicit-TLS handshake before it is dropped."""


@dataclass(frozen=True)
class AuthAttempt:
    """One AUTH command as the server saw it; the password is never kept.

    ``over_tls`` tells whether the credentials crossed the wire encrypted, which is what the
    "credentials only over TLS" rule of DESIGN.md is tested against.
    """

    mechanism: str
    username: str
    success: bool
    over_tls: bool


@dataclass(frozen=True)
class ReceivedMessage:
    """An accepted DATA transaction: the envelope and the raw bytes as received."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


class RecordingHandler:
    """aiosmtpd handler that applies a server's policy and records what clients did."""

    def __init__(
        self,
        users: Mapping[str, str],
        reject_senders: frozenset[str],
        reject_recipients: frozenset[str],
        auth_failure_reply: str | None = None,
    ) -> None:
        self._failure_reply = auth_failure_reply
        self._users = {name: secret.encode("utf-8") for name, secret in users.items()}
        # Case-insensitive on purpose: tests should not fail on the case of an address.
        self._reject_senders = frozenset(address.lower() for address in reject_senders)
        self._reject_recipients = frozenset(address.lower() for address in reject_recipients)
        self._queue_ids = itertools.count(1)
        # Not "auth_log": aiosmtpd would advertise any handler attribute "auth_*" as a mechanism.
        self.attempts: list[AuthAttempt] = []
        self.messages: list[ReceivedMessage] = []

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """aiosmtpd ``authenticator``: check PLAIN/LOGIN credentials and record the attempt."""
        username = ""
        success = False
        if isinstance(data, LoginPassword):
            username = data.login.decode("utf-8", errors="replace")
            expected = self._users.get(username)
            success = expected is not None and hmac.compare_digest(expected, data.password)
        self.record_auth(server, mechanism, username, success)
        if success:
            return AuthResult(success=True, handled=False, auth_data=username)
        return AuthResult(success=False, handled=False, message=self._failure_reply)

    def record_auth(self, server: SMTP, mechanism: str, username: str, success: bool) -> None:
        transport = server.transport
        over_tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        self.attempts.append(AuthAttempt(mechanism, username, success, over_tls))

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if address.lower() in self._reject_senders:
            return "550 5.7.1 Sender address rejected: not owned by user"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self._reject_recipients:
            return "550 5.1.1 Recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        message = ReceivedMessage(envelope.mail_from or "", tuple(envelope.rcpt_tos), data)
        self.messages.append(message)
        # A queue id like real servers give, so "send.ok" can show one (SPEC §2 step 8).
        return f"250 2.0.0 OK: queued as TEST{next(self._queue_ids):06d}"

    async def handle_exception(self, error: Exception) -> str:
        """Keep failed STARTTLS handshakes quiet; anything else is a bug worth a log line."""
        if not isinstance(error.__cause__, (ssl.SSLError, ConnectionError)):
            _log.warning("test SMTP server error: %r", error)
        return f"500 Error: ({type(error).__name__})"


class TestSMTP(SMTP):
    """aiosmtpd's SMTP protocol, tracked by its owner and optionally TLS from the first byte.

    Implicit TLS is done here with ``loop.start_tls`` rather than ``create_server(ssl=...)``:
    that way the owner holds the raw TCP transport from the moment of accept and ``stop()``
    can abort a client stalled in the handshake, which asyncio 3.11 offers no handle on.
    """

    __test__ = False  # keep pytest from collecting it

    def __init__(
        self,
        handler: RecordingHandler,
        *,
        implicit_tls: ssl.SSLContext | None,
        on_open: Callable[[TestSMTP], None],
        on_close: Callable[[TestSMTP], None],
        **smtp_options: Any,
    ) -> None:
        super().__init__(handler, **smtp_options)
        self._recorder = handler
        self._implicit_tls = implicit_tls
        self._on_open = on_open
        self._on_close = on_close
        self._raw_transport: asyncio.BaseTransport | None = None
        self._handshake: asyncio.Task[None] | None = None

    def abort(self) -> None:
        """Drop the TCP connection at once: used by ``stop()``, which must never wait."""
        if self._raw_transport is not None and not self._raw_transport.is_closing():
            if isinstance(self._raw_transport, asyncio.Transport):
                self._raw_transport.abort()
            else:
                self._raw_transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._raw_transport is not None:  # aiosmtpd's STARTTLS re-entry, or our TLS done
            super().connection_made(transport)
            return
        self._raw_transport = transport
        self._on_open(self)
        if self._implicit_tls is None:
            super().connection_made(transport)
            return
        assert isinstance(transport, asyncio.Transport)
        # Stop this protocol from eating the ClientHello before start_tls takes over.
        transport.pause_reading()
        self._handshake = self.loop.create_task(self._start_implicit_tls(transport))

    async def _start_implicit_tls(self, transport: asyncio.Transport) -> None:
        assert self._implicit_tls is not None
        try:
            tls_transport = await self.loop.start_tls(
                transport,
                self,
                self._implicit_tls,
                server_side=True,
                ssl_handshake_timeout=IMPLICIT_TLS_HANDSHAKE_TIMEOUT,
            )
        except (OSError, TimeoutError):  # ssl.SSLError is an OSError: bad client, not our bug
            transport.abort()
            return
        if tls_transport is None or transport.is_closing():
            transport.abort()
            return
        super().connection_made(tls_transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._on_close(self)
        if self._handler_coroutine is None:  # lost before the SMTP session started
            if self._handshake is not None:
                self._handshake.cancel()
            return
        super().connection_lost(error)

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg: str) -> None:
        """Record AUTH commands that aiosmtpd refuses before asking the authenticator.

        Those include AUTH before TLS (538) with an initial response: the credentials have
        crossed the wire in the clear even though they were refused, and tests must see it.
        A client that hangs up mid-exchange is recorded too (``auth.connection_lost``).
        """
        before = len(self._recorder.attempts)
        try:
            await super().smtp_AUTH(arg)
        finally:
            if arg and len(self._recorder.attempts) == before:
                mechanism, _, initial = arg.strip().partition(" ")
                username = _username_from_initial_response(mechanism, initial.strip())
                self._recorder.record_auth(self, mechanism.upper(), username, success=False)


def _username_from_initial_response(mechanism: str, initial: str) -> str:
    """Best-effort user name from an RFC 4954 initial response; the password is discarded."""
    try:
        decoded = base64.b64decode(initial, validate=True)
    except (binascii.Error, ValueError):
        return ""
    if mechanism.upper() == "PLAIN":  # RFC 4616: authzid NUL authcid NUL passwd
        parts = decoded.split(b"\x00")
        decoded = parts[1] if len(parts) == 3 else b""
    elif mechanism.upper() != "LOGIN":
        return ""
    return decoded.decode("utf-8", errors="replace")
