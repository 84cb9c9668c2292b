"""Secrets that are not called "password": a key used as the username, a relay URL's
credentials and query key. None of them may reach the report or the test email."""

from __future__ import annotations

import json

from emaildiag import adiagnose
from emaildiag.checks.dns import StaticResolver
from emaildiag.model import Report
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.http import HttpSpec, HttpTestServer


def everything(report: Report) -> str:
    return report.to_json() + report.to_text() + repr(report)


async def test_a_token_that_is_both_username_and_password_stays_hidden() -> None:
    """Postmark's server token is the username and the password (providers.md)."""
    token = "0f1e2d3c-aaaa-bbbb-cccc-Canary-Token-42"
    host = "smtp.postmarkapp.com"
    with (
        TestPKI(hostname=host) as pki,
        SmtpTestServer(ServerSpec(users={token: token}), pki) as srv,
    ):
        report = await adiagnose(
            {
                "host": host,
                "port": 587,
                "username": token,
                "password": token,
                "email": "billing@shop.test",
                "copy_to": "archive@shop.test",
            },
            send_test="customer@other.test",
            ports=[587],
            port_map={587: srv.port},
            resolver=StaticResolver({(host, "A"): ["127.0.0.1"]}),
            ca_file=str(pki.ca_file),
            timeout=5,
        )
        delivered = b"".join(m.data for m in srv.messages)
    assert report.auth.result == "ok" and report.send.result == "ok"
    assert token not in everything(report)
    assert delivered and token.encode() not in delivered


async def test_relay_url_credentials_and_query_key_stay_hidden() -> None:
    host = "relay.shop.test"
    with TestPKI(hostname=host) as pki:
        spec = HttpSpec(status=401, body=b'{"error": "bad key for user:S3cret-Canary"}')
        with HttpTestServer(spec, pki) as relay:
            url = f"https://user:S3cret-Canary@{host}:{relay.port}/send?api_key=KEY-Canary-123&v=2"
            report = await adiagnose(
                {"protocol": "http", "http_url": url, "http_reply_to": "office@shop.test"},
                resolver=StaticResolver({(host, "A"): ["127.0.0.1"]}),
                ca_file=str(pki.ca_file),
                timeout=5,
            )
    assert "http.bad_status" in report.codes()
    text = everything(report)
    assert "S3cret-Canary" not in text and "KEY-Canary-123" not in text
    assert json.loads(report.to_json())["relay"]["status"] == 401


async def test_a_provider_seen_only_in_the_mx_does_not_judge_the_relay_settings(
    pki: TestPKI,
) -> None:
    """Mail for company.test lands at Microsoft 365, but it is sent through the hosting
    company's server on 465: no "Microsoft 365 does not offer 465", no SPF complaint."""
    host = "mail.emaildiag.test"  # the session PKI's name
    zone = {
        (host, "A"): ["127.0.0.1"],
        ("company.test", "MX"): ["0 company-test.mail.protection.outlook.com."],
        ("company.test", "TXT"): ["v=spf1 include:spf.hosting.test -all"],
        ("_dmarc.company.test", "TXT"): ["v=DMARC1; p=none"],
    }
    with SmtpTestServer(ServerSpec(mode="implicit", users={"bob@company.test": "pw"}), pki) as srv:
        report = await adiagnose(
            {"host": host, "port": 465, "username": "bob@company.test", "password": "pw"},
            ports=[465],
            port_map={465: srv.port},
            resolver=StaticResolver(zone),
            ca_file=str(pki.ca_file),
            timeout=5,
        )
    assert report.auth.result == "ok"
    assert report.provider is not None and report.provider.id == "microsoft365"  # shown
    assert not {"settings.provider_port", "dns.spf_excludes_provider"} & set(report.codes())
    assert report.verdict == "ok" and report.root_cause is None


async def test_settings_that_work_have_no_root_cause_despite_port_25() -> None:
    from emaildiag.demo import demo_environment

    with demo_environment("ok") as env:
        options = env.options() | {"ports": [25, 587, 465]}  # nothing listens on 25 here
        report = await adiagnose(env.settings(), **options)
    assert "port.refused" in report.codes() and report.verdict == "warning"
    assert report.root_cause is None


async def test_an_invalid_test_email_recipient_is_a_settings_error() -> None:
    report = await adiagnose(
        {"host": "smtp.example.test", "port": 587, "username": "a@example.test", "password": "pw"},
        send_test="x@y.test\r\nBcc: z@q.test",
    )
    assert "settings.email_invalid" in report.codes() and report.probes == ()


async def test_a_non_ascii_reply_to_is_sent_as_utf8() -> None:
    from emaildiag.demo import demo_environment

    with demo_environment("ok") as env:
        settings = env.settings() | {"reply_to": "jörg@emaildiag.test"}
        report = await adiagnose(settings, send_test="", **env.options())
        [received] = env.main.messages
    assert report.send.result == "ok"
    assert "Reply-To: jörg@emaildiag.test".encode() in received.data
