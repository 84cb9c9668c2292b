"""``emaildiag demo``: a real diagnosis against real servers started on loopback.

Two aiosmtpd servers (STARTTLS and implicit TLS) with certificates from a throw-away
CA, a DNS table for the demo domain, and a random password: no network, no account.
Each scenario shows one classic fault the way a user would meet it.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from emaildiag.checks.dns import StaticResolver
from emaildiag.testing import CertKind, ServerSpec, SmtpTestServer, TestPKI

DEMO_HOST = "mail.emaildiag.test"
DEMO_DOMAIN = "emaildiag.test"
DEMO_USER = f"alice@{DEMO_DOMAIN}"


GMAIL_534 = (
    "534-5.7.9 Application-specific password required. For more information, go to\r\n"
    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor demo - gsmtp"
)


@dataclass(frozen=True)
class Scenario:
    description: str
    mode: Literal["starttls", "implicit", "plain"] = "starttls"
    cert: CertKind = CertKind.VALID
    wrong_password: bool = False
    auth_require_tls: bool = True
    reject_senders: frozenset[str] = frozenset()
    settings: dict[str, Any] = field(default_factory=dict)
    host: str = DEMO_HOST  # the name the settings use; the demo DNS points it at 127.0.0.1
    user: str = DEMO_USER
    auth_failure_reply: str | None = None
    spf: str = "v=spf1 mx -all"


SCENARIOS: dict[str, Scenario] = {
    "ok": Scenario("everything works: STARTTLS, a valid certificate, the right password"),
    "wrong-password": Scenario("the password is wrong", wrong_password=True),
    "expired-certificate": Scenario("the server's certificate has expired", cert=CertKind.EXPIRED),
    "self-signed": Scenario("the server uses a self-signed certificate", cert=CertKind.SELF_SIGNED),
    "wrong-host": Scenario("the certificate is for another host name", cert=CertKind.WRONG_HOST),
    "no-starttls": Scenario(
        "the server offers no encryption at all", mode="plain", auth_require_tls=False
    ),
    "implicit-tls": Scenario("port uses SSL/TLS from the first byte", mode="implicit"),
    "sender-rejected": Scenario(
        "login works but the address may not send", reject_senders=frozenset({DEMO_USER})
    ),
    "no-verify": Scenario(
        "self-signed certificate, verification switched off on purpose",
        cert=CertKind.SELF_SIGNED,
        settings={"verify_tls": False},
    ),
    "gmail-app-password": Scenario(
        "a Gmail account with 2-Step Verification: the normal password is refused",
        wrong_password=True,
        host="smtp.gmail.com",
        user="alice@gmail.com",
        auth_failure_reply=GMAIL_534,
        spf="v=spf1 redirect=_spf.google.com",
    ),
}

# The demo's servers listen on free high ports; the settings say 587 and 465 as a real
# settings page would, and ``port_map`` sends those connections to the servers.
STARTTLS_PORT, IMPLICIT_PORT = 587, 465


def run_demo(args: argparse.Namespace) -> int:
    from emaildiag.cli import UsageError
    from emaildiag.commands import progress, require_outputs, run_and_report

    if args.scenario == "list":
        for name, sc in SCENARIOS.items():
            print(f"{name:<20} {sc.description}")
        return 0
    scenario = SCENARIOS.get(args.scenario)
    if scenario is None:
        raise UsageError(f"unknown scenario {args.scenario!r}; try --scenario list")
    require_outputs(args)
    with demo_environment(scenario) as env:
        if not args.quiet and args.json != "-":
            print(f"emaildiag demo ({args.scenario}): {scenario.description}", file=sys.stderr)
        return run_and_report(env.diagnose(on_event=progress(args), lang=args.lang), args)


class DemoEnvironment:
    """The servers, CA and settings of one scenario; a context manager."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.password = "demo-" + secrets.token_urlsafe(12)
        self.pki = TestPKI(hostname=scenario.host)
        users = {scenario.user: self.password}
        self.main = SmtpTestServer(
            ServerSpec(
                mode=scenario.mode,
                cert=scenario.cert,
                users=users,
                auth_require_tls=scenario.auth_require_tls,
                reject_senders=scenario.reject_senders,
                auth_failure_reply=scenario.auth_failure_reply,
            ),
            self.pki,
        )
        other: Literal["starttls", "implicit"] = (
            "implicit" if scenario.mode != "implicit" else "starttls"
        )
        self.other = SmtpTestServer(
            ServerSpec(mode=other, cert=scenario.cert, users=users), self.pki
        )

    def start(self) -> DemoEnvironment:
        """Start both servers (for a notebook, where a ``with`` block cannot span cells)."""
        self.main.start()
        self.other.start()
        return self

    def stop(self) -> None:
        self.main.stop()
        self.other.stop()
        self.pki.close()

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def main_port(self) -> int:
        """The port the settings use: 465 for the implicit-TLS scenario, else 587."""
        return IMPLICIT_PORT if self.scenario.mode == "implicit" else STARTTLS_PORT

    @property
    def other_port(self) -> int:
        return STARTTLS_PORT if self.main_port == IMPLICIT_PORT else IMPLICIT_PORT

    def settings(self) -> dict[str, Any]:
        password = "not-" + self.password if self.scenario.wrong_password else self.password
        values: dict[str, Any] = {
            "host": self.scenario.host,
            "port": self.main_port,
            "username": self.scenario.user,
            "password": password,
        }
        return values | self.scenario.settings

    def options(self) -> dict[str, Any]:
        domain = self.scenario.user.rpartition("@")[2]
        dns = StaticResolver(
            {
                (self.scenario.host, "A"): ["127.0.0.1"],
                (domain, "MX"): [f"10 {self.scenario.host}."],
                (domain, "TXT"): [self.scenario.spf],
                (f"_dmarc.{domain}", "TXT"): ["v=DMARC1; p=quarantine"],
            }
        )
        return {
            "ports": [self.main_port, self.other_port],
            "port_map": {self.main_port: self.main.port, self.other_port: self.other.port},
            "resolver": dns,
            "ca_file": str(self.pki.ca_file),
            "timeout": 20.0,
        }

    def diagnose(self, on_event: Callable[..., None] | None = None, lang: str | None = None) -> Any:
        from emaildiag.runner import adiagnose

        return adiagnose(self.settings(), on_event=on_event, lang=lang, **self.options())


def demo_environment(scenario: Scenario | str = "ok") -> DemoEnvironment:
    return DemoEnvironment(SCENARIOS[scenario] if isinstance(scenario, str) else scenario)
