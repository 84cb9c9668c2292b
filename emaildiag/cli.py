"""The ``emaildiag`` command.

Exit status: 0 verdict ok or warning, 1 verdict error, 2 bad usage or unusable input,
3 the diagnosis itself could not run, 130 interrupted. Data goes to stdout,
progress to stderr; ``--json -`` prints only JSON. The password is never taken
from the command line (argv is visible in ``ps`` and shell history).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EPILOG = """exit status:
  0  the settings work (possibly with warnings)
  1  the settings do not work: see the findings
  2  bad usage or unusable input
  3  the diagnosis itself could not run

The password is read from --password-env VAR, --password-stdin, the system keyring
(service "emaildiag", account user@host:port) or an interactive prompt; never from argv.
"""


class UsageError(Exception):
    """A one-line message for the user; exit status 2."""


def one_line(text: str) -> str:
    """A message for stderr: one line, control characters escaped, length bounded (a
    value typed by the user, e.g. a path with a line break, is quoted in it)."""
    from emaildiag.field_findings import shown

    return shown(text, 400)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming ``--help``, not the whole usage."""

    def error(self, message: str) -> NoReturn:
        hint = f"(see {self.prog} --help)"
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} {hint}\n")


def _port(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.removeprefix("-").isdigit()):
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    if len(text) > 6 or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {text}")
    return int(text)


def _ports(value: str) -> list[int]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("give at least one port, e.g. 25,465,587")
    return [_port(p) for p in parts]


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 1 <= seconds <= 600:
        raise argparse.ArgumentTypeError("the timeout must be between 1 and 600 seconds")
    return seconds


