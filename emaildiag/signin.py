"""The sign-in step of a diagnosis: which port it uses and when, what it sends, and
what a deadline that cuts it short means.

The configured port is tried at once, alongside its probe; other ports only after
their probes say TLS works there. One attempt, one mechanism (:mod:`checks.auth`).
"""

from __future__ import annotations

import asyncio
import email.policy
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo
from emaildiag.checks.auth import AuthOutcome, AuthProgress, Credentials, check_auth
from emaildiag.checks.ports import ProbeContext
from emaildiag.checks.send import Delivery, unconfirmed
from emaildiag.checks.session import Target
from emaildiag.fields import as_address
from emaildiag.jobs import Run
from emaildiag.model import AuthFacts, ProbeFacts, SendFacts
from emaildiag.redact import Redactor
from emaildiag.settings import Settings

if TYPE_CHECKING:
    from emaildiag.runner import Options

UNKNOWN_PROVIDER = {"en": "your email provider", "it": "il provider di posta"}


def delivery(
    s: Settings, opts: Options, port: int, mode: str, lang: str, redact: Redactor
) -> Delivery:
    """The sender check's envelope or, with ``send_test``, the test email's (SPEC §2.8):
    To the given address or the sender, the copy as an envelope-only recipient."""
    if opts.send_test is None:
        to = as_address(opts.recipient) or s.sender
        return Delivery(s.sender, (to,), smtputf8=not (s.sender.isascii() and to.isascii()))
    from emaildiag.message import build_test_message, envelope_recipients

    to = opts.send_test or s.sender
    # a username that is itself the key is a secret too: never mail it
    summary = {"host": s.host, "port": str(port), "security": mode, "username": redact(s.username)}
    message = build_test_message(
        sender=s.sender,
        to=to,
        reply_to=s.reply_to,
        settings_summary=summary,
        lang=lang,
        attach_pdf=opts.attach_pdf,
        now=opts.clock(),
    )
    # RFC 6531: any non-ASCII mailbox (sender, recipients, Reply-To) needs SMTPUTF8
    utf8 = not all(a.isascii() for a in (s.sender, to, s.copy_to, s.reply_to))
    data = message.as_bytes(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)
    return Delivery(s.sender, tuple(envelope_recipients(to, s.copy_to)), data, utf8)


def auth_cut_short(progress: AuthProgress, s: Settings, lang: str) -> AuthOutcome | None:
    """The deadline stopped the sign-in after the password left: the outcome is unknown.
    Cut after a sign-in that worked, it stands; a test email that had left may have been
    delivered."""
    if progress.port is None:
        return None
    done, sent = progress.signed_in, progress.send.sent
    if done is not None:
        if sent is None:
            return done
        send, found = unconfirmed("the run's time limit came first", sent, progress.port, lang)
        return AuthOutcome(done.auth, send, (*done.findings, *found))
    f = make_finding(
        "auth.connection_lost", port=progress.port, provider="", username=s.username, lang=lang
    )
    facts = AuthFacts("error", progress.port, mechanism=progress.mechanism)
    return AuthOutcome(facts, SendFacts(), (f,))


def usable_for_auth(p: ProbeFacts | None, verify_tls: bool) -> bool:
    """TLS up, and verified unless the user unticked verification."""
    return bool(
        p and p.state == "open" and p.tls and (p.tls.verified or not verify_tls) and not p.problem
    )


async def auth_flow(
    run: Run,
    s: Settings,
    tasks: Mapping[Target, asyncio.Task[ProbeFacts | None]],
    ctx: ProbeContext,
    opts: Options,
    provider: ProviderInfo | None,
    progress: AuthProgress,
) -> AuthOutcome | None:
    """Authenticate on the configured port, else the best working one (465, then 587,
    then any other probed port).

    The configured port is tried at once, alongside its probe: the sign-in connection
    verifies TLS itself before any password leaves, so waiting for the probe would only
    add its round trips. Other ports are tried after their probes say TLS works."""
    if not (s.password or opts.oauth_token) or not tasks:  # no password, or no address
        return None
    name = provider.name if provider else UNKNOWN_PROVIDER.get(run.lang, "your email provider")

    async def sign_in(t: Target, mode: str) -> AuthOutcome:
        return await check_auth(
            replace(t, mode=mode),
            Credentials(s.username, s.password, opts.oauth_token),
            replace(ctx, phases=[]),
            delivery=delivery(s, opts, t.port, mode, run.lang, run.redact),
            verify_tls=s.verify_tls,
            lang=run.lang,
            provider=provider,
            provider_name=name,
            progress=progress,
        )

    early: AuthOutcome | None = None
    for t in (t for t in tasks if t.port == s.port and t.mode != "auto"):
        early = await sign_in(t, t.mode)
        if early.auth.result != "skipped":
            return early
        break  # the configured port had no usable TLS: look for a port that does
    for port in dict.fromkeys([s.port, 465, 587, *(t.port for t in tasks)]):
        candidates = [t for t in tasks if t.port == port]
        if not candidates or (early is not None and port == s.port):
            continue
        await asyncio.wait([tasks[t] for t in candidates])
        for t in candidates:
            probe = tasks[t].result()
            if probe and probe.mode and usable_for_auth(probe, s.verify_tls):
                return await sign_in(t, probe.mode)  # an "auto" port is known now
    if early is not None:
        return early
    await asyncio.wait(tasks.values())
    reached = [
        t for t, task in tasks.items() if (r := task.result()) is not None and r.state == "open"
    ]
    if not reached:
        return None
    f = make_finding(
        "auth.skipped_insecure", port=s.port, lang=run.lang, provider=name, username=s.username
    )
    return AuthOutcome(AuthFacts("skipped", None), SendFacts(), (f,))
