"""One authentication attempt and the sender check (SPEC §2 steps 6–7).

Rules (faults-and-security §0.4–0.5): the password is sent only inside TLS that was
verified, or that the user explicitly chose not to verify; exactly one attempt with
one mechanism (PLAIN, else LOGIN; RFC 4616, draft-murchison-sasl-login), never
walking the mechanism list; the conversation ends after the first final reply.
"""

from __future__ import annotations

import base64
import functools
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo, classify_provider_reply
from emaildiag.checks import _errors
from emaildiag.checks.ports import ProbeContext, open_session
from emaildiag.checks.send import Delivery, SendProgress, send_envelope
from emaildiag.checks.session import Session, SessionError, Target
from emaildiag.checks.tls import unverified_context
from emaildiag.checks.wire import ProtocolError, Reply, auth_mechanisms
from emaildiag.model import AuthFacts, Finding, SendFacts
from emaildiag.redact import printable


@dataclass(frozen=True)
class Credentials:
    """What the auth check needs; lives only inside the runner's call."""

    username: str
    password: str = ""
    oauth_token: str = ""  # an OAuth2 access token: sign in with XOAUTH2 instead

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=***)"

    def mechanism(self, offered: tuple[str, ...]) -> str | None:
        """The one mechanism to use: XOAUTH2 for a token; else PLAIN, else LOGIN."""
        if self.oauth_token:
            return "XOAUTH2" if "XOAUTH2" in offered else None
        return next((m for m in ("PLAIN", "LOGIN") if m in offered), None)


@dataclass
class AuthProgress:
    """Set the moment credentials leave, so a run cut by its deadline still knows the
    password went out and must not call the attempt "not made"; then the sign-in's
    outcome once known, and whether the test email left, so a cut during the envelope
    is not mistaken for a sign-in that dropped."""

    port: int | None = None
    mechanism: str | None = None
    signed_in: AuthOutcome | None = None
    send: SendProgress = field(default_factory=SendProgress)


@dataclass(frozen=True)
class AuthOutcome:
    auth: AuthFacts
    send: SendFacts
    findings: tuple[Finding, ...]


def classify_auth_reply(provider: ProviderInfo | None, reply: Reply) -> str:
    """The provider's own reply table first (its texts carry the meaning: Gmail's 535
    can mean "app password needed"), then the generic RFC 4954/3463 table."""
    if reply.code == 235:
        return "auth.ok"
    found = classify_provider_reply(provider, reply.code, reply.enhanced, reply.text)
    if found and found.startswith(("auth.", "smtp.", "tls.")):
        return found
    return _errors.auth_problem(reply)


def _b64(data: str) -> str:
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


async def check_auth(
    target: Target,
    creds: Credentials,
    ctx: ProbeContext,
    *,
    delivery: Delivery,
    verify_tls: bool,
    lang: str,
    provider: ProviderInfo | None,
    provider_name: str,
    progress: AuthProgress | None = None,
) -> AuthOutcome:
    port = target.port
    finding = functools.partial(
        make_finding, port=port, provider=provider_name, username=creds.username, lang=lang
    )
    context = ctx.verify_context if verify_tls else unverified_context()
    try:
        session = await open_session(target, ctx, context, verify_tls)
    except (ssl.SSLCertVerificationError, SessionError, OSError, TimeoutError, ssl.SSLError):
        # The probes already explained why; the password stays home.
        f = finding("auth.skipped_insecure")
        return AuthOutcome(AuthFacts("skipped", port), SendFacts(), (f,))
    try:
        outcome = await _authenticate(
            session, creds, delivery, finding, lang, ctx, progress or AuthProgress(), provider
        )
    except BaseException:
        session.channel.abort()
        raise
    await session.channel.close()
    return outcome


