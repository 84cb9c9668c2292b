"""Fault catalogue §8 F (faults-and-security.md): DNS.

Every scenario asks a real DNS server on loopback (``LoopbackDnsServer``, through
``dns_server=``) and runs the whole engine through ``hostile()``, so the §0 invariants
(deadline, memory, no crash, no secret, sockets closed) hold on each run. The system
resolver is never asked: where a scenario needs "this computer's own answer" it is
given through the ``system_lookup`` seam.
"""

from __future__ import annotations

import ssl

import pytest
from harness import hostile_dns, hostile_fake

from emaildiag.checks.dns import StaticResolver, getaddrinfo_lookup
from emaildiag.model import Severity
from emaildiag.runner import Options
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.dns import LoopbackDnsServer
from emaildiag.testing.scripted import smtp_script

HOST = "mail.emaildiag.test"
DOMAIN = "emaildiag.test"

# The sending domain's records, so that only the scenario's own records raise findings.
BASE_ZONE: dict[tuple[str, str], list[str]] = {
    (HOST, "A"): ["127.0.0.1"],
    (DOMAIN, "MX"): [f"10 {HOST}."],
    (DOMAIN, "TXT"): ['"v=spf1 mx -all"'],
    (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=none"'],
}


# --- F33 -----------------------------------------------------------------------------------------

_S33 = [
    # host, code, words the finding must carry (reason for dns.failure, fix otherwise)
    ("nothere.emaildiag.test", "dns.host_not_found", "does not know this name"),
    (DOMAIN, "dns.host_no_address", "Did you enter the mail domain instead of the server?"),
    ("servfail.emaildiag.test", "dns.failure", "SERVFAIL"),
    ("refused.emaildiag.test", "dns.failure", "REFUSED"),
    ("timeout.emaildiag.test", "dns.failure", "did not answer in time"),
]


@pytest.mark.parametrize(("host", "code", "words"), _S33, ids=[h.split(".")[0] for h, *_ in _S33])
async def test_s33_rcode_classes(host: str, code: str, words: str, canary: str) -> None:
    """The DNS server answers the host's A/AAAA queries with NXDOMAIN (an unknown name),
    NODATA (the mail domain, which has MX but no address), SERVFAIL, REFUSED, or not
    at all. Each becomes its own finding; SERVFAIL is never "does not exist"; the
    silent server costs no more than the DNS budget of a 3 s run."""
    out, dns, rec = await hostile_dns(BASE_ZONE, {"host": host}, password=canary, timeout=3.0)
    assert (host, "A") in dns.queries
    found = out.findings(code)
    assert len(found) == 1, out.report.to_text()
    f = found[0]
    assert f.params["host"] == host
    assert words in (f.params["reason"] if code == "dns.failure" else f.fix or "")
    others = {"dns.host_not_found", "dns.host_no_address", "dns.failure"} - {code}
    assert not others & out.codes, out.codes
    if code == "dns.failure":
        assert f.severity is Severity.ERROR
        assert "does not exist" not in f.title + (f.fix or "") + (f.detail or "")
    # nothing to connect to: no probe, no connection, no sign-in
    assert out.report.probes == () and rec.connections == 0
    assert out.report.auth.result == "not_attempted"
    job = next(j for j in out.report.jobs if j.name == "dns")
    assert job.state == "ok", job  # dnspython's own limit ended it, not the guard
    assert job.elapsed_ms <= 1500 + 250, job  # min(10, timeout / 2) s for DNS


async def test_s33_failure_reasons_are_distinct(canary: str) -> None:
    """SERVFAIL, REFUSED and silence from the same server, for the same run: the three
    dns.failure findings say three different things."""
    reasons = set()
    for host in ("servfail.emaildiag.test", "refused.emaildiag.test", "timeout.emaildiag.test"):
        out, _, _ = await hostile_dns(BASE_ZONE, {"host": host}, password=canary, timeout=3.0)
        (f,) = out.findings("dns.failure")
        reasons.add(f.params["reason"])
    assert len(reasons) == 3, reasons


# --- F34 -----------------------------------------------------------------------------------------

_S34: dict[str, tuple[dict[tuple[str, str], list[str]], str | None, str]] = {
    # domain label: (its records, the code it must raise, words in its detail or reason)
    "nullmx": (
        {("nullmx.emaildiag.test", "MX"): ["0 ."], ("nullmx.emaildiag.test", "A"): ["127.0.0.9"]},
        "dns.null_mx",
        "",
    ),
    "alias": (
        {
            ("alias.emaildiag.test", "MX"): ["10 mx.alias.emaildiag.test."],
            ("mx.alias.emaildiag.test", "CNAME"): [f"{HOST}."],
        },
        "dns.mx_unusable",
        "mx.alias.emaildiag.test is an alias (CNAME) of mail.emaildiag.test",
    ),
    "ipmx": (
        {("ipmx.emaildiag.test", "MX"): ["10 192.0.2.25."]},
        "dns.mx_unusable",
        "192.0.2.25 is an IP address, not a server name",
    ),
    "mixed": (
        {("mixed.emaildiag.test", "MX"): ["0 .", f"10 {HOST}."]},
        "dns.mx_unusable",
        "a null MX (.) is listed together with other MX records",
    ),
    "loop": (
        {
            ("loop.emaildiag.test", "CNAME"): ["loop2.emaildiag.test."],
            ("loop2.emaildiag.test", "CNAME"): ["loop.emaildiag.test."],
        },
        "dns.failure",
        "point to each other in a loop",
    ),
    "implicit": ({("implicit.emaildiag.test", "A"): ["127.0.0.5"]}, None, ""),
    "nomail": ({("nomail.emaildiag.test", "TXT"): ['"v=spf1 -all"']}, "dns.no_mx", ""),
    "trunc": ({}, "dns.failure", "too large for UDP and the retry over TCP failed"),
}


@pytest.mark.parametrize("label", list(_S34))
async def test_s34_mx_edge_cases(label: str, canary: str) -> None:
    """The sender's domain has a null MX "0 ." (and an A record that must not be used),
    an MX naming an alias, an MX naming an IP address, a null MX mixed with a real one,
    a CNAME loop, no MX but an address (implicit MX), no MX and no address, or answers
    with the TC bit set while nothing answers on TCP. Each situation is named; none
    crashes the run or sinks the host's own checks."""
    records, code, words = _S34[label]
    domain = f"{label}.emaildiag.test"
    out, dns, _ = await hostile_dns(
        {**BASE_ZONE, **records}, {"username": f"alice@{domain}"}, password=canary, timeout=3.0
    )
    facts = out.report.dns
    assert facts is not None and facts.domain == domain
    assert facts.addresses == (("127.0.0.1", "ipv4"),)  # the host itself is unaffected
    assert out.report.probes, "the host's checks went on"
    mx_codes = {"dns.null_mx", "dns.no_mx", "dns.mx_unusable", "dns.failure"}
    assert {c for c in out.codes if c in mx_codes} == ({code} if code else set()), out.codes
    if code is not None:
        (f,) = out.findings(code)
        assert f.params.get("domain", f.params.get("host")) == domain
        text = f.params["reason"] if code == "dns.failure" else f.detail or ""
        assert words in text, text
    if label == "nullmx":  # RFC 7505: no fallback to the domain's address
        assert facts.mx == ("0 .",) and facts.implicit_mx == ()
        assert (domain, "A") not in dns.queries and (domain, "AAAA") not in dns.queries
    if label == "alias":
        assert facts.mx_aliases == {"mx.alias.emaildiag.test.": f"{HOST}."}
        assert out.findings("dns.mx_unusable")[0].severity is Severity.INFO  # works, off-standard
    if label in ("ipmx", "mixed"):
        assert out.findings("dns.mx_unusable")[0].severity is Severity.WARNING
        assert ("192.0.2.25", "CNAME") not in dns.queries and (".", "CNAME") not in dns.queries
    if label == "implicit":  # RFC 5321 §5.1: the domain's address receives its mail
        assert facts.mx == () and facts.implicit_mx == ("127.0.0.5",)
    if label == "nomail":
        assert facts.implicit_mx == ()
    if label == "trunc":
        assert (domain, "MX") in dns.queries


# --- F35 -----------------------------------------------------------------------------------------


def _sni_recording_context(pki: TestPKI, names: list[str | None]) -> ssl.SSLContext:
    ctx = pki.server_context(CertKind.VALID)

    def note(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    ctx.sni_callback = note  # type: ignore[assignment]
    return ctx


async def _sign_in_ok(_line: bytes) -> bytes:
    return b"235 2.7.0 accepted\r\n"


@pytest.mark.parametrize(
    ("entered", "a_label", "idna2003"),
    [
        ("faß.emaildiag.test", "xn--fa-hia.emaildiag.test", "fass.emaildiag.test"),
        ("maïl.emaildiag.test", "xn--mal-0ma.emaildiag.test", None),
    ],
)
async def test_s35_idn_host_uses_the_a_label_everywhere(
    entered: str, a_label: str, idna2003: str | None, canary: str
) -> None:
    """The Host field holds an international name. The DNS is asked for the IDNA 2008
    A-label only (a trap record waits at the IDNA 2003 spelling "fass"), the TLS fake
    on 465 records the SNI it is sent, and its certificate names only the A-label: the
    same name is looked up, sent as SNI, matched against the certificate and shown."""
    zone = {**BASE_ZONE, (a_label, "A"): ["127.0.0.1"]}
    if idna2003:
        zone[(idna2003, "A")] = ["127.0.0.2"]
    sni: list[str | None] = []
    with TestPKI(hostname=a_label) as pki, LoopbackDnsServer(zone) as dns:
        out, _ = await hostile_fake(
            smtp_script(ehlo=b"250-x\r\n250 AUTH PLAIN\r\n", on_auth=_sign_in_ok),
            {"host": entered, "port": 465},
            password=canary,
            tls=_sni_recording_context(pki, sni),
            tls_accepted=True,
            pki=pki,
            resolver=None,
            dns_server=dns.address,
            timeout=3.0,
        )
    asked = {name for name, _ in dns.queries}
    assert (a_label, "A") in dns.queries
    assert all(name.isascii() for name in asked), asked
    if idna2003:
        assert idna2003 not in asked
    assert sni and set(sni) == {a_label}, sni
    probe = out.probe(465)
    assert probe.address == "127.0.0.1" and probe.tls is not None and probe.tls.verified
    assert "tls.cert_hostname_mismatch" not in out.codes
    assert out.report.auth.result == "ok"
    assert out.report.settings["host"] == a_label
    shown = out.finding("settings.host_normalized")
    assert shown.params["host"] == a_label and shown.params["original"] == entered
    assert entered in (shown.detail or "") and a_label in (shown.detail or "")


_S35_SYSTEM = {
    # this computer's answer, the DNS zone's answer for the host, the finding expected
    "hosts_override": (["127.0.0.2"], ["127.0.0.1"], Severity.WARNING),
    "agree": (["127.0.0.1"], ["127.0.0.1"], None),
    "only_this_computer": (["127.0.0.1"], None, Severity.WARNING),
}


@pytest.mark.parametrize("case", list(_S35_SYSTEM))
async def test_s35_resolver_disagreement(case: str, canary: str) -> None:
    """This computer's own lookup (a hosts-file override, given through the
    ``system_lookup`` seam) says one address, the DNS server another (or nothing). The
    report shows both answers and the address actually dialled, which is the DNS's:
    the check never tests one server and names another."""
    system, from_dns, severity = _S35_SYSTEM[case]
    asked: list[str] = []

    async def this_computer(host: str) -> list[str]:
        asked.append(host)
        return system

    zone = {k: v for k, v in BASE_ZONE.items() if k != (HOST, "A")}
    if from_dns is not None:
        zone[(HOST, "A")] = from_dns
    out, _, rec = await hostile_dns(zone, password=canary, timeout=3.0, system_lookup=this_computer)
    assert asked == [HOST]
    facts = out.report.dns
    assert facts is not None and facts.system_addresses == tuple(system)
    dialled = {p.address for p in out.report.probes}
    assert dialled == set(from_dns or ())  # always the DNS's answer, never the other
    found = out.findings("dns.resolver_mismatch")
    if severity is None:
        assert not found, out.codes
        return
    (f,) = found
    assert f.severity is severity and f.params["host"] == HOST
    dns_side = ", ".join(from_dns) if from_dns else "none"
    connected = ", ".join(sorted(dialled)) or "none"
    assert f.detail == (
        f"this computer: {', '.join(system)}; DNS: {dns_side}; connected to: {connected}"
    )
    if from_dns is None:
        assert "dns.host_not_found" in out.codes and rec.connections == 0


async def test_s35_resolver_disagreement_in_italian(canary: str) -> None:
    """The same hosts-file override, with the report in Italian."""

    async def this_computer(host: str) -> list[str]:
        return ["127.0.0.2"]

    out, _, _ = await hostile_dns(
        BASE_ZONE, {"lang": "it"}, password=canary, timeout=3.0, system_lookup=this_computer
    )
    f = out.finding("dns.resolver_mismatch")
    assert f.title.startswith("Questo computer trova il server")
    assert f.detail == "questo computer: 127.0.0.2; DNS: 127.0.0.1; collegato a: 127.0.0.1"


async def test_s35_the_comparison_is_off_with_any_resolver_seam() -> None:
    """Only the system's own DNS configuration is compared with getaddrinfo: with a
    resolver seam or a chosen DNS server (as in every test) getaddrinfo is never asked."""
    assert Options(resolver=StaticResolver()).make_system_lookup() is None
    assert Options(dns_server="127.0.0.1:53").make_system_lookup() is None
    assert Options().make_system_lookup() is getaddrinfo_lookup

    async def given(host: str) -> list[str]:
        return []

    assert Options(resolver=StaticResolver(), system_lookup=given).make_system_lookup() is given
    # an IP literal needs no resolver at all: the thread answers at once
    assert await getaddrinfo_lookup("127.0.0.1") == ["127.0.0.1"]
