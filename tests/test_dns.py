"""DNS step against a real DNS server on loopback: rcodes stay distinct, records parse."""

from __future__ import annotations

import json
import time

import pytest
from cli_process import run_cli

from emaildiag.checks.dns import (
    DnsError,
    DnspythonResolver,
    parse_dns_server,
    probe_dns,
)
from emaildiag.checks.dns_findings import assess_dns
from emaildiag.testing.dns import LoopbackDnsServer

ZONE = {
    ("mail.example.test", "A"): ["127.0.0.1"],
    ("mail.example.test", "AAAA"): ["::1"],
    ("example.test", "MX"): ["10 mail.example.test."],
    ("example.test", "TXT"): ['"v=spf1 mx -all"', '"google-site-verification=abc"'],
    ("_dmarc.example.test", "TXT"): ['"v=DMARC1; p=reject"'],
    ("nomail.test", "MX"): ["0 ."],
    ("nomail.test", "A"): ["127.0.0.2"],
    ("onlymx.test", "MX"): ["10 mx.onlymx.test."],
    ("bare.test", "TXT"): ['"hello"'],
    ("_submission._tcp.example.test", "SRV"): ["0 1 587 mail.example.test."],
    ("_submissions._tcp.example.test", "SRV"): ["0 1 465 mail.example.test."],
    ("smtp.example.test", "CNAME"): ["relay.example.test."],
    ("relay.example.test", "CNAME"): ["mail.example.test."],
    ("dangling.example.test", "CNAME"): ["gone.example.test."],
    ("gmail-custom.test", "TXT"): ['"v=spf1 include:_spf.google.com ~all"'],
    ("wrong-spf.test", "TXT"): ['"v=spf1 include:spf.protection.outlook.com -all"'],
}


@pytest.fixture(scope="module")
def server() -> LoopbackDnsServer:
    with LoopbackDnsServer(ZONE) as s:
        yield s  # type: ignore[misc]


def resolver(server: LoopbackDnsServer) -> DnspythonResolver:
    return DnspythonResolver(parse_dns_server(server.address), timeout=1.0)


async def test_records_of_host_and_domain(server: LoopbackDnsServer) -> None:
    facts, errors = await probe_dns(resolver(server), "mail.example.test", "example.test")
    assert errors == {}
    assert facts.addresses == (("127.0.0.1", "ipv4"), ("::1", "ipv6"))
    assert facts.mx == ("10 mail.example.test.",)
    assert facts.spf == "v=spf1 mx -all" and facts.dmarc == "v=DMARC1; p=reject"
    assert facts.submission_srv == ("0 1 587 mail.example.test.",)
    assert facts.submissions_srv == ("0 1 465 mail.example.test.",)
    assert facts.cname_chain == ()
    assert assess_dns(facts, errors, "en") == []


async def test_cname_chain_is_followed_and_recorded(server: LoopbackDnsServer) -> None:
    facts, _ = await probe_dns(resolver(server), "smtp.example.test", None)
    assert facts.cname_chain == ("relay.example.test", "mail.example.test")
    assert facts.addresses[0] == ("127.0.0.1", "ipv4")


async def test_a_dangling_cname_is_host_not_found(server: LoopbackDnsServer) -> None:
    facts, errors = await probe_dns(resolver(server), "dangling.example.test", None)
    assert facts.cname_chain == ("gone.example.test",)
    assert [f.code for f in assess_dns(facts, errors, "en")] == ["dns.host_not_found"]


