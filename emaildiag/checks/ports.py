"""Probe one port on one address: TCP state, greeting, STARTTLS/implicit TLS, certificate.

Two-pass TLS (faults-and-security §3.1): the first handshake verifies; when it fails
verification, a second connection without verification only *reads* the certificate
so every problem can be reported. Credentials never travel on either pass.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from emaildiag.catalog import make_finding
from emaildiag.checks import _errors
from emaildiag.checks.session import Limits, Session, SessionError, Target, establish
from emaildiag.checks.tls import (
    OLD_VERSIONS,
    assess_tls,
    collecting_context,
    greeting_time,
    verify_error_text,
)
from emaildiag.checks.wire import Transcript, auth_mechanisms
from emaildiag.model import Finding, ProbeFacts, Severity
from emaildiag.redact import printable

STANDARD_MODES = {25: "starttls", 587: "starttls", 465: "implicit"}


# A connect that failed for another reason (or never finished) is "cannot reach".
_STATE_CODES = {
    "refused": "port.refused",
    "filtered": "port.filtered",
    "unreachable": "port.unreachable",
    "error": "port.unreachable",
}


def mode_for_port(port: int) -> str:
    """RFC 8314: 465 is implicit TLS, 25/587 use STARTTLS; other ports are detected."""
    return STANDARD_MODES.get(port, "auto")


@dataclass(frozen=True)
class ProbeContext:
    verify_context: ssl.SSLContext
    transcript: Transcript
    limits: Limits
    ehlo_name: str
    now: Callable[[], dt.datetime]
    deadline: float | None = None  # event-loop time by which a probe returns what it has
    phases: list[str] = field(default_factory=list)  # where this probe's conversation stands


async def open_session(
    target: Target, ctx: ProbeContext, context: ssl.SSLContext, verified: bool
) -> Session:
    """:func:`establish` with this probe run's transcript, limits, EHLO name and clock."""
    return await establish(
        target,
        context,
        verified=verified,
        transcript=ctx.transcript,
        limits=ctx.limits,
        ehlo_name=ctx.ehlo_name,
        now=ctx.now,
        phases=ctx.phases,
    )


# Where a conversation stood when the deadline cut it → what that means (SPEC §4).
_CUT_IN_PHASE = {
    "greeting": "port.no_greeting",
    "handshake": "tls.handshake_failed",
    "starttls": "tls.starttls_failed",
}


async def probe_port(target: Target, ctx: ProbeContext) -> ProbeFacts:
    """Everything one address:port tells without credentials, by ``ctx.deadline``."""
    ctx = replace(ctx, phases=[])
    base = ProbeFacts(port=target.port, address=target.address, family=target.family, state="open")
    try:
        async with asyncio.timeout_at(ctx.deadline):
            return await _probe(target, ctx, base)
    except TimeoutError:
        last = ctx.phases[-1] if ctx.phases else "connect"
        if last == "connect":
            return replace(base, state="filtered", error=_errors.TIMED_OUT)
        code = _CUT_IN_PHASE.get(last, "smtp.protocol_error")
        if target.mode == "auto" and last == "handshake":
            code = "port.no_greeting"  # silent to a ClientHello: nothing speaks here
        return replace(base, mode=None, problem=code, error=f"{_errors.TIMED_OUT} ({last})")


