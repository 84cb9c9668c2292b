"""`emaildiag check` end to end: a real server, a real DNS server, the real CLI process."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest
from cli_process import ENV, check_args, run_cli

from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.blackhole import BlackholePort
from emaildiag.testing.dns import LoopbackDnsServer

HOST, DOMAIN = "mail.emaildiag.test", "emaildiag.test"
USER, PASSWORD = f"alice@{DOMAIN}", "Right-Password-1"
ZONE = {
    (HOST, "A"): ["127.0.0.1"],
    (DOMAIN, "MX"): [f"10 {HOST}."],
    (DOMAIN, "TXT"): ['"v=spf1 mx -all"'],
    (f"_dmarc.{DOMAIN}", "TXT"): ['"v=DMARC1; p=reject"'],
}


@pytest.fixture(scope="module")
def dns() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def smtp(pki: TestPKI) -> Iterator[SmtpTestServer]:
    with SmtpTestServer(ServerSpec(mode="starttls", users={USER: PASSWORD}), pki) as server:
        yield server


def check(
    dns: LoopbackDnsServer, port: int, password: str, *extra: str, env: dict[str, str] | None = None
):  # type: ignore[no-untyped-def]
    args = check_args(HOST, port, dns.address, "--username", USER, "--password-env", "PW", *extra)
    return run_cli(*args, env=(env or ENV) | {"PW": password})


def test_right_password_is_ok(dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI) -> None:
    r = check(dns, smtp.port, PASSWORD, "--ca-file", str(pki.ca_file))
    data = json.loads(r.stdout)
    assert r.returncode == 0, [f["code"] for f in data["findings"]]
    assert data["verdict"] == "ok" and data["auth"]["result"] == "ok"
    assert PASSWORD not in r.stdout + r.stderr


def test_wrong_password_is_rejected(
    dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    r = check(dns, smtp.port, "Wrong-Password-1", "--ca-file", str(pki.ca_file))
    data = json.loads(r.stdout)
    assert r.returncode == 1
    assert "auth.rejected" in {f["code"] for f in data["findings"]}
    assert data["auth"]["result"] == "rejected" and data["auth"]["code"] == 535


def test_ssl_cert_file_is_the_trust_store(
    dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    r = check(dns, smtp.port, PASSWORD, env=ENV | {"SSL_CERT_FILE": str(pki.ca_file)})
    assert r.returncode == 0
    assert json.loads(r.stdout)["probes"][0]["tls"]["verified"] is True
    # without it, the throw-away CA is unknown: untrusted, and the password stays home
    r = check(dns, smtp.port, PASSWORD, env=ENV | {"SSL_CERT_FILE": os.devnull})
    data = json.loads(r.stdout)
    assert "tls.cert_untrusted" in {f["code"] for f in data["findings"]}
    assert data["auth"]["result"] == "skipped"


def test_a_filtered_port_with_timeout_3_ends_under_5_seconds(
    dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    with BlackholePort() as dead:
        t0 = time.monotonic()
        r = run_cli(
            "check",
            "--host",
            HOST,
            "--port",
            str(smtp.port),
            "--ports",
            f"{dead},{smtp.port}",
            "--username",
            USER,
            "--password-env",
            "PW",
            "--dns-server",
            dns.address,
            "--ca-file",
            str(pki.ca_file),
            "--timeout",
            "3",
            "--json",
            "-",
            env=ENV | {"PW": PASSWORD},
        )
        elapsed = time.monotonic() - t0
    data = json.loads(r.stdout)
    assert elapsed < 5.0
    states = {p["port"]: p["state"] for p in data["probes"]}
    assert states == {dead: "filtered", smtp.port: "open"}
    assert data["auth"]["result"] == "ok"


def test_send_test_with_pdf_from_the_command_line(
    dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI
) -> None:
    before = len(smtp.messages)
    r = check(
        dns,
        smtp.port,
        PASSWORD,
        "--ca-file",
        str(pki.ca_file),
        "--send-test",
        "bob@emaildiag.test",
        "--attach-pdf",
    )
    data = json.loads(r.stdout)
    assert r.returncode == 0, r.stderr
    assert data["send"]["result"] == "ok" and "send.ok" in {f["code"] for f in data["findings"]}
    [received] = smtp.messages[before:]
    assert list(received.rcpt_tos) == ["bob@emaildiag.test"] and b"application/pdf" in received.data


@pytest.mark.parametrize(
    "args",
    [
        ("--attach-pdf",),
        ("--send-test", "not an address"),
        ("--send-test", "a@b.test\nRCPT TO:<x@y.test>"),
    ],
)
def test_send_test_bad_usage(dns: LoopbackDnsServer, args: tuple[str, ...]) -> None:
    r = run_cli("check", "--host", HOST, "--username", USER, "--dns-server", dns.address, *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_suggest_puts_the_srv_target_first(tmp_path: object) -> None:
    import xml.etree.ElementTree as ET

    zone = {
        ("_submissions._tcp.shop.test", "SRV"): ["0 1 465 mail.shop-hosting.test."],
        ("_submission._tcp.shop.test", "SRV"): ["10 1 587 mail.shop-hosting.test."],
        ("shop.test", "MX"): ["10 mx.shop.test."],
        ("smtp.shop.test", "A"): ["127.0.0.1"],
    }
    xml_path = f"{tmp_path}/config-v1.1.xml"
    with LoopbackDnsServer(zone) as dns:
        r = run_cli(
            "suggest",
            "anna@shop.test",
            "--no-probe",
            "--dns-server",
            dns.address,
            "--json",
            "-",
            "--thunderbird",
            xml_path,
        )
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert (found[0]["host"], found[0]["port"], found[0]["security"], found[0]["source"]) == (
        "mail.shop-hosting.test",
        465,
        "implicit",
        "srv",
    )
    server = ET.parse(xml_path).getroot().find("emailProvider/outgoingServer")
    assert server is not None and server.findtext("hostname") == "mail.shop-hosting.test"
    assert server.findtext("socketType") == "SSL" and server.findtext("port") == "465"


def test_suggest_rejects_a_bad_address() -> None:
    r = run_cli("suggest", "not-an-address", "--no-probe")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_check_exports_the_working_settings_for_thunderbird(
    dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI, tmp_path: object
) -> None:
    import xml.etree.ElementTree as ET

    path = f"{tmp_path}/tb.xml"
    r = check(dns, smtp.port, PASSWORD, "--ca-file", str(pki.ca_file), "--thunderbird", path)
    assert r.returncode == 0
    server = ET.parse(path).getroot().find("emailProvider/outgoingServer")
    assert server is not None and server.findtext("port") == str(smtp.port)
    assert (
        server.findtext("socketType") == "STARTTLS"
        and server.findtext("username") == "%EMAILADDRESS%"
    )


def test_thunderbird_export_only_for_settings_that_worked(
    dns: LoopbackDnsServer, tmp_path: object
) -> None:
    import pathlib

    path = pathlib.Path(f"{tmp_path}/tb.xml")
    r = run_cli(
        "check",
        "--protocol",
        "http",
        "--http-url",
        "https://relay.test/x",
        "--http-reply-to",
        "a@b.test",
        "--thunderbird",
        str(path),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli(
        "check",
        "--host",
        "nothere.emaildiag.test",
        "--username",
        USER,
        "--dns-server",
        dns.address,
        "--thunderbird",
        str(path),
        "--json",
        "-",
    )
    assert r.returncode == 1 and "no working settings" in r.stderr and not path.exists()
