"""Provider-aware diagnosis: detection, the provider's reply texts, its steps in the fix,
and its documented ports and username form, against real loopback servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emaildiag import adiagnose, normalize_settings
from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import get_provider
from emaildiag.checks.dns import DnspythonResolver, parse_dns_server
from emaildiag.checks.provider import assess_provider_settings, with_provider_steps
from emaildiag.model import Report
from emaildiag.testing import CertKind, TestPKI
from emaildiag.testing.dns import LoopbackDnsServer
from emaildiag.testing.scripted import scripted_server, smtp_script

GMAIL_534 = (
    b"534-5.7.9 Application-specific password required. For more information, go to\r\n"
    b"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2-20020a05 - gsmtp\r\n"
)


@pytest.fixture(scope="module")
def google_pki() -> Iterator[TestPKI]:
    with TestPKI(hostname="smtp.gmail.com") as pki:  # a test CA's certificate for the name
        yield pki


async def fake_gmail(
    pki: TestPKI, reply: bytes, lang: str, email: str = "alice@gmail.com"
) -> Report:
    async def on_auth(line: bytes) -> bytes:
        return reply

    zone = {
        ("smtp.gmail.com", "A"): ["127.0.0.1"],
        ("gmail.com", "MX"): ["5 gmail-smtp-in.l.google.com."],
        ("example-shop.it", "MX"): ["1 smtp.google.com."],
    }
    with LoopbackDnsServer(zone) as dns:
        handler = smtp_script(on_auth=on_auth)
        async with scripted_server(handler, pki.server_context(CertKind.VALID)) as port:
            return await adiagnose(
                {"host": "smtp.gmail.com", "port": port, "username": email, "password": "pw"},
                ports=[port],
                port_modes={port: "implicit"},
                ca_file=str(pki.ca_file),
                lang=lang,
                resolver=DnspythonResolver(parse_dns_server(dns.address), timeout=1),
                timeout=8,
            )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("App passwords", "2-Step Verification")),
        ("it", ("Password per le app", "due passaggi")),
    ],
)
async def test_fake_gmail_534_asks_for_an_app_password(
    google_pki: TestPKI, lang: str, words: tuple[str, ...]
) -> None:
    report = await fake_gmail(google_pki, GMAIL_534, lang)
    assert report.provider is not None and report.provider.id == "gmail"
    [finding] = [f for f in report.findings if f.code == "auth.app_password_required"]
    assert report.root_cause is finding  # the cause to fix first
    assert finding.fix and all(w in finding.fix for w in words)
    assert "https://support.google.com/accounts/answer/185833" in finding.fix


async def test_gmail_535_bad_credentials_is_rejected_with_the_app_password_hint(
    google_pki: TestPKI,
) -> None:
    reply = (
        b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
        b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials x - gsmtp\r\n"
    )
    report = await fake_gmail(google_pki, reply, "en")
    assert "auth.rejected" in report.codes()


async def test_a_workspace_domain_on_smtp_gmail_com_is_google(google_pki: TestPKI) -> None:
    report = await fake_gmail(google_pki, GMAIL_534, "en", email="anna@example-shop.it")
    assert report.provider is not None and report.provider.id in ("gmail", "google_workspace")


@pytest.mark.parametrize(
    ("settings", "codes"),
    [
        (
            {"host": "smtp.office365.com", "port": 465, "username": "a@contoso.com"},
            {"settings.provider_port"},
        ),
        ({"host": "smtp.office365.com", "port": 587, "username": "a@contoso.com"}, set()),
        (
            {"host": "smtp.gmail.com", "port": 2525, "username": "a@gmail.com"},
            {"settings.provider_port"},
        ),
        (
            {
                "host": "smtp.gmail.com",
                "port": 587,
                "username": "alice",
                "email": "alice@gmail.com",
            },
            {"settings.username_form"},
        ),
        (
            {
                "host": "smtp.sendgrid.net",
                "port": 587,
                "username": "me@shop.it",
                "email": "me@shop.it",
            },
            {"settings.username_form"},
        ),
        (
            {"host": "smtp.sendgrid.net", "port": 587, "username": "apikey", "email": "me@shop.it"},
            set(),
        ),
        ({"host": "mail.unknown-host.test", "port": 465, "username": "x"}, set()),
    ],
)
def test_provider_ports_and_username_form(settings: dict[str, object], codes: set[str]) -> None:
    from emaildiag.catalog.providers import detect_provider

    s, _ = normalize_settings(settings | {"password": "pw"})
    found = assess_provider_settings(s, detect_provider(s.host, s.sender), "en")
    assert {f.code for f in found} == codes


def test_microsoft_465_is_an_error_and_names_587() -> None:
    from emaildiag.catalog.providers import detect_provider

    s, _ = normalize_settings(
        {"host": "smtp.office365.com", "port": 465, "username": "a@contoso.com"}
    )
    [f] = assess_provider_settings(s, detect_provider(s.host, s.sender), "it")
    assert f.severity.value == "error" and "587" in (f.fix or "")


def test_smtp_auth_disabled_fix_names_the_admin_steps() -> None:
    m365 = get_provider("microsoft365")
    [f] = with_provider_steps(
        [make_finding("auth.smtp_auth_disabled", port=587, provider="Microsoft 365")], m365, "en"
    )
    assert f.fix and ("admin" in f.fix.lower()) and "http" in f.fix


def test_the_gmail_demo_scenario_shows_the_app_password_steps() -> None:
    from cli_process import run_cli

    r = run_cli("demo", "--scenario", "gmail-app-password", "--json", "-")
    import json

    data = json.loads(r.stdout)
    assert r.returncode == 1
    assert data["provider"] == {"id": "gmail", "name": "Gmail"}
    assert data["root_cause"]["code"] == "auth.app_password_required"
    assert data["settings"]["host"] == "smtp.gmail.com" and data["settings"]["port"] == 587
    assert "settings.port_unusual" not in {f["code"] for f in data["findings"]}