def _dns_server(value: str) -> str:
    from emaildiag.checks.dns import parse_dns_server

    try:
        parse_dns_server(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected IP or IP:PORT, not {value!r}") from None
    return value


def _ca_file(value: str) -> str:
    import ssl

    _existing_file(value)
    try:
        ssl.create_default_context(cafile=value)
    except (OSError, ssl.SSLError, ValueError):
        raise argparse.ArgumentTypeError(f"{value} holds no PEM certificate") from None
    return value


def _address(value: str) -> str:
    from emaildiag.fields import as_address

    address = as_address(value) if value else ""
    if address is None:
        raise argparse.ArgumentTypeError(f"not one email address: {value!r}")
    return address


def _existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    return value


def _add_output(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json", metavar="FILE|-", help="write the report as JSON (- for stdout, JSON only)"
    )
    p.add_argument("--lang", choices=("en", "it"), help="language of the findings (default en)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emaildiag",
        description="Tells you exactly why your email settings don't send, and what to change.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"emaildiag {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser(
        "check",
        help="diagnose email settings",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s = check.add_argument_group("settings")
    s.add_argument(
        "--settings",
        metavar="FILE",
        type=_existing_file,
        help="load settings saved as TOML or JSON",
    )
    s.add_argument("--host", help="SMTP server, e.g. smtp.gmail.com")
    s.add_argument("--port", type=_port, help="25, 465 (SSL/TLS), 587 (STARTTLS) or another port")
    s.add_argument("--username", help="login name, usually the email address")
    s.add_argument("--email", help="sending address, when the username is not one")
    pw = s.add_mutually_exclusive_group()
    pw.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    pw.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    s.add_argument(
        "--oauth-token-env",
        metavar="VAR",
        help="sign in with XOAUTH2 using the OAuth2 access token in this environment variable",
    )
    s.add_argument(
        "--remember-password",
        action="store_true",
        help="save the password in the system keyring for the next run",
    )
    s.add_argument("--copy-to", metavar="ADDRESS", help="send a copy of each email to this address")
    s.add_argument("--reply-to", metavar="ADDRESS", help="receive replies at this address")
    s.add_argument(
        "--no-verify-tls",
        action="store_true",
        help="do not verify the TLS certificate (self-signed servers)",
    )
    s.add_argument("--protocol", choices=("smtp", "http"), help="smtp (default) or http relay")
    s.add_argument("--http-url", metavar="URL", help="HTTP mail relay URL (protocol http)")
    s.add_argument(
        "--http-reply-to", metavar="ADDRESS", help="reply-to address required by the HTTP relay"
    )
    s.add_argument(
        "--save", metavar="FILE", help="save these settings (never the password) as TOML or JSON"
    )
    d = check.add_argument_group("diagnosis")
    d.add_argument(
        "--ports",
        type=_ports,
        metavar="LIST",
        help="ports to probe (default 25,465,587 and --port)",
    )
    d.add_argument(
        "--send-test",
        nargs="?",
        const="",
        type=_address,
        metavar="TO",
        help="send a real test email (to TO, default yourself)",
    )
    d.add_argument("--attach-pdf", action="store_true", help="attach a small PDF to the test email")
    d.add_argument(
        "--timeout",
        type=_timeout,
        default=30.0,
        metavar="SECONDS",
        help="overall time limit (default 30)",
    )
    _add_trust(d)
    d.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    d.add_argument(
        "--thunderbird",
        metavar="FILE",
        help="write the settings that worked as a Thunderbird autoconfig file, to try them there",
    )
    _add_output(check)
    _add_suggest(sub)
    demo = sub.add_parser(
        "demo", help="run a real diagnosis against servers started on this computer"
    )
    demo.add_argument(
        "--scenario", default="ok", help="ok (default), or a fault to show; 'list' lists them"
    )
    demo.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    _add_output(demo)
    _add_batch(sub)
    return parser


def _add_trust(p: Any) -> None:
    """Whom to believe: the DNS server to ask, and the CAs to trust (check, suggest, batch)."""
    p.add_argument(
        "--dns-server",
        type=_dns_server,
        metavar="IP[:PORT]",
        help="ask this DNS server instead of the system's",
    )
    p.add_argument(
        "--ca-file", type=_ca_file, metavar="FILE", help="trust only the CAs in this PEM file"
    )


def _add_suggest(sub: Any) -> None:
    p = sub.add_parser("suggest", help="find the outgoing-mail settings for an email address")
    p.add_argument("address", help="the email address, e.g. alice@example.com")
    p.add_argument("--no-probe", action="store_true", help="do not connect to check them")
    p.add_argument(
        "--timeout", type=_timeout, default=10.0, metavar="SECONDS", help="time limit (default 10)"
    )
    _add_trust(p)
    p.add_argument(
        "--thunderbird",
        metavar="FILE",
        help="write the best suggestion as a Thunderbird autoconfig file",
    )
    p.add_argument("--json", metavar="FILE|-", help="write the suggestions as JSON (- for stdout)")


BATCH_EPILOG = """CSV columns: label, host, port, username, email, copy_to, reply_to, verify_tls,
protocol, http_url, http_reply_to, password_env (an environment variable holding the
password), password_keyring (true: the system keyring). A 'password' column is refused.

Results, one row per account: label, host, port, verdict, root_cause, provider,
state_25, state_465, state_587, state_configured, auth, cert_days_left, duration_ms,
error. Ctrl-C writes the accounts already finished and exits 130.
exit status: 0 every account ok or warning, 1 any error, 2 bad usage or input.
"""


def _count(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 1000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000, not {value!r}")
    return int(value)


def _add_batch(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help="diagnose many accounts listed in a CSV file",
        epilog=BATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE.csv", type=_existing_file, help="the accounts")
    p.add_argument("--out", metavar="FILE", help="write the results here (default: stdout)")
    p.add_argument(
        "--concurrency", type=_count, default=20, metavar="N", help="accounts at once (default 20)"
    )
    p.add_argument(
        "--per-host",
        type=_count,
        default=4,
        metavar="N",
        help="at most N at once against one server (default 4)",
    )
    p.add_argument(
        "--ports", type=_ports, metavar="LIST", help="ports to probe (default 25,465,587)"
    )
    p.add_argument(
        "--timeout",
        type=_timeout,
        default=30.0,
        metavar="SECONDS",
        help="time limit per account (default 30)",
    )
    _add_trust(p)
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    shown.add_argument(
        "--progress", action="store_true", help="show the progress bar even when not a terminal"
    )


def _version() -> str:
    from emaildiag import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command == "demo":
            from emaildiag.demo import run_demo

            return run_demo(args)
        from emaildiag import commands

        if args.command == "suggest":
            return commands.suggest(args)
        if args.command == "batch":
            return commands.batch(args)
        return commands.check(args)
    except UsageError as exc:
        print(f"emaildiag: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("emaildiag: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a fault of ours: one line, never a traceback (it may hold locals)
        import logging

        logging.getLogger("emaildiag").debug("the command failed", exc_info=True)
        print(f"emaildiag: the command failed: {type(exc).__name__}", file=sys.stderr)
        return EXIT_UNAVAILABLE
