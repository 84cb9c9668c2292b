"""The engine end to end against real aiosmtpd servers with trustme certificates."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from emaildiag import adiagnose
from emaildiag.demo import demo_environment
from emaildiag.model import Report
from emaildiag.redact import Redactor


def _assert_no_secret(report: Report, password: str, username: str) -> None:
    outputs = report.to_json() + report.to_text() + repr(report)
    forms = Redactor([password], username)._forms
    for form in forms:
        assert form not in outputs


async def test_ok_scenario_authenticates_and_checks_the_sender() -> None:
    with demo_environment("ok") as env:
        report = await adiagnose(env.settings(), **env.options())
        attempts = list(env.main.auth_log) + list(env.other.auth_log)
        _assert_no_secret(report, env.password, "alice@emaildiag.test")
    assert report.verdict == "ok", report.codes()
    codes = report.codes()
    assert {"auth.ok", "send.sender_accepted", "tls.ok", "port.open"} <= set(codes)
    assert report.auth.result == "ok" and report.auth.mechanism == "PLAIN"
    assert len(attempts) == 1 and attempts[0].over_tls and attempts[0].success
    main = next(p for p in report.probes if p.port == env.main_port)
    assert main.state == "open" and main.mode == "starttls"
    assert main.tls and main.tls.verified and main.tls.version in ("TLSv1.2", "TLSv1.3")
    assert main.tls.certificate and "mail.emaildiag.test" in main.tls.certificate.san
    assert any(e == "STARTTLS" for e in main.ehlo) and any(
        e.startswith("AUTH") for e in main.ehlo_tls
    )
    other = next(p for p in report.probes if p.port == env.other_port)
    assert other.mode == "implicit" and other.tls and other.tls.verified
    assert {"connect", "greeting", "ehlo", "starttls", "ehlo_tls"} <= set(main.timings)
    assert {"connect", "greeting", "ehlo", "starttls", "ehlo_tls", "auth"} <= set(
        report.auth.timings
    )
    ext = json.loads(report.to_json())["probes"][0]["extensions"]
    assert "STARTTLS" in ext["before_tls"] and "AUTH" not in ext["before_tls"]
    assert (
        ext["after_tls"]["AUTH"].split() == ["LOGIN", "PLAIN"]
        and ext["after_tls"]["SIZE"].isdigit()
    )


async def test_wrong_password_is_rejected_once() -> None:
    with demo_environment("wrong-password") as env:
        report = await adiagnose(env.settings(), **env.options())
        attempts = list(env.main.auth_log)
    assert "auth.rejected" in report.codes()
    assert report.auth.result == "rejected" and report.auth.code == 535
    assert len(attempts) == 1  # one attempt, one mechanism
    assert report.verdict == "error"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("expired-certificate", {"tls.cert_expired", "auth.skipped_insecure"}),
        ("self-signed", {"tls.cert_self_signed", "auth.skipped_insecure"}),
        ("wrong-host", {"tls.cert_hostname_mismatch", "auth.skipped_insecure"}),
    ],
)
async def test_certificate_problems_keep_the_password_home(
    scenario: str, expected: set[str]
) -> None:
    with demo_environment(scenario) as env:
        report = await adiagnose(env.settings(), **env.options())
        attempts = list(env.main.auth_log) + list(env.other.auth_log)
    assert expected <= set(report.codes())
    assert attempts == []
    main = next(p for p in report.probes if p.port == env.main_port)
    assert main.tls and main.tls.certificate and not main.tls.verified and main.tls.verify_error


async def test_expired_and_wrong_host_are_both_reported() -> None:
    """OpenSSL names only the first problem; each is assessed on its own (§3.2)."""
    with demo_environment("wrong-host") as env:
        first = await adiagnose(env.settings(), **env.options())
        cert = next(p.tls.certificate for p in first.probes if p.tls and p.tls.certificate)
        after = dt.datetime.fromisoformat(cert.not_after) + dt.timedelta(days=1)
        report = await adiagnose(env.settings(), now=lambda: after, **env.options())
    assert {"tls.cert_hostname_mismatch", "tls.cert_expired"} <= set(report.codes())


async def test_expiring_certificate_is_a_warning() -> None:
    with demo_environment("ok") as env:
        report = await adiagnose(env.settings(), **env.options())
        assert report.verdict == "ok"
        cert = next(p for p in report.probes if p.port == env.main_port).tls.certificate  # type: ignore[union-attr]
        assert cert is not None
        later = dt.datetime.fromisoformat(cert.not_after) - dt.timedelta(days=5)
        report = await adiagnose(env.settings(), now=lambda: later, **env.options())
    assert "tls.cert_expiring" in report.codes() and report.verdict == "warning"


async def test_no_starttls_means_no_password_on_the_wire() -> None:
    with demo_environment("no-starttls") as env:
        report = await adiagnose(env.settings(), **env.options())
        plain_attempts = list(env.main.auth_log)
        tls_attempts = list(env.other.auth_log)
    assert {"tls.starttls_missing", "smtp.auth_before_tls"} <= set(report.codes())
    assert plain_attempts == []  # the plain server offered AUTH; it never got the password
    assert report.root_cause is not None and report.root_cause.code == "tls.starttls_missing"
    assert report.recommended and report.recommended["security"] == "implicit"
    # the sign-in moved to the port that has TLS, and says so
    assert report.auth.port == env.other_port
    assert [a.over_tls for a in tls_attempts] == [True]


async def test_no_tls_anywhere_skips_authentication() -> None:
    with demo_environment("no-starttls") as env:
        options = env.options() | {"ports": [env.main_port]}
        report = await adiagnose(env.settings(), **options)
        attempts = list(env.main.auth_log)
    assert {"tls.starttls_missing", "auth.skipped_insecure"} <= set(report.codes())
    assert report.auth.result == "skipped"
    assert attempts == []


async def test_verification_off_authenticates_but_says_what_it_would_have_found() -> None:
    with demo_environment("no-verify") as env:
        report = await adiagnose(env.settings(), **env.options())
    codes = set(report.codes())
    assert {"settings.tls_verify_disabled", "auth.ok", "tls.cert_self_signed"} <= codes
    self_signed = next(f for f in report.findings if f.code == "tls.cert_self_signed")
    assert self_signed.severity.value == "info"


async def test_sender_rejected_after_login() -> None:
    with demo_environment("sender-rejected") as env:
        report = await adiagnose(env.settings(), **env.options())
    assert {"auth.ok", "send.sender_rejected"} <= set(report.codes())
    assert report.send.result == "rejected" and report.send.code == 550


async def test_implicit_tls_scenario_and_transcript_redaction(canary: str) -> None:
    with demo_environment("implicit-tls") as env:
        settings = env.settings() | {"password": canary}
        report = await adiagnose(settings, **env.options())
    assert "auth.rejected" in report.codes()  # canary is not the account's password
    data = json.loads(report.to_json())
    auth_lines = [t["text"] for t in data["transcript"] if t["text"].startswith("AUTH")]
    assert auth_lines == ["AUTH PLAIN [redacted]"]
    _assert_no_secret(report, canary, "alice@emaildiag.test")


async def test_ipv6_failing_where_ipv4_works() -> None:
    from emaildiag.checks.dns import StaticResolver
    from emaildiag.demo import DEMO_HOST

    with demo_environment("ok") as env:
        records = dict(env.options()["resolver"].records) | {(DEMO_HOST, "AAAA"): ["::1"]}
        options = env.options() | {"resolver": StaticResolver(records)}
        report = await adiagnose(env.settings(), **options)
    assert "port.ipv6_broken" in report.codes()
    assert "auth.ok" in report.codes()  # IPv4 still carries the sign-in
    families = {(p.family, p.state) for p in report.probes if p.port == env.main_port}
    assert ("ipv4", "open") in families and any(f == "ipv6" and s != "open" for f, s in families)


async def test_a_filtered_port_does_not_delay_the_rest() -> None:
    """A blackholed port costs its own connect limit, concurrently; the run stays in budget."""
    import time

    from emaildiag.testing.blackhole import BlackholePort

    with demo_environment("ok") as env, BlackholePort() as dead:
        options = env.options() | {"ports": [dead, *env.options()["ports"]], "timeout": 4.0}
        t0 = time.monotonic()
        report = await adiagnose(env.settings(), **options)
        elapsed = time.monotonic() - t0
    assert elapsed < 4.0 + 0.5
    filtered = [f for f in report.findings if f.code == "port.filtered"]
    assert [(f.port, f.severity.value) for f in filtered] == [(dead, "warning")]
    assert "auth.ok" in report.codes()


async def test_the_configured_port_filtered_is_an_error() -> None:
    from emaildiag.testing.blackhole import BlackholePort

    with demo_environment("ok") as env, BlackholePort() as dead:
        settings = env.settings() | {"port": dead}
        report = await adiagnose(settings, **(env.options() | {"timeout": 3.0}))
    assert any(f.code == "port.filtered" and f.severity.value == "error" for f in report.findings)
    assert report.verdict == "error"
    # the best working port takes the sign-in: 465 first, then 587 (SPEC §2.6)
    assert report.auth.result == "ok" and report.auth.port == 465
    # "port X is blocked here; port Y works": the cause first, and the change to make
    assert report.root_cause is not None and report.root_cause.code == "port.filtered"
    assert report.findings[0] is report.root_cause
    assert report.recommended is not None
    assert report.recommended["port"] == 465 and report.recommended["changed"] is True
    assert report.recommended["signed_in"] is True
