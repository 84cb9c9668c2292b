"""Loopback SMTP servers and a throw-away PKI for tests and ``emaildiag demo``.

Real servers (aiosmtpd) with real certificates (trustme, cryptography) on 127.0.0.1 / ::1,
so probes are tested against the bytes and OpenSSL errors a real mail server produces::

    with TestPKI() as pki, SmtpTestServer(ServerSpec(cert=CertKind.EXPIRED), pki) as server:
        ...  # connect to ("127.0.0.1", server.port), trust pki.ca_file
"""

from emaildiag.testing.pki import WRONG_HOSTNAME, CertKind, TestPKI
from emaildiag.testing.protocol import AuthAttempt, ReceivedMessage
from emaildiag.testing.server import ServerSpec, SmtpTestServer

__all__ = [
    "WRONG_HOSTNAME",
    "AuthAttempt",
    "CertKind",
    "ReceivedMessage",
    "ServerSpec",
    "SmtpTestServer",
    "TestPKI",
]
