"""Run one hostile scenario through the whole engine and check the invariants of
faults-and-security §0 on it.

``hostile()`` drives :func:`emaildiag.adiagnose` against fake servers the test started
on loopback and returns an :class:`Outcome`. Before returning it asserts, for every
scenario:

- the run ended within its deadline (``timeout`` + a small scheduling margin);
- traced memory stayed under ``MEMORY_CAP`` however much the server sent;
- nothing crashed: no exception escaped, no check stopped with an internal error,
  no "Traceback" in any output, no ERROR log record;
- the fake never received the password (in any form) or an AUTH command unless the
  channel was TLS the user accepted, and never more than once;
- the canary password, in every form, is absent from the JSON, text, HTML and repr of
  the report, its transcript, the log records and stdout/stderr;
- every connection the engine opened to a fake is closed afterwards, and no thread or
  task the engine started is still running.

``hostile_fake()`` does the same against one scripted fake it serves itself and returns
what that fake read too. Scenario tests then assert what the catalogue says the tool
must report.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
import ssl
import threading
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis

from emaildiag import adiagnose
from emaildiag.checks.dns import Resolver, StaticResolver
from emaildiag.model import Finding, Report
from emaildiag.testing import TestPKI
from emaildiag.testing.dns import LoopbackDnsServer
from emaildiag.testing.protocol import AuthAttempt
from emaildiag.testing.scripted import Handler, Received, scripted_server, smtp_script

HOST = "mail.emaildiag.test"
# a plain server without STARTTLS: the engine never sends it a password
PLAIN_EHLO = b"250-mail.emaildiag.test\r\n250 8BITMIME\r\n"
USER = "alice@emaildiag.test"
DNS = StaticResolver({(HOST, "A"): ["127.0.0.1"]})

MARGIN = 0.75  # scheduling slack on top of the run's own deadline, seconds
MEMORY_CAP = 16 * 1024 * 1024  # peak traced allocation during one run, bytes

# /proc/net/tcp states that mean "this end still holds the connection open"
_OPEN_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "08": "CLOSE_WAIT"}


def hostile_ci(*suppress: hypothesis.HealthCheck) -> hypothesis.settings:
    """Hypothesis settings for the suite's properties: derandomised (CI runs the same
    examples every time), no per-example deadline, no example database, the blob of a
    failing example printed; the ``too_slow`` health check and ``suppress`` are off."""
    return hypothesis.settings(
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[hypothesis.HealthCheck.too_slow, *suppress],
    )


def secret_forms(password: str, username: str = USER) -> list[str]:
    """Every way a password can travel or come back: raw, base64, the SASL PLAIN blob
    with and without authzid, the XOAUTH2 blob, and UTF-8 bytes read as Latin-1."""
    raw = password.encode()
    b64 = [
        raw,
        b"\0" + username.encode() + b"\0" + raw,
        username.encode() + b"\0" + username.encode() + b"\0" + raw,
        b"user=" + username.encode() + b"\x01auth=Bearer " + raw + b"\x01\x01",
    ]
    forms = {password, raw.decode("latin-1")}
    forms.update(base64.b64encode(b).decode() for b in b64)
    return sorted(forms)


def wire_forms(password: str, username: str = USER) -> list[bytes]:
    return [f.encode("utf-8", "surrogatepass") for f in secret_forms(password, username)]


@dataclass
class Outcome:
    report: Report
    elapsed: float
    peak: int
    logs: str
    stdout: str
    stderr: str
    outputs: str = field(repr=False)

    @property
    def codes(self) -> set[str]:
        return set(self.report.codes())

    def findings(self, code: str, port: int | None = None) -> list[Finding]:
        """Every finding with ``code`` (on ``port``, when given), in report order."""
        return [
            f for f in self.report.findings if f.code == code and (port is None or f.port == port)
        ]

    def finding(self, code: str, port: int | None = None) -> Finding:
        """The first finding with ``code`` (on ``port``, when given)."""
        found = self.findings(code, port)
        if not found:
            where = "" if port is None else f" on port {port}"
            have = sorted(f"{f.code} (port {f.port})" for f in self.report.findings)
            raise AssertionError(f"{code}{where} not in {have}")
        return found[0]

    def probe(self, port: int) -> Any:
        return next(p for p in self.report.probes if p.port == port)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _logs() -> Iterator[_Collect]:
    root = logging.getLogger()
    handler, level = _Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _open_client_sockets(ports: Iterable[int]) -> set[tuple[str, str]]:
    """Client-side TCP connections to ``ports`` still open: (local address, state)."""
    wanted = {f"{p:04X}" for p in ports}
    found: set[tuple[str, str]] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            local, remote, state = cols[1], cols[2], cols[3]
            if remote.rsplit(":", 1)[1] in wanted and state in _OPEN_STATES:
                found.add((local, _OPEN_STATES[state]))
    return found


def assert_wire_clean(
    password: str,
    received: Sequence[Received] = (),
    auth_log: Sequence[AuthAttempt] = (),
    *,
    tls_accepted: bool = False,
    username: str = USER,
) -> None:
    """What the fakes were told: the password at most once, and only over TLS the user
    accepted; no AUTH command in the clear."""
    forms = wire_forms(password, username)
    carrying = 0
    for rec in received:
        for over_tls, chunk in rec.chunks:
            for line in chunk.splitlines():
                has_secret = any(f in line for f in forms)
                is_auth = line[:5].upper() == b"AUTH "
                if has_secret or is_auth:
                    assert over_tls, f"sent in the clear: {line[:40]!r}"
                    assert tls_accepted, f"sent over TLS the user did not accept: {line[:40]!r}"
                carrying += has_secret
    for attempt in auth_log:
        assert attempt.over_tls and tls_accepted, attempt
        carrying += 1
    assert carrying <= 1, f"the password went out {carrying} times"


async def hostile(
    settings: Mapping[str, Any] | None = None,
    *,
    password: str,
    port_map: Mapping[int, int] | None = None,
    received: Sequence[Received] = (),
    auth_log: Sequence[AuthAttempt] | None = None,
    tls_accepted: bool = False,
    pki: TestPKI | None = None,
    resolver: Resolver | None = DNS,
    timeout: float = 4.0,
    watch_ports: Iterable[int] = (),
    **options: Any,
) -> Outcome:
    """Diagnose ``settings`` (host, port 587 and the test user by default) against the
    fakes behind ``port_map`` and check every invariant; see the module docstring.

    ``received``/``auth_log`` are what the fakes recorded; ``tls_accepted`` says the
    scenario is one where sending the password is right (verified TLS, or TLS the user
    chose not to verify). ``watch_ports`` adds ports (besides ``port_map``'s targets)
    whose client connections must be closed afterwards."""
    values: dict[str, Any] = {"host": HOST, "port": 587, "username": USER, "password": password}
    values.update(settings or {})
    if pki is not None:
        options.setdefault("ca_file", str(pki.ca_file))
    port_map = dict(port_map or {})
    options.setdefault("ports", sorted(port_map) or [values["port"]])
    dialled = set(port_map.values()) | set(watch_ports)
    before = _open_client_sockets(dialled)
    threads = set(threading.enumerate())
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with _logs() as logs, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            report = await adiagnose(
                values, port_map=port_map, resolver=resolver, timeout=timeout, **options
            )
        elapsed = time.monotonic() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    log_text = "\n".join(f"{r.levelname} {r.name} {r.getMessage()}" for r in logs.records)
    outcome = Outcome(
        report=report,
        elapsed=elapsed,
        peak=peak,
        logs=log_text,
        stdout=out.getvalue(),
        stderr=err.getvalue(),
        outputs="\n".join(
            (report.to_json(), report.to_text(), report.to_html(), repr(report), log_text)
        ),
    )
    assert elapsed <= timeout + MARGIN, f"took {elapsed:.2f} s with a {timeout} s deadline"
    assert peak <= MEMORY_CAP, f"peak memory {peak} bytes"
    assert "run.check_failed" not in outcome.codes, report.to_text()
    assert "Traceback" not in outcome.outputs + outcome.stderr
    errors = [r for r in logs.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not outcome.stdout and not outcome.stderr, "the engine printed"
    for form in secret_forms(password, values.get("username") or USER):
        assert form not in outcome.outputs, f"secret form {form[:6]}… in the outputs"
    await _assert_closed(dialled, before)
    await asyncio.sleep(0.05)  # let the fakes read the last lines a client sent before closing
    assert not _engine_tasks(), f"tasks still running after the run: {_engine_tasks()}"
    new = [t.name for t in threading.enumerate() if t not in threads and t.is_alive()]
    assert not new, f"threads still running after the run: {new}"
    assert_wire_clean(
        password,
        received,
        auth_log or (),
        tls_accepted=tls_accepted,
        username=values.get("username") or USER,
    )
    return outcome


async def hostile_fake(
    handler: Handler,
    settings: Mapping[str, Any] | None = None,
    *,
    password: str,
    tls: ssl.SSLContext | None = None,
    settle: float = 0.0,
    **options: Any,
) -> tuple[Outcome, Received]:
    """:func:`hostile` against one scripted fake: ``handler`` served on loopback (behind
    ``tls``, for implicit TLS) as the settings' port (587 unless given), every line it
    read recorded; returns the outcome and that record.

    ``settle`` > 0 keeps the fake up that many seconds longer and checks the wire again:
    a client that pairs a stale reply with AUTH hangs up before the fake reads the AUTH
    line, so the check right after the run can miss it."""
    port = int((settings or {}).get("port", 587))
    rec = Received()
    async with scripted_server(handler, tls=tls, received=rec) as dialled:
        out = await hostile(
            settings, password=password, port_map={port: dialled}, received=[rec], **options
        )
        if settle:
            await asyncio.sleep(settle)
            assert_wire_clean(
                password,
                [rec],
                tls_accepted=bool(options.get("tls_accepted")),
                username=(settings or {}).get("username") or USER,
            )
    return out, rec


def _engine_tasks() -> list[str]:
    """Tasks of the event loop running engine code (not the fakes') that have not ended."""
    left = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        where = code.co_filename if code else ""
        if "/emaildiag/" in where and "/emaildiag/testing/" not in where and not task.done():
            left.append(task.get_name() + " " + getattr(task.get_coro(), "__qualname__", ""))
    return left


async def _assert_closed(ports: set[int], before: set[tuple[str, str]]) -> None:
    """Every connection the run opened is closed (give the loop a moment to finish
    closing transports it was told to close)."""
    left: set[tuple[str, str]] = set()
    for _ in range(20):
        left = _open_client_sockets(ports) - before
        if not left:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"connections left open after the run: {sorted(left)}")


async def hostile_dns(
    zone: Mapping[tuple[str, str], Sequence[str]],
    settings: Mapping[str, Any] | None = None,
    *,
    password: str,
    handler: Handler | None = None,
    **options: Any,
) -> tuple[Outcome, LoopbackDnsServer, Received]:
    """:func:`hostile_fake` with DNS from a real loopback DNS server serving ``zone``;
    the fake is a plain server without STARTTLS unless ``handler`` is given."""
    with LoopbackDnsServer(zone) as dns:
        out, rec = await hostile_fake(
            handler or smtp_script(ehlo=PLAIN_EHLO),
            settings,
            password=password,
            resolver=None,
            dns_server=dns.address,
            **options,
        )
    return out, dns, rec
