"""The HTTP relay check against real loopback HTTP(S) servers with real certificates.

DNS always comes from a StaticResolver; every server binds 127.0.0.1 or ::1. Each server
started through the ``serve`` fixture is checked afterwards to have seen GET requests
only: a probe must never send an email.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from emaildiag.checks.dns import StaticResolver
from emaildiag.checks.relay import RelayFacts, assess_relay, check_relay
from emaildiag.checks.wire import Transcript
from emaildiag.model import Finding, Severity
from emaildiag.redact import NO_SECRETS
from emaildiag.testing.http import HttpSpec, HttpTestServer
from emaildiag.testing.pki import WRONG_HOSTNAME, CertKind, TestPKI

HOST = "relay.emaildiag.test"
RESOLVER = StaticResolver({(HOST, "A"): ["127.0.0.1"]})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def relay_pki() -> Iterator[TestPKI]:
    with TestPKI(hostname=HOST) as pki:
        yield pki


@pytest.fixture
def serve(relay_pki: TestPKI) -> Iterator[Callable[..., HttpTestServer]]:
    servers: list[HttpTestServer] = []
    with contextlib.ExitStack() as stack:

        def start(**spec: object) -> HttpTestServer:
            server = stack.enter_context(HttpTestServer(HttpSpec(**spec), relay_pki))  # type: ignore[arg-type]
            servers.append(server)
            return server

        yield start
    for server in servers:
        assert set(server.methods) <= {"GET"}, "the probe sent something other than GET"


async def _check(
    url: str,
    pki: TestPKI,
    *,
    verify_tls: bool = True,
    timeout: float = 5.0,
    resolver: StaticResolver = RESOLVER,
    transcript: Transcript | None = None,
) -> tuple[RelayFacts, list[Finding]]:
    return await check_relay(
        url,
        resolver=resolver,
        verify_context=pki.client_context(),
        verify_tls=verify_tls,
        timeout=timeout,
        lang="en",
        now=_now,
        transcript=transcript,
    )


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_working_relay_gets_one_get_with_host_and_sni_of_the_url(serve, relay_pki):
    server = serve(status=200)
    facts, findings = await _check(f"https://{HOST}:{server.port}/v1/send", relay_pki)
    assert _codes(findings) == ["tls.ok", "http.ok"]
    assert facts.status == 200 and facts.failed_at is None
    assert facts.address == "127.0.0.1" and facts.addresses == (("127.0.0.1", "ipv4"),)
    assert facts.tls is not None and facts.tls.verified and facts.tls.certificate is not None
    assert set(facts.timings) == {"dns", "connect", "tls", "request"}
    assert facts.latency_ms is not None and facts.latency_ms >= 0
    # Connected to the resolved IP, yet the relay saw its own name in SNI and Host.
    assert server.methods == ["GET"] and server.connections == 1
    assert server.server_names == [HOST]
    assert server.requests[0].header("host") == f"{HOST}:{server.port}"
    assert server.requests[0].target == "/v1/send" and server.requests[0].body == b""


@pytest.mark.parametrize("status", [404, 500, 401, 503])
async def test_error_statuses_are_bad_status(serve, relay_pki, status):
    server = serve(status=status, body=b'{"error": "no such route"}')
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki)
    bad = [f for f in findings if f.code == "http.bad_status"]
    assert len(bad) == 1 and bad[0].params["status"] == str(status)
    assert bad[0].detail is not None and "no such route" in bad[0].detail
    assert "http.unreachable" not in _codes(findings)
    assert facts.status == status


@pytest.mark.parametrize("status", [200, 204, 302, 405])
async def test_statuses_that_mean_the_endpoint_exists(serve, relay_pki, status):
    """405: the endpoint exists and takes POST only, which is what a relay does."""
    server = serve(status=status)
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki)
    assert [c for c in _codes(findings) if c.startswith("http.")] == ["http.ok"]
    assert facts.status == status


async def test_a_redirect_is_reported_not_followed(serve, relay_pki):
    server = serve(status=302, headers={"Location": "http://user:pw@elsewhere.example/x"})
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki)
    assert facts.status == 302 and server.methods == ["GET"] and server.connections == 1
    assert facts.location is not None and "elsewhere.example" in facts.location
    assert "pw" not in facts.location  # userinfo of a Location is hidden like the URL's
    assert "http.bad_status" not in _codes(findings)


async def test_refused_port_is_unreachable(relay_pki):
    facts, findings = await _check(f"https://{HOST}:{_free_port()}/send", relay_pki)
    assert "http.unreachable" in _codes(findings)
    assert facts.failed_at == "connect" and facts.status is None and facts.tls is None


async def test_nxdomain_is_unreachable_without_any_connection(relay_pki):
    facts, findings = await _check("https://nowhere.emaildiag.test/send", relay_pki)
    assert _codes(findings) == ["http.unreachable"]
    assert facts.failed_at == "dns" and facts.addresses == () and facts.address is None


async def test_answers_that_are_not_addresses_never_reach_the_system_resolver(relay_pki):
    """A resolver answering a name instead of an IP must not make asyncio look it up."""
    resolver = StaticResolver({(HOST, "A"): ["localhost"], (HOST, "AAAA"): ["not an ip"]})
    facts, findings = await _check(f"https://{HOST}:{_free_port()}/", relay_pki, resolver=resolver)
    assert _codes(findings) == ["http.unreachable"] and facts.failed_at == "dns"


@pytest.mark.parametrize("url", ["ftp://relay.emaildiag.test/", "https:///nohost", "not a url"])
async def test_an_unusable_url_is_unreachable_without_network(relay_pki, url):
    facts, findings = await _check(url, relay_pki)
    assert _codes(findings) == ["http.unreachable"] and facts.failed_at == "url"


@pytest.mark.parametrize(
    ("cert", "code"),
    [
        (CertKind.EXPIRED, "tls.cert_expired"),
        (CertKind.WRONG_HOST, "tls.cert_hostname_mismatch"),
        (CertKind.SELF_SIGNED, "tls.cert_self_signed"),
        (CertKind.UNTRUSTED_CA, "tls.cert_untrusted"),
    ],
)
async def test_an_untrusted_certificate_stops_the_check_before_any_request(
    serve, relay_pki, cert, code
):
    server = serve(cert=cert)
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki)
    assert code in _codes(findings) and "http.unreachable" in _codes(findings)
    assert next(f for f in findings if f.code == code).severity is Severity.ERROR
    assert server.requests == []  # verification failed: nothing was sent
    # Two handshakes (SNI seen twice): the verifying pass, then the one that reads the cert.
    assert server.server_names == [HOST, HOST]
    assert facts.failed_at == "tls" and facts.status is None
    assert facts.tls is not None and not facts.tls.verified and facts.tls.certificate is not None
    assert facts.tls.verify_error is not None
    if cert is CertKind.WRONG_HOST:
        assert WRONG_HOSTNAME in facts.tls.certificate.san


async def test_self_signed_with_verification_off_is_probed_and_only_informed(serve, relay_pki):
    server = serve(cert=CertKind.SELF_SIGNED, status=200)
    facts, findings = await _check(
        f"https://{HOST}:{server.port}/send", relay_pki, verify_tls=False
    )
    assert _codes(findings) == ["tls.cert_self_signed", "http.ok"]
    assert findings[0].severity is Severity.INFO
    assert facts.status == 200 and server.methods == ["GET"]
    assert facts.tls is not None and not facts.tls.verified


async def test_expired_with_verification_off_still_reports_the_expiry(serve, relay_pki):
    server = serve(cert=CertKind.EXPIRED, status=200)
    facts, findings = await _check(
        f"https://{HOST}:{server.port}/send", relay_pki, verify_tls=False
    )
    assert "tls.cert_expired" in _codes(findings) and facts.status == 200


async def test_https_url_on_a_plain_http_server_fails_in_tls(serve, relay_pki):
    server = serve(cert=None)
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki, timeout=1.0)
    assert _codes(findings) == ["http.unreachable"] and facts.failed_at == "tls"
    assert server.requests == []


@pytest.mark.parametrize(("scheme", "phase"), [("https", "tls"), ("http", "request")])
async def test_a_url_pointing_at_a_mail_server_is_unreachable(serve, relay_pki, scheme, phase):
    """Plain text where TLS was expected fails the handshake at once; an SMTP greeting
    where HTTP was expected is not a valid answer. Neither waits for the deadline."""
    server = serve(cert=None, behaviour="smtp")
    t0 = time.monotonic()
    facts, findings = await _check(f"{scheme}://{HOST}:{server.port}/", relay_pki)
    assert time.monotonic() - t0 < 2.0
    assert [c for c in _codes(findings) if c != "http.not_encrypted"] == [
        "http.unreachable"
    ] and facts.failed_at == phase


async def test_a_silent_relay_ends_at_the_deadline(serve, relay_pki):
    server = serve(behaviour="silent")
    t0 = time.monotonic()
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki, timeout=1.0)
    assert time.monotonic() - t0 < 1.5
    assert "http.unreachable" in _codes(findings)
    assert facts.failed_at == "request" and facts.status is None
    assert facts.timings["request"] > 0


async def test_a_dripping_body_keeps_the_status_and_the_deadline(serve, relay_pki):
    server = serve(behaviour="drip", status=200)
    t0 = time.monotonic()
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki, timeout=1.0)
    assert time.monotonic() - t0 < 1.5
    assert facts.status == 200 and facts.failed_at is None and facts.error is not None
    assert [c for c in _codes(findings) if c.startswith("http.")] == ["http.ok"]


async def test_an_endless_body_is_cut_at_the_cap(serve, relay_pki):
    server = serve(behaviour="flood", status=500)
    t0 = time.monotonic()
    facts, findings = await _check(f"https://{HOST}:{server.port}/send", relay_pki, timeout=5.0)
    assert time.monotonic() - t0 < 2.0  # stopped at 64 KiB, not at the deadline
    assert facts.status == 500 and "http.bad_status" in _codes(findings)
    assert facts.body is not None and len(facts.body) < 400


async def test_plain_http_works_and_keeps_url_credentials_to_itself(serve, relay_pki):
    server = serve(cert=None, status=200)
    facts, findings = await _check(f"http://user:s3cret@{HOST}:{server.port}/send", relay_pki)
    assert _codes(findings) == ["http.not_encrypted", "http.ok"]
    assert facts.tls is None and facts.status == 200
    assert server.requests[0].header("authorization") is None
    assert "s3cret" not in facts.url


async def test_url_credentials_travel_only_inside_verified_tls(serve, relay_pki):
    server = serve(status=200)
    facts, _ = await _check(f"https://user:s3cret@{HOST}:{server.port}/send", relay_pki)
    assert server.requests[0].header("authorization") == "Basic dXNlcjpzM2NyZXQ="
    assert "s3cret" not in facts.url


async def test_url_credentials_are_not_sent_on_the_certificate_reading_pass(serve, relay_pki):
    server = serve(cert=CertKind.EXPIRED)
    await _check(f"https://user:s3cret@{HOST}:{server.port}/send", relay_pki)
    assert server.requests == []


async def test_proxy_variables_are_ignored(serve, relay_pki, monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{_free_port()}")
    server = serve(status=200)
    facts, _ = await _check(f"https://{HOST}:{server.port}/send", relay_pki)
    assert facts.status == 200 and server.methods == ["GET"]


async def test_transcript_shows_the_exchange_without_the_query(serve, relay_pki):
    server = serve(status=200)
    transcript = Transcript(NO_SECRETS)
    await _check(
        f"https://{HOST}:{server.port}/send?key=SECRETKEY", relay_pki, transcript=transcript
    )
    lines = [(t.direction, t.text) for t in transcript.lines]
    assert ("C", "GET /send?… HTTP/1.1") in lines
    assert any(d == "S" and " 200 " in text for d, text in lines)
    assert not any("SECRETKEY" in text for _, text in lines)


def _blackhole(host: str, port: int) -> list[socket.socket]:
    """A listener on ``host:port`` whose full backlog leaves new SYNs unanswered."""
    listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    listener.bind((host, port))
    listener.listen(0)
    fillers = [listener]
    for _ in range(8):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect((host, port))
        fillers.append(s)
    return fillers


async def test_ipv6_blackhole_falls_back_to_ipv4_quickly(serve, relay_pki):
    """RFC 8305: a silent IPv6 address costs the 250 ms stagger, not the deadline."""
    server = serve(status=200)
    try:
        sockets = _blackhole("::1", server.port)
    except OSError:
        pytest.skip("::1 unavailable on this machine")
    resolver = StaticResolver({(HOST, "A"): ["127.0.0.1"], (HOST, "AAAA"): ["::1"]})
    try:
        t0 = time.monotonic()
        facts, findings = await _check(
            f"https://{HOST}:{server.port}/send", relay_pki, resolver=resolver, timeout=3.0
        )
        elapsed = time.monotonic() - t0
    finally:
        for s in sockets:
            s.close()
    assert facts.status == 200 and facts.address == "127.0.0.1"
    assert facts.addresses == (("127.0.0.1", "ipv4"), ("::1", "ipv6"))
    assert elapsed < 1.5
    assert "http.unreachable" not in _codes(findings)


async def test_every_address_refused_names_each_one(relay_pki):
    resolver = StaticResolver({(HOST, "A"): ["127.0.0.1"], (HOST, "AAAA"): ["::1"]})
    facts, findings = await _check(
        f"https://{HOST}:{_free_port()}/send", relay_pki, resolver=resolver
    )
    assert _codes(findings) == ["http.unreachable"] and facts.failed_at == "connect"
    assert facts.error is not None and "127.0.0.1" in facts.error and "::1" in facts.error


def _facts(**changes: object) -> RelayFacts:
    base = RelayFacts(url=f"https://{HOST}/send", host=HOST, port=443)
    return RelayFacts(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "codes"),
    [
        (None, ["http.unreachable"]),
        (200, ["http.ok"]),
        (201, ["http.ok"]),
        (301, ["http.ok"]),
        (304, ["http.ok"]),
        (405, ["http.ok"]),
        (400, ["http.bad_status"]),
        (403, ["http.bad_status"]),
        (404, ["http.bad_status"]),
        (429, ["http.bad_status"]),
        (502, ["http.bad_status"]),
    ],
)
def test_assess_relay_table(status, codes):
    findings = assess_relay(_facts(status=status), verify_tls=True, now=_now(), lang="it")
    assert _codes(findings) == codes


def test_assess_relay_notes_plain_http_in_the_detail():
    facts = _facts(url=f"http://{HOST}/send", status=None, error="refused")
    plain, finding = assess_relay(facts, verify_tls=True, now=_now(), lang="en")
    assert plain.code == "http.not_encrypted"
    assert finding.code == "http.unreachable" and finding.detail is not None
    assert "http://" in finding.detail


def test_the_cli_checks_a_relay_end_to_end(serve, relay_pki):
    """`emaildiag check --protocol http`: a real relay, a real DNS server, the real command."""
    import json

    from cli_process import run_cli

    from emaildiag.testing.dns import LoopbackDnsServer

    server = serve(status=405)
    with LoopbackDnsServer({(HOST, "A"): ["127.0.0.1"]}) as dns:
        r = run_cli(
            "check",
            "--protocol",
            "http",
            "--http-url",
            f"https://{HOST}:{server.port}/send",
            "--http-reply-to",
            "office@example.com",
            "--dns-server",
            dns.address,
            "--ca-file",
            str(relay_pki.ca_file),
            "--json",
            "-",
        )
    data = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert {"tls.ok", "http.ok"} <= {f["code"] for f in data["findings"]}
    assert data["relay"]["status"] == 405 and data["relay"]["tls"]["verified"] is True
    assert server.methods == ["GET"]
