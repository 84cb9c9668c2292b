"""The root cause and the recommended configuration, as pure functions of findings/facts."""

from __future__ import annotations

import pytest

from emaildiag.catalog import make_finding
from emaildiag.guidance import recommended, root_cause
from emaildiag.model import AuthFacts, ProbeFacts, Severity, TlsFacts

E = Severity.ERROR


def f(code: str, port: int | None = None, severity: Severity | None = None):  # type: ignore[no-untyped-def]
    return make_finding(code, port=port, severity=severity)


@pytest.mark.parametrize(
    ("findings", "cause"),
    [
        ([], None),
        ([f("settings.port_unusual")], None),
        ([f("dns.spf_missing"), f("tls.cert_expiring", 587)], None),  # works: nothing broken
        ([f("auth.skipped_insecure", 587), f("tls.cert_expired", 587)], "tls.cert_expired"),
        ([f("auth.rejected", 587), f("dns.dmarc_missing")], "auth.rejected"),
        ([f("port.filtered", 587, E), f("auth.rejected", 465)], "port.filtered"),
        ([f("settings.email_required"), f("settings.host_normalized")], "settings.email_required"),
        (
            [f("tls.cert_hostname_mismatch", 587), f("tls.implicit_on_starttls_port", 587)],
            "tls.implicit_on_starttls_port",
        ),
        ([f("port.refused", 25), f("tls.cert_expired", 587)], "tls.cert_expired"),
        ([f("port.refused", 465), f("dns.spf_missing")], None),  # 465 is not used
        ([f("send.sender_rejected", 587), f("auth.ok", 587)], "send.sender_rejected"),
    ],
)
def test_root_cause(findings: list, cause: str | None) -> None:  # type: ignore[type-arg]
    found = root_cause(findings, 587)
    assert (found.code if found else None) == cause


def probe(port: int, mode: str, verified: bool = True, state: str = "open") -> ProbeFacts:
    tls = TlsFacts(mode, "TLSv1.3", verified=verified)  # type: ignore[arg-type]
    return ProbeFacts(port, "192.0.2.1", "ipv4", state, mode=mode, tls=tls)  # type: ignore[arg-type]


def test_recommended_prefers_where_sign_in_worked() -> None:
    probes = [probe(587, "starttls"), probe(465, "implicit")]
    rec = recommended("smtp.example.com", "a@example.com", 25, probes, AuthFacts("ok", 465))
    assert rec == {
        "host": "smtp.example.com",
        "port": 465,
        "security": "implicit",
        "username": "a@example.com",
        "signed_in": True,
        "changed": True,
    }


def test_recommended_without_sign_in_takes_a_verified_port() -> None:
    probes = [
        probe(25, "starttls", state="filtered"),
        probe(587, "starttls"),
        probe(465, "implicit"),
    ]
    rec = recommended("h", "u", 25, probes, AuthFacts())
    assert rec is not None and rec["port"] == 587 and rec["signed_in"] is False


def test_nothing_verified_means_no_recommendation() -> None:
    rec = recommended("h", "u", 587, [probe(587, "starttls", verified=False)], AuthFacts())
    assert rec is None
