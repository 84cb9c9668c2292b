"""The loopback test servers behave like the mail servers they impersonate.

Real connections only (stdlib smtplib and ssl), so the probes tested against these servers
meet the same bytes and OpenSSL errors as in the field.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterator

import pytest

from emaildiag.testing import (
    AuthAttempt,
    CertKind,
    ReceivedMessage,
    ServerSpec,
    SmtpTestServer,
    TestPKI,
)

USERS = {"alice@example.test": "correct horse"}
TIMEOUT = 5.0
ServeFactory = Callable[..., SmtpTestServer]


@pytest.fixture(scope="module")
def pki() -> Iterator[TestPKI]:
    with TestPKI() as pki:
        yield pki


@pytest.fixture
def serve(pki: TestPKI) -> Iterator[ServeFactory]:
    servers: list[SmtpTestServer] = []

    def start(**spec: object) -> SmtpTestServer:
        server = SmtpTestServer(ServerSpec(**spec), pki).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def tls_connect(
    pki: TestPKI, server: SmtpTestServer, server_hostname: str = "localhost"
) -> ssl.SSLSocket:
    raw = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    try:
        return pki.client_context().wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


@pytest.mark.parametrize(
    ("kind", "verify_code"),
    [
        (CertKind.EXPIRED, 10),
        (CertKind.NOT_YET_VALID, 9),
        (CertKind.WRONG_HOST, 62),
        (CertKind.SELF_SIGNED, 18),
        (CertKind.UNTRUSTED_CA, 20),
    ],
)
def test_bad_certificate_fails_verification_with_its_openssl_code(
    pki: TestPKI, serve: ServeFactory, kind: CertKind, verify_code: int
) -> None:
    server = serve(mode="implicit", cert=kind)
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        tls_connect(pki, server)
    assert failure.value.verify_code == verify_code


def test_wrong_host_certificate_fails_ip_check(pki: TestPKI, serve: ServeFactory) -> None:
    server = serve(mode="implicit", cert=CertKind.WRONG_HOST)
    with pytest.raises(ssl.SSLCertVerificationError) as failure:
        tls_connect(pki, server, server_hostname="127.0.0.1")
    assert failure.value.verify_code == 64  # X509_V_ERR_IP_ADDRESS_MISMATCH


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
@pytest.mark.parametrize("kind", [CertKind.VALID, CertKind.EXPIRING])
def test_good_certificate_verifies_and_smtp_follows(
    pki: TestPKI, serve: ServeFactory, kind: CertKind, server_hostname: str
) -> None:
    server = serve(mode="implicit", cert=kind)
    with tls_connect(pki, server, server_hostname) as tls:
        assert tls.recv(1024).startswith(b"220 ")
        certificate = tls.getpeercert()
    assert certificate is not None
    days_left = (ssl.cert_time_to_seconds(str(certificate["notAfter"])) - time.time()) / 86400
    assert 50 < days_left < 70 if kind is CertKind.VALID else 10 <= days_left < 11


def test_starttls_greets_in_plain_text_and_offers_starttls(
    pki: TestPKI, serve: ServeFactory
) -> None:
    server = serve(mode="starttls", users=USERS)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # auth_require_tls: nothing to leak before TLS
        code, _ = client.starttls(context=pki.client_context())
        assert code == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        assert set(client.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}


def test_starttls_handshake_failure_leaves_the_server_serving(
    pki: TestPKI, serve: ServeFactory
) -> None:
    server = serve(mode="starttls", cert=CertKind.EXPIRED)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        with pytest.raises(ssl.SSLCertVerificationError) as failure:
            client.starttls(context=pki.client_context())
        assert failure.value.verify_code == 10
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        assert client.noop()[0] == 250
    assert server.sessions == 2


def test_implicit_tls_speaks_tls_first(pki: TestPKI, serve: ServeFactory) -> None:
    server = serve(mode="implicit")
    plain = socket.create_connection((server.host, server.port), timeout=0.3)
    with plain, pytest.raises(TimeoutError):
        plain.recv(1024)  # no plain-text greeting: the server waits for a ClientHello
    with smtplib.SMTP_SSL("localhost", server.port, context=pki.client_context()) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")


def test_tls_client_on_starttls_port_gets_plain_text(pki: TestPKI, serve: ServeFactory) -> None:
    server = serve(mode="starttls")
    with pytest.raises(ssl.SSLError) as failure:
        tls_connect(pki, server)
    assert failure.value.reason == "WRONG_VERSION_NUMBER"  # tls.implicit_on_starttls_port


def test_plain_mode_without_tls_requirement_offers_auth_in_the_clear(
    serve: ServeFactory,
) -> None:
    server = serve(mode="plain", users=USERS, auth_require_tls=False)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")
        assert client.login("alice@example.test", "correct horse")[0] == 235
    assert server.auth_log == [AuthAttempt("PLAIN", "alice@example.test", True, False)]


def test_auth_refused_before_tls_is_still_recorded(serve: ServeFactory) -> None:
    server = serve(mode="plain", users=USERS)
    blob = base64.b64encode(b"\0alice@example.test\0correct horse").decode()
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", f"PLAIN {blob}")[0] == 538
    assert server.auth_log == [AuthAttempt("PLAIN", "alice@example.test", False, False)]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_attempts_are_recorded_with_outcome_and_tls(
    pki: TestPKI, serve: ServeFactory, mechanism: str
) -> None:
    server = serve(mode="starttls", users=USERS)
    outcomes = []
    for password in ("correct horse", "wrong"):
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            client.starttls(context=pki.client_context())
            client.ehlo()
            client.user, client.password = "alice@example.test", password
            authobject = getattr(client, f"auth_{mechanism.lower()}")
            try:
                outcomes.append(client.auth(mechanism, authobject)[0])
            except smtplib.SMTPAuthenticationError as error:
                outcomes.append(error.smtp_code)
    assert outcomes == [235, 535]
    assert server.auth_log == [
        AuthAttempt(mechanism, "alice@example.test", True, True),
        AuthAttempt(mechanism, "alice@example.test", False, True),
    ]


def test_credentials_never_reach_the_log(
    pki: TestPKI, serve: ServeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(mode="plain", users=USERS, auth_require_tls=False)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.login("alice@example.test", "correct horse")
    blob = base64.b64encode(b"\0alice@example.test\0correct horse").decode()
    assert "correct horse" not in caplog.text
    assert blob not in caplog.text


def test_rejected_sender_and_recipient_get_550(serve: ServeFactory) -> None:
    server = serve(
        mode="plain",
        reject_senders=frozenset({"boss@example.test"}),
        reject_recipients=frozenset({"nobody@example.test"}),
    )
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        code, text = client.mail("Boss@Example.test")
        assert (code, text[:5]) == (550, b"5.7.1")
        assert client.mail("alice@example.test")[0] == 250
        code, text = client.rcpt("nobody@example.test")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert client.rcpt("bob@example.test")[0] == 250
        client.rset()
    assert server.messages == []


def test_accepted_message_is_recorded(pki: TestPKI, serve: ServeFactory) -> None:
    server = serve(mode="starttls")
    body = b"Subject: test\r\n\r\nhello\r\n"
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.starttls(context=pki.client_context())
        client.ehlo()
        client.mail("alice@example.test")
        client.rcpt("bob@example.test")
        client.rcpt("copy@example.test")
        code, reply = client.data(body)
    assert code == 250
    assert b"queued as" in reply
    assert server.messages == [
        ReceivedMessage("alice@example.test", ("bob@example.test", "copy@example.test"), body)
    ]
    assert server.sessions == 1


def test_ipv6_loopback(pki: TestPKI, serve: ServeFactory) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = serve(mode="implicit", host="::1")
    except RuntimeError as error:
        pytest.skip(f"::1 unusable here: {error.__cause__}")
    with tls_connect(pki, server, server_hostname="::1") as tls:
        assert tls.recv(1024).startswith(b"220 ")


def test_stop_is_fast_with_open_and_stalled_connections(pki: TestPKI) -> None:
    server = SmtpTestServer(ServerSpec(mode="implicit"), pki).start()
    idle = tls_connect(pki, server)
    assert idle.recv(1024).startswith(b"220 ")
    stalled = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    while server.sessions < 2 and time.monotonic() < deadline:  # stalled client accepted
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    server.stop()  # idempotent
    with idle, stalled:
        assert is_closed(stalled)
        assert is_closed(idle)


def is_closed(sock: socket.socket) -> bool:
    """EOF or reset, as opposed to a connection left hanging (which times out)."""
    try:
        return sock.recv(1024) == b""
    except (ConnectionError, ssl.SSLError):
        return True


def test_stop_without_start_and_port_before_start(pki: TestPKI) -> None:
    server = SmtpTestServer(ServerSpec(), pki)
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.port


def test_spec_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError):
        ServerSpec(host="0.0.0.0")


def test_pki_ca_file_exists_until_close() -> None:
    pki = TestPKI()
    path = pki.ca_file
    assert path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    pki.close()
    assert not path.exists()


@pytest.mark.asyncio
async def test_usable_from_a_running_event_loop(pki: TestPKI, serve: ServeFactory) -> None:
    server = serve(mode="implicit")
    reader, writer = await asyncio.open_connection(
        server.host, server.port, ssl=pki.client_context(), server_hostname="localhost"
    )
    try:
        assert (await asyncio.wait_for(reader.readline(), TIMEOUT)).startswith(b"220 ")
    finally:
        writer.close()
        await writer.wait_closed()
