"""Real SMTP servers on loopback, each in its own thread with its own event loop.

A thread of its own lets sync tests, async tests and code that owns a running loop (Jupyter,
``emaildiag demo``) all talk to the same server without sharing or blocking a loop.  The
server binds port 0 itself (aiosmtpd 1.4's ``Controller`` cannot: its readiness check
connects to the requested port, 0) and only ever binds a loopback address.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from emaildiag.testing.pki import CertKind, TestPKI
from emaildiag.testing.protocol import AuthAttempt, ReceivedMessage, RecordingHandler, TestSMTP
from emaildiag.testing.threaded import ThreadedServer

__all__ = ["LOOPBACK_HOSTS", "ServerSpec", "SmtpTestServer"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
IDLE_TIMEOUT = 60.0
"""aiosmtpd drops idle clients after this many seconds (its default of 300 s outlives tests)."""


@dataclass(frozen=True)
class ServerSpec:
    """What kind of mail server to impersonate.

    ``mode``: ``"starttls"`` greets in plain text and offers STARTTLS (ports 25/587);
    ``"implicit"`` speaks TLS from the first byte (port 465, RFC 8314); ``"plain"`` has no
    TLS at all.  ``auth_require_tls=False`` makes an insecure server that advertises and
    accepts AUTH before TLS.  Sender and recipient rejections are case-insensitive.
    """

    mode: Literal["starttls", "implicit", "plain"] = "starttls"
    cert: CertKind = CertKind.VALID
    users: Mapping[str, str] = field(default_factory=dict)
    auth_require_tls: bool = True
    host: str = "127.0.0.1"
    reject_senders: frozenset[str] = frozenset()
    reject_recipients: frozenset[str] = frozenset()
    auth_failure_reply: str | None = None  # the reply to a wrong password, e.g. Gmail's 534

    def __post_init__(self) -> None:
        if self.mode not in ("starttls", "implicit", "plain"):
            raise ValueError(f"unknown mode {self.mode!r}")
        if self.host not in LOOPBACK_HOSTS:
            raise ValueError(f"test servers bind loopback only, not {self.host!r}")
        # A read-only copy: the spec is frozen, a caller's later edits must not leak in.
        object.__setattr__(self, "users", MappingProxyType(dict(self.users)))


class SmtpTestServer(ThreadedServer):
    """One aiosmtpd server for one :class:`ServerSpec`; records sessions, AUTH and messages.

    ``auth_log`` and ``messages`` are appended on the server thread before the matching reply
    is sent, so they are complete as soon as the client has read that reply.
    """

    _name = "SMTP test server"

    def __init__(self, spec: ServerSpec, pki: TestPKI) -> None:
        super().__init__()
        self.spec = spec
        self.pki = pki
        self.sessions = 0
        self._handler = RecordingHandler(
            spec.users, spec.reject_senders, spec.reject_recipients, spec.auth_failure_reply
        )
        self.auth_log: list[AuthAttempt] = self._handler.attempts
        self.messages: list[ReceivedMessage] = self._handler.messages
        self._connections: set[TestSMTP] = set()

    @property
    def host(self) -> str:
        return self.spec.host

    def start(self) -> SmtpTestServer:
        """Bind and serve; returns once the port is listening, or raises why it could not."""
        tls_context = None if self.spec.mode == "plain" else self.pki.server_context(self.spec.cert)
        return self._launch(tls_context, f"smtp-test-{self.spec.mode}")

    def __repr__(self) -> str:
        where = f"{self.host}:{self._port}" if self._port is not None else "not started"
        return f"<SmtpTestServer {self.spec.mode} {self.spec.cert.name} {where}>"

    async def _serve(self, tls_context: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await loop.create_server(
            lambda: self._new_connection(loop, tls_context), host=self.spec.host, port=0
        )
        self._listening(int(server.sockets[0].getsockname()[1]))
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for connection in list(self._connections):
                connection.abort()
            await asyncio.sleep(0)  # let connection_lost callbacks run before tasks are cancelled

    def _new_connection(
        self, loop: asyncio.AbstractEventLoop, tls_context: ssl.SSLContext | None
    ) -> TestSMTP:
        implicit = self.spec.mode == "implicit"
        return TestSMTP(
            self._handler,
            implicit_tls=tls_context if implicit else None,
            on_open=self._opened,
            on_close=self._connections.discard,
            loop=loop,
            # Never let aiosmtpd call socket.getfqdn(): that asks the system resolver.
            hostname=self.pki.hostname,
            ident="ESMTP emaildiag test server",
            tls_context=tls_context if self.spec.mode == "starttls" else None,
            # aiosmtpd cannot tell an implicit-TLS transport is encrypted; TLS is certain there.
            auth_require_tls=self.spec.auth_require_tls and not implicit,
            authenticator=self._handler.authenticate,
            enable_SMTPUTF8=True,
            timeout=IDLE_TIMEOUT,
        )

    def _opened(self, connection: TestSMTP) -> None:
        self._connections.add(connection)
        self.sessions += 1