async def _probe(target: Target, ctx: ProbeContext, base: ProbeFacts) -> ProbeFacts:
    if target.mode == "auto":
        return await _probe_auto(target, ctx, base)
    try:
        session = await open_session(target, ctx, ctx.verify_context, True)
    except ssl.SSLCertVerificationError as exc:
        return await _collect_unverified(target, ctx, base, verify_error_text(exc))
    except SessionError as exc:
        no_greeting = (
            exc.code == "port.no_greeting"
            and target.mode == "starttls"
            and exc.detail != _errors.INCOMPLETE_GREETING  # it spoke plain text
        )
        silent = exc.detail == _errors.TIMED_OUT  # nothing to learn from a second try
        if no_greeting and await _speaks_tls(target, ctx):
            exc = SessionError(
                "tls.plain_on_implicit_port", "the port waits for a TLS handshake", exc.session
            )
        elif exc.in_handshake and exc.code != "tls.implicit_on_starttls_port" and not silent:
            return await _explain_handshake(target, ctx, base, exc)
        return _from_error(base, exc)
    except (OSError, TimeoutError) as exc:
        return replace(
            base,
            state=_errors.connect_state(exc),
            error=printable(str(exc) or type(exc).__name__, 200),
        )
    return await _finish(base, session)


async def _probe_auto(target: Target, ctx: ProbeContext, base: ProbeFacts) -> ProbeFacts:
    """Unknown port: try TLS first (a plaintext server fails that handshake at once), then plain."""
    facts = await _probe(replace(target, mode="implicit"), ctx, base)
    if facts.problem == "tls.implicit_on_starttls_port":
        return await _probe(replace(target, mode="starttls"), ctx, base)
    if facts.problem == "tls.handshake_failed" and facts.error == _errors.TIMED_OUT:
        # Silent to a ClientHello as well as without one: nothing greets on this port.
        return replace(facts, problem="port.no_greeting", mode=None)
    return facts


async def _explain_handshake(
    target: Target, ctx: ProbeContext, base: ProbeFacts, exc: SessionError
) -> ProbeFacts:
    """A verifying handshake failed outright: a permissive one tells whether the server
    only speaks TLS 1.0/1.1 (RFC 8996 deprecates them; Python refuses them by default)."""
    try:
        session = await open_session(target, ctx, collecting_context(), False)
    except (OSError, TimeoutError, SessionError, ssl.SSLError):
        return _from_error(base, exc)
    facts = await _finish(base, session)
    if facts.tls and facts.tls.version in OLD_VERSIONS:
        return replace(facts, problem="tls.old_protocol", error=exc.detail)
    return replace(_from_error(base, exc), tls=facts.tls)


async def _speaks_tls(target: Target, ctx: ProbeContext) -> bool:
    try:
        session = await open_session(
            replace(target, mode="implicit"), ctx, collecting_context(), False
        )
    except (OSError, TimeoutError, SessionError, ssl.SSLError):
        return False
    await session.channel.close()
    return True


async def _collect_unverified(
    target: Target, ctx: ProbeContext, base: ProbeFacts, error: str
) -> ProbeFacts:
    ctx.transcript.add(
        target.port,
        target.address,
        "*",
        f"certificate verification failed: {error}; reconnecting only to read the certificate",
    )
    try:
        session = await open_session(target, ctx, collecting_context(), False)
    except SessionError as exc:
        return _from_error(base, exc, verify_error=error)
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        return replace(base, problem="tls.handshake_failed", error=printable(str(exc), 200))
    facts = await _finish(base, session)
    assert facts.tls is not None
    return replace(facts, tls=replace(facts.tls, verify_error=error, verified=False))


def _session_facts(base: ProbeFacts, s: Session | None) -> ProbeFacts:
    """What one session learned, as probe facts."""
    if s is None:
        return base
    return replace(
        base,
        connect_ms=s.timings.get("connect"),
        mode=s.mode,  # type: ignore[arg-type]
        greeting=printable(str(s.greeting), 300) if s.greeting else None,
        tls=s.tls,
        ehlo=s.ehlo,
        ehlo_tls=s.ehlo_tls,
        timings=dict(s.timings),
    )


def _from_error(base: ProbeFacts, exc: SessionError, verify_error: str | None = None) -> ProbeFacts:
    facts = replace(_session_facts(base, exc.session), problem=exc.code, error=exc.detail)
    if facts.tls and verify_error:
        facts = replace(facts, tls=replace(facts.tls, verify_error=verify_error, verified=False))
    return facts