@pytest.mark.parametrize(
    ("host", "domain", "flagged"),
    [
        ("smtp.gmail.com", "gmail-custom.test", False),
        ("smtp.gmail.com", "wrong-spf.test", True),
        ("smtp.office365.com", "wrong-spf.test", False),
        ("mail.example.test", "wrong-spf.test", False),  # unknown provider: nothing to compare
        ("smtp.gmail.com", "bare.test", False),  # no SPF at all is dns.spf_missing instead
    ],
)
async def test_spf_that_leaves_out_the_provider(
    server: LoopbackDnsServer, host: str, domain: str, flagged: bool
) -> None:
    from emaildiag.catalog.providers import provider_for_host
    from emaildiag.checks.dns_findings import assess_spf

    facts, _ = await probe_dns(resolver(server), "mail.example.test", domain)
    found = [f.code for f in assess_spf(facts, provider_for_host(host), "en")]
    assert found == (["dns.spf_excludes_provider"] if flagged else [])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("missing.example.test", "nxdomain"),
        ("onlymx.test", "nodata"),
        ("servfail.example.test", "servfail"),
        ("refused.example.test", "refused"),
        ("timeout.example.test", "timeout"),
    ],
)
async def test_each_failure_keeps_its_kind(server: LoopbackDnsServer, name: str, kind: str) -> None:
    t0 = time.monotonic()
    with pytest.raises(DnsError) as exc:
        await resolver(server).resolve(name, "A")
    assert exc.value.kind == kind
    assert time.monotonic() - t0 < 3.0


@pytest.mark.parametrize(
    ("host", "domain", "codes"),
    [
        ("missing.example.test", None, {"dns.host_not_found"}),
        ("onlymx.test", None, {"dns.host_no_address"}),
        ("servfail.example.test", None, {"dns.failure"}),
        ("timeout.example.test", None, {"dns.failure"}),
        (
            "mail.example.test",
            "nomail.test",
            {"dns.null_mx", "dns.spf_missing", "dns.dmarc_missing"},
        ),
        ("mail.example.test", "bare.test", {"dns.no_mx", "dns.spf_missing", "dns.dmarc_missing"}),
        ("mail.example.test", "servfail.test", {"dns.failure"}),
    ],
)
async def test_assessment(
    server: LoopbackDnsServer, host: str, domain: str | None, codes: set[str]
) -> None:
    facts, errors = await probe_dns(resolver(server), host, domain)
    assert {f.code for f in assess_dns(facts, errors, "en")} == codes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:53", ("::1", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_parse_dns_server(value: str, expected: tuple[str, int]) -> None:
    assert parse_dns_server(value) == expected


@pytest.mark.parametrize("value", ["dns.google", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3", ""])
def test_parse_dns_server_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_dns_server(value)


def test_cli_dns_server_flag_reaches_the_loopback_server(server: LoopbackDnsServer) -> None:
    """`--dns-server` end to end: NXDOMAIN for the host becomes dns.host_not_found, exit 1."""
    r = run_cli(
        "check",
        "--host",
        "nothere.example.test",
        "--username",
        "alice@example.test",
        "--dns-server",
        server.address,
        "--timeout",
        "5",
        "--json",
        "-",
    )
    assert r.returncode == 1, r.stderr
    codes = {f["code"] for f in json.loads(r.stdout)["findings"]}
    assert "dns.host_not_found" in codes
    assert ("nothere.example.test", "A") in server.queries


@pytest.mark.parametrize(
    ("host", "status", "code"),
    [("servfail.example.test", 3, "dns.failure"), ("timeout.example.test", 3, "dns.failure")],
)
def test_cli_exit_3_when_dns_itself_fails(
    server: LoopbackDnsServer, host: str, status: int, code: str
) -> None:
    r = run_cli(
        "check",
        "--host",
        host,
        "--username",
        "alice@example.test",
        "--dns-server",
        server.address,
        "--timeout",
        "3",
        "--json",
        "-",
    )
    assert r.returncode == status, r.stderr
    assert code in {f["code"] for f in json.loads(r.stdout)["findings"]}


async def test_a_sending_domain_too_long_for_dmarc_keeps_the_host_records(
    server: LoopbackDnsServer,
) -> None:
    domain = ".".join(["a" * 60] * 4) + ".test"  # valid, but _dmarc.<domain> exceeds 255 octets
    facts, errors = await probe_dns(resolver(server), "mail.example.test", domain)
    assert facts.addresses == (("127.0.0.1", "ipv4"), ("::1", "ipv6"))
    assert errors["DMARC"].kind == "nxdomain"
