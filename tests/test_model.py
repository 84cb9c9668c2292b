"""Report model: verdict rule and the SPEC §3 JSON shape."""

from __future__ import annotations

import json

import pytest

from emaildiag.catalog import make_finding
from emaildiag.model import AuthFacts, ProbeFacts, Report, SendFacts, Severity, TlsFacts, verdict_of

SPEC_KEYS = {"schema", "verdict", "settings", "provider", "probes", "auth", "send", "findings"}


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [
        ((), "ok"),
        ((Severity.INFO,), "ok"),
        ((Severity.INFO, Severity.WARNING), "warning"),
        ((Severity.WARNING, Severity.ERROR, Severity.INFO), "error"),
        ((Severity.ERROR,), "error"),
    ],
)
def test_verdict_is_the_worst_severity(severities: tuple[Severity, ...], verdict: str) -> None:
    codes = {
        Severity.INFO: "auth.ok",
        Severity.WARNING: "dns.spf_missing",
        Severity.ERROR: "auth.rejected",
    }
    findings = [make_finding(codes[s], domain="example.com") for s in severities]
    assert verdict_of(findings) == verdict
    assert Report(settings={}, findings=tuple(findings)).verdict == verdict


def test_severity_order() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert (
        max([Severity.WARNING, Severity.ERROR, Severity.INFO], key=lambda s: s.rank)
        is Severity.ERROR
    )


def test_json_has_every_spec_key_with_spec_types() -> None:
    tls = TlsFacts(mode="starttls", version="TLSv1.3", verified=True)
    report = Report(
        settings={"host": "smtp.example.com", "port": 587, "password_set": True},
        findings=(
            make_finding("tls.cert_expired", port=465, host="smtp.example.com", date="2020-01-01"),
        ),
        probes=(ProbeFacts(587, "192.0.2.10", "ipv4", "open", connect_ms=12.3, tls=tls),),
        auth=AuthFacts("rejected", 587, 535),
        send=SendFacts(),
    )
    data = json.loads(report.to_json())
    assert data.keys() >= SPEC_KEYS
    assert data["schema"] == "emaildiag.report/1"
    assert data["verdict"] == "error"
    assert data["settings"]["password_set"] is True
    assert data["provider"] is None
    probe = data["probes"][0]
    assert (
        probe | {"port": 587, "address": "192.0.2.10", "family": "ipv4", "state": "open"} == probe
    )
    assert probe["connect_ms"] == 12.3 and probe["tls"]["version"] == "TLSv1.3"
    assert data["auth"] == data["auth"] | {"result": "rejected", "port": 587, "code": 535}
    assert data["send"]["result"] == "not_attempted"
    finding = data["findings"][0]
    assert finding["code"] == "tls.cert_expired" and finding["severity"] == "error"
    assert (
        finding["port"] == 465
        and isinstance(finding["title"], str)
        and isinstance(finding["fix"], str)
    )


def test_make_finding_refuses_unknown_codes_and_severities() -> None:
    with pytest.raises(KeyError):
        make_finding("no.such_code")
    with pytest.raises(ValueError, match="cannot be raised"):
        make_finding("auth.ok", severity=Severity.ERROR)
    assert make_finding("port.refused", port=25, severity=Severity.ERROR).severity is Severity.ERROR
