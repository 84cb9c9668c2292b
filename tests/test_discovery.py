"""Settings discovery against a real DNS server and real SMTP servers on loopback.

DNS always goes to the LoopbackDnsServer (or a StaticResolver), never the system
resolver; probes reach 127.0.0.1 only, through ``port_map``.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from emaildiag.checks.dns import DnspythonResolver, StaticResolver, parse_dns_server
from emaildiag.discovery import Suggestion, asuggest_settings, parse_srv, suggest_settings
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.blackhole import BlackholePort
from emaildiag.testing.dns import LoopbackDnsServer

ZONE = {
    # (a) the domain owner's own statement, RFC 6186 / RFC 8314
    ("_submissions._tcp.srv.test", "SRV"): ["0 1 465 submit.srv.test."],
    ("_submission._tcp.srv.test", "SRV"): ["5 1 587 submit.srv.test."],
    ("submit.srv.test", "A"): ["127.0.0.1"],
    ("smtp.srv.test", "A"): ["127.0.0.1"],
    # "." target: submission decidedly not offered (RFC 6186 §4)
    ("_submission._tcp.dot.test", "SRV"): ["0 0 0 ."],
    ("smtp.dot.test", "A"): ["127.0.0.1"],
    # (c) a custom domain on Google Workspace
    ("acme.test", "MX"): ["1 aspmx.l.google.com.", "5 alt1.aspmx.l.google.com."],
    ("smtp.acme.test", "A"): ["127.0.0.1"],
    # (d) nothing but names to guess
    ("guess.test", "MX"): ["10 mx.guess.test."],
    ("smtp.guess.test", "A"): ["127.0.0.1"],
    # (g) a firewall that drops everything
    ("smtp.blackhole.test", "A"): ["127.0.0.1"],
}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(ZONE) as s:
        yield s


@pytest.fixture(scope="module")
def guess_pki() -> Iterator[TestPKI]:
    with TestPKI(hostname="smtp.guess.test") as p:
        yield p


def resolver(server: LoopbackDnsServer) -> DnspythonResolver:
    return DnspythonResolver(parse_dns_server(server.address), timeout=1.0)


def dead_port() -> int:
    """A loopback port nothing listens on (connects are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def where(suggestions: list[Suggestion]) -> list[tuple[str, int, str, str]]:
    return [(s.host, s.port, s.security, s.source) for s in suggestions]


async def test_srv_records_come_first(dns_server: LoopbackDnsServer) -> None:
    found = await asuggest_settings("anna@srv.test", resolver=resolver(dns_server), probe=False)
    assert where(found)[:2] == [
        ("submit.srv.test", 465, "implicit", "srv"),
        ("submit.srv.test", 587, "starttls", "srv"),
    ]
    assert {s.source for s in found[2:]} == {"guess"}  # smtp.srv.test, after the SRV
    assert found[0].username == "anna@srv.test"
    assert "_submissions._tcp.srv.test" in found[0].evidence
    assert found[0].confidence > max(s.confidence for s in found[2:])
    assert not any(s.verified for s in found)


async def test_srv_target_dot_means_not_offered(dns_server: LoopbackDnsServer) -> None:
    found = await asuggest_settings("anna@dot.test", resolver=resolver(dns_server), probe=False)
    assert found and all(s.source == "guess" for s in found)


async def test_gmail_address_from_provider_data(dns_server: LoopbackDnsServer) -> None:
    found = await asuggest_settings("someone@gmail.com", resolver=resolver(dns_server), probe=False)
    assert {(s.host, s.port, s.security) for s in found} >= {
        ("smtp.gmail.com", 587, "starttls"),
        ("smtp.gmail.com", 465, "implicit"),
    }
    assert {s.source for s in found} == {"provider"}
    assert all(s.username == "someone@gmail.com" and not s.verified for s in found)


async def test_custom_domain_with_google_mx(dns_server: LoopbackDnsServer) -> None:
    found = await asuggest_settings("boss@acme.test", resolver=resolver(dns_server), probe=False)
    assert found[0].host == "smtp.gmail.com" and found[0].source == "mx"
    assert "aspmx.l.google.com" in found[0].evidence
    # A known provider: no guesses under the customer's domain.
    assert all(s.host == "smtp.gmail.com" for s in found)


@pytest.mark.parametrize("live", ["starttls", "implicit"])
async def test_guesses_verified_by_probe(
    dns_server: LoopbackDnsServer, guess_pki: TestPKI, live: str
) -> None:
    live_port = 587 if live == "starttls" else 465
    other_port = 465 if live == "starttls" else 587
    with SmtpTestServer(ServerSpec(mode=live), guess_pki) as server:  # type: ignore[arg-type]
        found = await asuggest_settings(
            "me@guess.test",
            resolver=resolver(dns_server),
            port_map={live_port: server.port, other_port: dead_port()},
            ca_file=str(guess_pki.ca_file),
            timeout=5.0,
        )
    by_port = {s.port: s for s in found if s.host == "smtp.guess.test"}
    assert set(by_port) == {465, 587}
    assert all(s.source == "guess" for s in found)
    assert by_port[live_port].verified and by_port[live_port].security == live
    assert not by_port[other_port].verified
    assert found[0] == by_port[live_port]  # verified guesses rank first
    assert by_port[live_port].confidence > by_port[other_port].confidence
    assert "220" in by_port[live_port].evidence
    assert "mail.guess.test" not in {s.host for s in found}  # does not resolve: dropped


async def test_probe_reports_an_untrusted_certificate_but_still_verifies(
    dns_server: LoopbackDnsServer, pki: TestPKI
) -> None:
    with SmtpTestServer(ServerSpec(mode="implicit"), pki) as server:
        found = await asuggest_settings(
            "me@guess.test",
            resolver=resolver(dns_server),
            port_map={465: server.port, 587: dead_port()},
            timeout=5.0,
        )
    top = found[0]
    assert (top.port, top.verified) == (465, True)
    assert "certificate not verified" in top.evidence


@pytest.mark.parametrize(
    "address", ["", "not-an-address", "a@b@c.test", "anna@", "anna@srv.test\r\nRCPT TO:<x@y>"]
)
def test_invalid_address_is_a_value_error(address: str) -> None:
    with pytest.raises(ValueError, match="email address") as info:
        suggest_settings(address, resolver=StaticResolver(), probe=False)
    assert "\n" not in str(info.value)


def test_sync_wrapper_in_plain_code(dns_server: LoopbackDnsServer) -> None:
    found = suggest_settings("anna@srv.test", resolver=resolver(dns_server), probe=False)
    assert found[0].source == "srv"


async def test_sync_wrapper_inside_a_running_loop(dns_server: LoopbackDnsServer) -> None:
    asyncio.get_running_loop()  # as in a Jupyter cell
    found = suggest_settings("anna@srv.test", resolver=resolver(dns_server), probe=False)
    assert found[0].source == "srv"


async def test_the_whole_run_respects_the_timeout(dns_server: LoopbackDnsServer) -> None:
    with BlackholePort() as port:
        t0 = time.monotonic()
        found = await asuggest_settings(
            "x@blackhole.test",
            resolver=resolver(dns_server),
            port_map={465: port, 587: port},
            timeout=1.5,
        )
        elapsed = time.monotonic() - t0
    assert elapsed < 1.5 + 0.3
    assert {s.port for s in found} == {465, 587}
    assert not any(s.verified for s in found)
    assert all("no SMTP server reached" in s.evidence for s in found)


async def test_a_hung_resolver_does_not_outlast_the_timeout() -> None:
    class Hung:
        async def resolve(self, name: str, rdtype: str) -> list[str]:
            await asyncio.sleep(60)
            return []

    t0 = time.monotonic()
    found = await asuggest_settings("x@hung.test", resolver=Hung(), timeout=0.5)
    assert time.monotonic() - t0 < 0.5 + 0.3
    assert found == []


async def test_srv_ordering_and_dedupe_with_a_static_resolver() -> None:
    records = {
        ("_submissions._tcp.shop.test", "SRV"): ["10 5 465 b.shop.test.", "10 50 465 a.shop.test."],
        ("_submission._tcp.shop.test", "SRV"): ["0 0 587 c.shop.test.", "10 90 587 d.shop.test."],
        ("smtp.shop.test", "A"): ["127.0.0.1"],
    }
    found = await asuggest_settings("x@shop.test", resolver=StaticResolver(records), probe=False)
    assert [(s.host, s.port) for s in found if s.source == "srv"] == [
        ("c.shop.test", 587),  # priority 0
        ("a.shop.test", 465),  # priority 10, implicit TLS first, then the higher weight
        ("b.shop.test", 465),
        ("d.shop.test", 587),
    ]


async def test_srv_naming_the_provider_host_is_not_repeated() -> None:
    records = {("_submissions._tcp.gmail.com", "SRV"): ["0 1 465 smtp.gmail.com."]}
    found = await asuggest_settings("x@gmail.com", resolver=StaticResolver(records), probe=False)
    assert where(found)[0] == ("smtp.gmail.com", 465, "implicit", "srv")
    assert len({(s.host, s.port, s.security) for s in found}) == len(found)
    assert [s.source for s in found] == ["srv", "provider"]


async def test_provider_username_and_ports_come_from_provider_data() -> None:
    records = {("news.test", "MX"): ["10 mx.sendgrid.net."]}  # SendGrid Inbound Parse
    found = await asuggest_settings("x@news.test", resolver=StaticResolver(records), probe=False)
    assert {s.host for s in found} == {"smtp.sendgrid.net"}
    assert {s.username for s in found} == {"apikey"}
    assert {s.source for s in found} == {"mx"}
    assert 25 not in {s.port for s in found}  # a relay port, not for submission
    assert (found[0].port, found[0].security) == (587, "starttls")  # the provider's order


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0 1 587 smtp.example.com.", (0, 1, 587, "smtp.example.com")),
        ("0 0 0 .", None),
        ("0 0 587 .", None),
        ("garbage", None),
        ("1 2 99999 x.test.", None),
    ],
)
def test_parse_srv(text: str, parsed: tuple[int, int, int, str] | None) -> None:
    assert parse_srv(text) == parsed
