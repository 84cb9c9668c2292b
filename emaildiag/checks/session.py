"""Open an SMTP session up to "TLS up, EHLO done", recording facts and timings.

Used by the port probes (which stop there) and by the authentication check (which
goes on). STARTTLS follows RFC 3207: greeting, EHLO, STARTTLS, 220, handshake, and a
fresh EHLO whose answer replaces everything learned before TLS (§4.2 of RFC 3207).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emaildiag.checks import _errors
from emaildiag.checks.tls import certificate_facts
from emaildiag.checks.wire import (
    Channel,
    NoDataError,
    ProtocolError,
    Reply,
    Transcript,
    has_extension,
    parse_ehlo,
)
from emaildiag.model import Family, TlsFacts, TlsMode
from emaildiag.redact import printable


@dataclass(frozen=True)
class Target:
    """Where to connect, and the name to verify the certificate against (SNI)."""

    host: str
    address: str
    family: Family
    port: int
    mode: str  # "starttls" | "implicit" | "auto"
    dial_port: int | None = None  # where the port really listens (tests, the demo)

    @property
    def tcp_port(self) -> int:
        return self.dial_port or self.port


@dataclass(frozen=True)
class Limits:
    """Per-phase time limits, seconds. The runner derives them from ``--timeout``."""

    connect: float = 5.0
    greeting: float = 5.0
    command: float = 10.0
    handshake: float = 10.0


@dataclass
class Session:
    channel: Channel
    mode: str
    greeting: Reply | None = None
    ehlo: tuple[str, ...] = ()
    ehlo_tls: tuple[str, ...] = ()
    tls: TlsFacts | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def capabilities(self) -> tuple[str, ...]:
        return self.ehlo_tls if self.tls else self.ehlo


class SessionError(Exception):
    """A classified failure; ``session`` holds what was learned before it."""

    def __init__(
        self, code: str, detail: str, session: Session | None = None, phase: str = ""
    ) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.session = session
        self.phase = phase

    @property
    def in_handshake(self) -> bool:
        """The TLS handshake itself failed (not a refused STARTTLS command)."""
        return self.phase in ("handshake", "starttls_handshake")


class Timer:
    """Phase timings; ``phases`` (when given) lists each phase as it begins, so a caller
    cut off by a deadline knows where the conversation stood."""

    def __init__(self, timings: dict[str, float], phases: list[str] | None = None) -> None:
        self.timings = timings
        self.phases = phases if phases is not None else []

    def phase(self, name: str) -> _Phase:
        self.phases.append(name)
        return _Phase(self.timings, name)


class _Phase:
    def __init__(self, timings: dict[str, float], name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.t0 = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = round((time.monotonic() - self.t0) * 1000, 1)


def _tls_facts(
    channel: Channel,
    mode: TlsMode,
    verified: bool,
    error: str | None,
    now: dt.datetime,
    host: str,
) -> TlsFacts:
    obj = channel.ssl_object
    der = obj.getpeercert(binary_form=True) if obj else None
    cipher = obj.cipher() if obj else None
    try:
        cert = certificate_facts(der, now, host) if der else None
    except ValueError:  # a certificate OpenSSL took and cryptography cannot parse
        cert = None
    return TlsFacts(
        mode=mode,
        version=obj.version() if obj else None,
        cipher=cipher[0] if cipher else None,
        verified=verified,
        verify_error=error,
        certificate=cert,
    )


async def establish(
    target: Target,
    context: ssl.SSLContext,
    *,
    verified: bool,
    transcript: Transcript,
    limits: Limits,
    ehlo_name: str,
    now: Callable[[], dt.datetime],
    phases: list[str] | None = None,
) -> Session:
    """Connect and bring the session to "ready for AUTH". Raises OSError/TimeoutError
    from the TCP connect, ``ssl.SSLCertVerificationError`` from a verifying handshake,
    and ``SessionError`` for every classified protocol problem."""
    if target.mode not in ("starttls", "implicit"):
        raise ValueError(f"establish needs a known TLS mode, not {target.mode!r}")
    timings: dict[str, float] = {}
    timer = Timer(timings, phases)
    with timer.phase("connect"):
        channel = await Channel.open(
            target.address,
            target.port,
            transcript=transcript,
            timeout=limits.connect,
            dial_port=target.dial_port,
        )
    session = Session(channel=channel, mode=target.mode, timings=timings)
    try:
        await _converse(session, target, context, verified, limits, ehlo_name, now, timer)
    except BaseException:
        channel.abort()
        raise
    return session


async def _converse(
    s: Session,
    target: Target,
    context: ssl.SSLContext,
    verified: bool,
    limits: Limits,
    ehlo_name: str,
    now: Callable[[], dt.datetime],
    timer: Timer,
) -> None:
    ch = s.channel
    if target.mode == "implicit":
        with timer.phase("handshake"):
            await _step(s, "handshake", ch.start_tls(context, target.host, limits.handshake))
        s.tls = _tls_facts(ch, "implicit", verified, None, now(), target.host)
    with timer.phase("greeting"):
        s.greeting = await _step(s, "greeting", ch.read_greeting(limits.greeting))
    problem = _errors.greeting_problem(s.greeting)
    if problem:
        raise SessionError(problem, _errors.refusal(s.greeting), s)
    with timer.phase("ehlo"):
        s.ehlo = await _ehlo(s, ehlo_name, limits)
    if s.tls:
        s.ehlo_tls, s.ehlo = s.ehlo, ()
        s.mode = "implicit"
        return
    if not has_extension(s.ehlo, "STARTTLS"):
        s.mode = "none"
        raise SessionError("tls.starttls_missing", "STARTTLS not in the EHLO reply", s)
    with timer.phase("starttls"):
        reply = await _step(s, "starttls", ch.command("STARTTLS", limits.command))
        if reply.code != 220:
            raise SessionError("tls.starttls_failed", _errors.refusal(reply), s)
        await _step(s, "starttls_handshake", ch.starttls(context, target.host, limits.handshake))
    s.mode = "starttls"
    s.tls = _tls_facts(ch, "starttls", verified, None, now(), target.host)
    with timer.phase("ehlo_tls"):
        s.ehlo_tls = await _ehlo(s, ehlo_name, limits)


async def _ehlo(s: Session, ehlo_name: str, limits: Limits) -> tuple[str, ...]:
    reply = await _step(s, "ehlo", s.channel.command(f"EHLO {ehlo_name}", limits.command))
    if reply.code == 250:
        return parse_ehlo(reply)
    helo = await _step(s, "ehlo", s.channel.command(f"HELO {ehlo_name}", limits.command))
    if helo.code != 250:
        raise SessionError("smtp.protocol_error", printable(str(helo), 300), s)
    return ()


async def _step(s: Session, phase: str, awaitable: asyncio.Future[Reply] | object) -> Reply:
    """Await one step; turn anything but a verification error into a SessionError."""
    try:
        return await awaitable  # type: ignore[misc, no-any-return]
    except ssl.SSLCertVerificationError:
        raise
    except (OSError, TimeoutError, ssl.SSLError, ProtocolError, EOFError, NoDataError) as exc:
        code, detail = _errors.session_problem(exc, phase)
        raise SessionError(code, printable(detail, 300), s, phase) from exc