async def _finish(base: ProbeFacts, session: Session) -> ProbeFacts:
    await session.channel.close()
    return _session_facts(base, session)


def assess_probe(
    facts: ProbeFacts, *, host: str, configured: bool, verify_tls: bool, now: dt.datetime, lang: str
) -> list[Finding]:
    """Findings for one probe. Other ports report their state only; the configured port
    reports every protocol and certificate problem."""
    port, addr = facts.port, facts.address
    sev = Severity.ERROR if configured else None
    if facts.state != "open":
        code = _STATE_CODES[facts.state]
        return [
            make_finding(code, port=port, address=addr, lang=lang, severity=sev, detail=facts.error)
        ]
    if not configured:
        return (
            [] if facts.problem else [make_finding("port.open", port=port, address=addr, lang=lang)]
        )
    out: list[Finding] = []
    if facts.problem:
        out.append(_problem_finding(facts, host, lang))
    if auth_mechanisms(facts.ehlo):  # ``ehlo`` holds only what was said before TLS
        out.append(make_finding("smtp.auth_before_tls", port=port, lang=lang))
    if facts.tls:
        tls_findings = assess_tls(
            facts.tls,
            host=host,
            port=port,
            now=now,
            verify_tls=verify_tls,
            lang=lang,
            server_time=greeting_time(facts.greeting),
        )
        if (facts.problem or "").startswith("tls."):
            # TLS came up and then broke (a TLS 1.3 server that wants a client
            # certificate says so only after the client's side of the handshake):
            # the certificate's findings stand, "encryption works" does not.
            tls_findings = [f for f in tls_findings if f.code != "tls.ok"]
        out += tls_findings
        if (
            not facts.problem
            and facts.ehlo_tls
            and not auth_mechanisms(facts.ehlo_tls)
            and port != 25
        ):
            out.append(make_finding("smtp.auth_not_offered", port=port, lang=lang))
    if not out:
        out.append(make_finding("port.open", port=port, address=addr, lang=lang))
    return out


def _problem_finding(facts: ProbeFacts, host: str, lang: str) -> Finding:
    code = facts.problem or "smtp.protocol_error"
    version = facts.tls.version if facts.tls and facts.tls.version else "TLS 1.0/1.1"
    return make_finding(
        code,
        port=facts.port,
        lang=lang,
        detail=facts.error,
        host=host,
        address=facts.address,
        code=_reply_code(facts.greeting),
        version=version,
    )


def _reply_code(greeting: str | None) -> str:
    return greeting[:3] if greeting and greeting[:3].isdigit() else ""


def assess_probes(
    probes: list[ProbeFacts],
    *,
    configured: int,
    host: str,
    verify_tls: bool,
    now: dt.datetime,
    lang: str,
) -> list[Finding]:
    """Findings for every probe of one run, and the IPv6 blackhole across them: IPv6
    failing on a port where IPv4 works (§3.6) is one ``port.ipv6_broken`` warning, in
    place of the failed IPv6 probes' own findings."""
    ipv6 = _assess_ipv6(probes, configured, host, lang)
    out: list[Finding] = []
    for p in probes:
        if p.family == "ipv6" and p.state != "open" and any(f.port == p.port for f in ipv6):
            continue
        out += assess_probe(
            p, host=host, configured=p.port == configured, verify_tls=verify_tls, now=now, lang=lang
        )
    return out + ipv6


def _assess_ipv6(probes: list[ProbeFacts], configured: int, host: str, lang: str) -> list[Finding]:
    """Reported once, on the configured port when it shows it."""
    for port in dict.fromkeys([configured, *(p.port for p in probes)]):
        v4 = [p for p in probes if p.port == port and p.family == "ipv4"]
        v6 = [p for p in probes if p.port == port and p.family == "ipv6"]
        if any(p.state == "open" for p in v4) and v6 and all(p.state != "open" for p in v6):
            return [make_finding("port.ipv6_broken", port=port, host=host, lang=lang)]
    return []
