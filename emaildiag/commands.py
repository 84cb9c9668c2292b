"""What the ``emaildiag`` commands do, once :mod:`emaildiag.cli` has parsed them.

``check`` gathers the settings and the password (never from argv), runs the engine and
writes the outputs; ``suggest`` runs discovery. Exit status as in :mod:`emaildiag.cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from emaildiag.cli import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    UsageError,
    one_line,
)

if TYPE_CHECKING:
    from emaildiag.jobs import Event
    from emaildiag.model import Report


def _settings_from_args(args: argparse.Namespace) -> dict[str, Any]:
    from emaildiag.settings import SettingsFileError, load_settings

    values: dict[str, Any] = {}
    if args.settings:
        try:
            values = {
                k: v for k, v in vars(load_settings(args.settings)).items() if k != "password"
            }
        except SettingsFileError as exc:
            raise UsageError(str(exc)) from None
    flags = {
        "host": args.host,
        "port": args.port,
        "username": args.username,
        "email": args.email,
        "copy_to": args.copy_to,
        "reply_to": args.reply_to,
        "protocol": args.protocol,
        "http_url": args.http_url,
        "http_reply_to": args.http_reply_to,
        "lang": args.lang,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if args.no_verify_tls:
        values["verify_tls"] = False
    if not values.get("host") and values.get("protocol", "smtp") == "smtp":
        raise UsageError("--host is required (or --settings FILE)")
    return values


def _password(args: argparse.Namespace, values: dict[str, Any]) -> str:
    """--password-env, --password-stdin, the keyring, then a hidden prompt (a terminal only)."""
    from emaildiag import credentials
    from emaildiag.settings import normalize_settings

    account = normalize_settings(values)[0]  # the keyring entry is named after tidy values
    password = _given_password(args) or credentials.password_from_keyring(account)
    if password is None:
        password = credentials.prompt_password("Password (not shown): ") or ""
    if args.remember_password:
        usable, backend = credentials.keyring_status()
        why = credentials.store_refusal(account, password) if usable else backend
        if why is None and credentials.store_password(account, password):
            print(f"emaildiag: saved in the keyring ({backend})", file=sys.stderr)
        else:
            why = why or f"{backend} refused it"
            print(f"emaildiag: not saved in the keyring: {why}", file=sys.stderr)
    return password


def _given_password(args: argparse.Namespace) -> str | None:
    from emaildiag import credentials

    if args.password_env is not None:
        return _from_env("--password-env", args.password_env)
    if args.password_stdin:
        return credentials.read_password_stdin(sys.stdin)
    return None


def _from_env(flag: str, var: str) -> str:
    """The value of the environment variable ``var`` named by ``flag``; UsageError if none."""
    from emaildiag.credentials import password_from_env

    if not var.strip():
        raise UsageError(f"{flag} needs the name of an environment variable")
    value = password_from_env(var)
    if value is None:
        raise UsageError(f"environment variable {var} is not set")
    return value


def check(args: argparse.Namespace) -> int:
    if args.attach_pdf and args.send_test is None:
        raise UsageError("--attach-pdf goes with --send-test")
    if args.protocol == "http" and (args.send_test is not None or args.thunderbird):
        raise UsageError("--send-test and --thunderbird are for SMTP settings, not an HTTP relay")
    require_outputs(args)
    values = _settings_from_args(args)
    token = ""
    if args.oauth_token_env is not None:
        token = _from_env("--oauth-token-env", args.oauth_token_env)
    values["password"] = "" if token else _password(args, values)
    if args.save:
        _save(values, args.save)
    from emaildiag.runner import adiagnose

    options: dict[str, Any] = {
        "send_test": args.send_test,
        "attach_pdf": args.attach_pdf,
        "oauth_token": token,
        "timeout": args.timeout,
        "dns_server": args.dns_server,
        "ca_file": args.ca_file,
    }
    if args.ports:
        options["ports"] = args.ports
    return run_and_report(adiagnose(values, on_event=progress(args), **options), args)


def _save(values: dict[str, Any], path: str) -> None:
    from emaildiag.settings import Settings, SettingsFileError, save_settings

    try:
        save_settings(
            Settings(**{k: v for k, v in values.items() if k in Settings.__dataclass_fields__}),
            path,
        )
    except (SettingsFileError, OSError, TypeError, ValueError) as exc:
        raise UsageError(f"cannot save settings to {path}: {exc}") from None


def progress(args: argparse.Namespace, stream: TextIO | None = None) -> Any:
    out = stream or sys.stderr
    if args.quiet or not out.isatty():
        return None

    def show(event: Event) -> None:
        if event.kind == "stage":
            print(f"  … {event.name}", file=out, flush=True)
        elif event.kind == "end" and event.state != "ok":
            print(f"    {event.name}: {event.state}", file=out, flush=True)

    return show


def run_and_report(work: Any, args: argparse.Namespace) -> int:
    """Run the diagnosis coroutine, write the outputs, return the exit status."""
    import asyncio
    import logging

    try:
        report: Report = asyncio.run(work)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        logging.getLogger("emaildiag").debug("diagnosis failed", exc_info=True)
        print(f"emaildiag: the diagnosis could not run: {type(exc).__name__}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    write_outputs(report, args)
    return exit_status(report)


def exit_status(report: Report) -> int:
    """3 when nothing could be learnt about the server: every job failed or timed out,
    or DNS itself failed (SERVFAIL, REFUSED, timeout) so no address was tried; a
    diagnosis that found a fault, NXDOMAIN included, is 1."""
    if report.jobs and all(j.state != "ok" for j in report.jobs):
        return EXIT_UNAVAILABLE
    dns_failed = any(f.code == "dns.failure" for f in report.findings)
    if dns_failed and not report.probes and report.settings.get("protocol") != "http":
        return EXIT_UNAVAILABLE
    return EXIT_ERROR if report.verdict == "error" else EXIT_OK


def suggest(args: argparse.Namespace) -> int:
    """``emaildiag suggest ADDRESS``: ranked settings with their evidence (SRV first)."""
    import dataclasses
    import json

    from emaildiag.discovery import suggest_settings

    require_outputs(args)
    resolver = None
    if args.dns_server:
        from emaildiag.checks.dns import DnspythonResolver, parse_dns_server

        resolver = DnspythonResolver(
            parse_dns_server(args.dns_server), timeout=min(5.0, args.timeout / 3)
        )
    try:
        found = suggest_settings(
            args.address,
            resolver=resolver,
            probe=not args.no_probe,
            timeout=args.timeout,
            ca_file=args.ca_file,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json == "-":
        print(json.dumps([dataclasses.asdict(x) for x in found], indent=2))
    else:
        for x in found:
            mark = "✓" if x.verified else " "
            where = f"{x.host}:{x.port} {x.security:<8} user {x.username}"
            print(f"{mark} {where}  [{x.source}] {x.evidence}")
        if not found:
            print("no settings found for this address", file=sys.stderr)
        if args.json:
            _write(args.json, json.dumps([dataclasses.asdict(x) for x in found], indent=2) + "\n")
    if args.thunderbird and found:
        from emaildiag.autoconfig import autoconfig_from_suggestion

        _write(args.thunderbird, autoconfig_from_suggestion(found[0], args.address))
        print(f"Thunderbird autoconfig written to {one_line(args.thunderbird)}", file=sys.stderr)
    return EXIT_OK if found else EXIT_ERROR


def _export_thunderbird(report: Report, path: str) -> None:
    """The settings seen to work, as Thunderbird's autoconfig XML; nothing when none did
    (a file with settings that failed would only move the problem to Thunderbird)."""
    from emaildiag.autoconfig import thunderbird_autoconfig

    s, rec = report.settings, report.recommended
    email = str(s.get("email") or s.get("username") or "")
    if not rec or "@" not in email:
        print("emaildiag: no working settings to write for Thunderbird", file=sys.stderr)
        return
    security: Literal["starttls", "implicit", "none"] = rec.get("security") or "starttls"
    try:
        xml = thunderbird_autoconfig(
            email=email,
            smtp_host=str(rec["host"]),
            smtp_port=int(rec["port"]),
            security=security,
            username=str(s.get("username") or email),
        )
    except ValueError as exc:
        print(f"emaildiag: no Thunderbird file written: {exc}", file=sys.stderr)
        return
    _write(path, xml)
    print(f"Thunderbird autoconfig written to {one_line(path)}", file=sys.stderr)


_OUTPUT_FLAGS = {name: f"--{name}" for name in ("json", "html", "thunderbird", "save")}


def require_outputs(args: argparse.Namespace) -> None:
    """Before any connection: --html has its extra and every output file can be written
    (a typo in a path must not cost the run, nor be found only after it)."""
    require_html(args)
    for name, flag in _OUTPUT_FLAGS.items():
        path = getattr(args, name, None)
        if path is not None and not (name == "json" and path == "-"):
            require_writable(flag, path)


def require_writable(flag: str, path: str) -> None:
    """UsageError unless ``path`` can be created or appended to; a file created only to
    find out is removed again. Devices and pipes (``/dev/stdout``) are left to the write."""
    if not path.strip():
        raise UsageError(f"{flag} needs a file name")
    target = Path(path)
    try:
        existed = target.exists() or target.is_symlink()
        if existed and not target.is_file() and not target.is_dir():
            return
        with target.open("a", encoding="utf-8"):
            pass
        if not existed:
            target.unlink()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise UsageError(f"cannot write {path}: {_reason(exc)}") from None


def _reason(exc: OSError | ValueError) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def require_html(args: argparse.Namespace) -> None:
    """--html needs the ``report`` extra: say so before running, not after."""
    if not getattr(args, "html", None):
        return
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError('--html needs the report extra: pip install "emaildiag[report]"') from None


def write_outputs(report: Report, args: argparse.Namespace) -> None:
    if args.json == "-":
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stdout.write(report.to_text())
        if args.json:
            _write(args.json, report.to_json() + "\n")
            print(f"JSON report written to {one_line(args.json)}", file=sys.stderr)
    if getattr(args, "thunderbird", None):
        _export_thunderbird(report, args.thunderbird)
    if getattr(args, "html", None):
        _write(args.html, report.to_html())
        print(f"HTML report written to {one_line(args.html)}", file=sys.stderr)


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot write {path}: {_reason(exc)}") from None


def batch(args: argparse.Namespace) -> int:
    """``emaildiag batch FILE.csv``: one result row per account, to ``--out`` or stdout.

    The output file is opened before the first connection (a typo in its path must not
    cost the run); on Ctrl-C the accounts already finished are written, exit 130.
    """
    from emaildiag import batch as engine
    from emaildiag.cli import EXIT_INTERRUPTED

    try:
        rows = engine.read_accounts_csv(args.file)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    unknown = sorted({k for row in rows[:1] for k in row} - {*engine.INPUT_COLUMNS, ""})
    if unknown:
        ignored = one_line(", ".join(unknown))
        print(f"emaildiag: ignoring unknown columns: {ignored}", file=sys.stderr)
    options: dict[str, Any] = {
        "timeout": args.timeout,
        "dns_server": args.dns_server,
        "ca_file": args.ca_file,
    }
    if args.ports:
        options["ports"] = args.ports
    progress = False if args.quiet else (True if args.progress else None)
    with _output(args.out) as out:
        try:
            results = engine.diagnose_rows(
                rows,
                concurrency=args.concurrency,
                per_host=args.per_host,
                progress=progress,
                **options,
            )
        except engine.BatchInterrupted as exc:
            engine.write_results_csv(exc.rows, out)
            print(f"emaildiag: {exc.args[0].partition(' (')[0]}", file=sys.stderr)
            return EXIT_INTERRUPTED
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        engine.write_results_csv(results, out)
    counts = {v: sum(r["verdict"] == v for r in results) for v in ("ok", "warning", "error")}
    broken = sum(r["error"] is not None for r in results)
    where = f"; results written to {args.out}" if args.out else ""
    print(
        f"emaildiag: {len(results)} accounts: {counts['ok']} ok, {counts['warning']} warning, "
        f"{counts['error']} error, {broken} not diagnosed{where}",
        file=sys.stderr,
    )
    return EXIT_ERROR if counts["error"] or broken else EXIT_OK


def _output(path: str | None) -> contextlib.AbstractContextManager[TextIO]:
    if path is None:
        return contextlib.nullcontext(sys.stdout)
    if not path.strip():
        raise UsageError("--out needs a file name")
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot write {path}: {_reason(exc)}") from None