async def _authenticate(
    session: Session,
    creds: Credentials,
    delivery: Delivery,
    finding: Callable[..., Finding],
    lang: str,
    ctx: ProbeContext,
    progress: AuthProgress,
    provider: ProviderInfo | None,
) -> AuthOutcome:
    port = session.channel.port
    mechs = auth_mechanisms(session.capabilities)
    if session.tls is None:
        f = finding("auth.skipped_insecure")
        return AuthOutcome(AuthFacts("skipped", port), SendFacts(), (f,))
    if not mechs:
        f = make_finding("smtp.auth_not_offered", port=port, lang=lang)
        return AuthOutcome(AuthFacts("skipped", port), SendFacts(), (f,))
    offered = tuple(printable(m, 40) for m in mechs)
    mech = creds.mechanism(mechs)
    if mech is None:
        f = finding("auth.mechanism_unsupported", detail=printable(" ".join(mechs), 200))
        return AuthOutcome(AuthFacts("error", port, offered=offered), SendFacts(), (f,))
    try:
        progress.port, progress.mechanism = port, mech
        t0 = time.monotonic()
        reply = _final(await _MECHANISMS[mech](session, creds, ctx))
        session.timings["auth"] = round((time.monotonic() - t0) * 1000, 1)
    except ProtocolError as exc:
        session.channel.abort()  # a broken exchange ends with a hard close, not a QUIT
        f = make_finding("smtp.protocol_error", port=port, lang=lang, detail=exc.reason)
        return AuthOutcome(
            AuthFacts("error", port, mechanism=mech, offered=offered), SendFacts(), (f,)
        )
    except (OSError, TimeoutError, EOFError, ssl.SSLError) as exc:
        f = finding("auth.connection_lost", detail=printable(str(exc) or type(exc).__name__, 200))
        return AuthOutcome(
            AuthFacts("error", port, mechanism=mech, offered=offered), SendFacts(), (f,)
        )
    code = classify_auth_reply(provider, reply)
    facts = AuthFacts(
        "ok" if code == "auth.ok" else "rejected",
        port,
        reply.code,
        mech,
        printable(str(reply), 300),
        dict(session.timings),
        offered,
    )
    outcome = finding(code, detail=facts.reply)
    if code != "auth.ok":
        return AuthOutcome(facts, SendFacts(), (outcome,))
    progress.signed_in = AuthOutcome(facts, SendFacts(), (outcome,))
    send, send_findings = await send_envelope(
        session, delivery, ctx.limits.command, lang, provider, progress.send
    )
    return AuthOutcome(facts, send, (outcome, *send_findings))


def _final(reply: Reply) -> Reply:
    """The reply that ends the exchange: every mechanism here has sent all it has, so
    another 334 means a server that would go on asking forever (and a client that
    answered each one would send the password again every time)."""
    if reply.code == 334:
        raise ProtocolError("the sign-in exchange did not end: the server kept asking (334)")
    return reply


_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _challenge(reply: Reply) -> Reply:
    """A 334 carries a base64 challenge (RFC 4954 §4); one that is not base64 is a
    broken or hostile server, and nothing more is sent to it."""
    if reply.code == 334 and not _BASE64.fullmatch(reply.text.strip()):
        raise ProtocolError("malformed sign-in challenge from the server (not base64)")
    return reply


async def _plain(session: Session, creds: Credentials, ctx: ProbeContext) -> Reply:
    blob = _b64(f"\0{creds.username}\0{creds.password}")
    return await session.channel.command(
        f"AUTH PLAIN {blob}", ctx.limits.command, shown="AUTH PLAIN [redacted]"
    )


async def _xoauth2(session: Session, creds: Credentials, ctx: ProbeContext) -> Reply:
    """Google's and Microsoft's SASL XOAUTH2: a failure comes as a 334 with a JSON error,
    answered with an empty line to get the final reply."""
    ch, t = session.channel, ctx.limits.command
    blob = _b64(f"user={creds.username}\x01auth=Bearer {creds.oauth_token}\x01\x01")
    reply = await ch.command(f"AUTH XOAUTH2 {blob}", t, shown="AUTH XOAUTH2 [redacted]")
    if reply.code == 334:
        reply = await ch.command("", t)
    return reply


async def _login(session: Session, creds: Credentials, ctx: ProbeContext) -> Reply:
    ch, t = session.channel, ctx.limits.command
    reply = _challenge(await ch.command("AUTH LOGIN", t))
    if reply.code != 334:
        return reply
    reply = _challenge(await ch.command(_b64(creds.username), t))
    if reply.code != 334:
        return reply
    return await ch.command(_b64(creds.password), t, shown="[password, redacted]")


_MECHANISMS = {"PLAIN": _plain, "LOGIN": _login, "XOAUTH2": _xoauth2}
