"""``adiagnose`` / ``diagnose``: stages, concurrency, deadlines and progress events.

Settings are checked first (no network when they hold an error); then DNS; then every
port probe, the authentication check and any custom checks run concurrently in one
``asyncio.TaskGroup``. Each job has its own ``asyncio.timeout`` that never reaches
past the overall deadline; a job that overruns is reported "timed out", a job that
crashes "failed", and neither sinks the run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import ipaddress
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from emaildiag import __version__
from emaildiag.catalog import make_finding, translate
from emaildiag.catalog.providers import ProviderInfo, detect_provider, provider_for_host
from emaildiag.checks.auth import AuthProgress
from emaildiag.checks.dns import (
    DnspythonResolver,
    Resolver,
    SystemLookup,
    getaddrinfo_lookup,
    parse_dns_server,
    probe_dns,
    system_view,
)
from emaildiag.checks.dns_findings import assess_dns, assess_spf, assess_system_lookup
from emaildiag.checks.ports import (
    ProbeContext,
    assess_probes,
    mode_for_port,
    probe_port,
)
from emaildiag.checks.provider import assess_provider_settings, with_provider_steps
from emaildiag.checks.session import Limits, Target
from emaildiag.checks.tls import load_verifying_context
from emaildiag.checks.wire import Transcript
from emaildiag.fields import as_address
from emaildiag.guidance import recommended, root_cause, step_of
from emaildiag.jobs import CheckContext, CustomCheck, Event, Run
from emaildiag.model import (
    AuthFacts,
    DnsFacts,
    Family,
    Finding,
    ProbeFacts,
    Provider,
    Report,
    SendFacts,
    Severity,
)
from emaildiag.redact import Redactor, printable, url_secrets
from emaildiag.settings import Settings, normalize_settings
from emaildiag.signin import auth_cut_short, auth_flow

__all__ = ["CheckContext", "CustomCheck", "Event", "Options", "adiagnose", "diagnose"]

DEFAULT_PORTS = (25, 465, 587)
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Options:
    """Everything :func:`adiagnose` takes besides the settings (see its docstring)."""

    timeout: float = DEFAULT_TIMEOUT
    ports: Sequence[int] | None = None
    port_modes: Mapping[int, str] = field(default_factory=dict)
    port_map: Mapping[int, int] = field(default_factory=dict)
    resolver: Resolver | None = None
    dns_server: str | None = None
    system_lookup: SystemLookup | None = None
    ca_file: str | None = None
    recipient: str | None = None
    oauth_token: str = ""
    send_test: str | None = None  # None: no test email; "": to the sender; else to this address
    attach_pdf: bool = False
    checks: Sequence[CustomCheck] = ()
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    @functools.cached_property
    def verify_context(self) -> ssl.SSLContext:
        """Loaded once, up front: a CA file that is not PEM is the caller's mistake."""
        return load_verifying_context(self.ca_file)

    def make_resolver(self) -> Resolver:
        if self.resolver is not None:
            return self.resolver
        server = parse_dns_server(self.dns_server) if self.dns_server else None
        return DnspythonResolver(server, timeout=min(5.0, self.timeout / 3))

    def make_system_lookup(self) -> SystemLookup | None:
        """This computer's own lookup, to compare with the DNS's answer: the one given,
        else ``getaddrinfo`` when the DNS is the system's own configuration (with another
        resolver or DNS server the comparison would say nothing about this computer)."""
        if self.system_lookup is not None:
            return self.system_lookup
        return getaddrinfo_lookup if self.resolver is None and not self.dns_server else None


def _limits(timeout: float) -> Limits:
    return Limits(
        connect=min(5.0, timeout * 0.4),
        greeting=min(5.0, timeout * 0.4),
        command=min(10.0, timeout * 0.5),
        handshake=min(10.0, timeout * 0.5),
    )


def _ehlo_name() -> str:
    import socket

    name = socket.gethostname().split(".")[0].lower()
    ok = name and all(c.isalnum() or c == "-" for c in name) and len(name) < 64
    return name if ok else "localhost"


def _ip_family(host: str) -> Family | None:
    try:
        return "ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"
    except ValueError:
        return None


async def adiagnose(
    settings: Settings | Mapping[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    ports: Sequence[int] | None = None,
    resolver: Resolver | None = None,
    dns_server: str | None = None,
    system_lookup: SystemLookup | None = None,
    ca_file: str | None = None,
    recipient: str | None = None,
    oauth_token: str | None = None,
    send_test: str | None = None,
    attach_pdf: bool = False,
    lang: str | None = None,
    port_modes: Mapping[int, str] | None = None,
    port_map: Mapping[int, int] | None = None,
    checks: Sequence[CustomCheck] = (),
    on_event: Callable[[Event], None] | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> Report:
    """Diagnose ``settings`` and return a :class:`Report` (SPEC §5).

    ``resolver`` is the DNS seam (default: the system resolver, or ``dns_server``);
    ``system_lookup`` answers for this computer's own name lookup (hosts file, VPN), whose
    disagreement with the DNS is reported (default: ``getaddrinfo``, only when neither
    ``resolver`` nor ``dns_server`` is given);
    ``now`` the clock seam for certificate dates; ``checks`` adds custom jobs;
    ``port_modes`` says how a non-standard port speaks (``starttls``/``implicit``)
    instead of detecting it; ``port_map`` sends the connections for a port to another
    port on the same address (a seam for tests and the demo, whose servers cannot
    listen on 587 without privileges); ``oauth_token`` (an OAuth2 access token) signs in with
    XOAUTH2 instead of the password; ``send_test`` sends one real test email after a
    successful sign-in (to that address, or ``""`` for the sender itself), with a PDF
    attached when ``attach_pdf``.
    """
    opts = Options(
        timeout=timeout,
        ports=ports,
        port_modes=port_modes or {},
        port_map=port_map or {},
        resolver=resolver,
        dns_server=dns_server,
        system_lookup=system_lookup,
        ca_file=ca_file,
        recipient=recipient,
        oauth_token=oauth_token or "",
        send_test=send_test,
        attach_pdf=attach_pdf,
        checks=checks,
        clock=now or (lambda: dt.datetime.now(dt.UTC)),
    )
    started = opts.clock()
    normalized, setting_findings = normalize_settings(settings)
    setting_findings += _recipient_findings(opts, normalized.lang)
    relayed_by = _host_provider(normalized.host, normalized.sender)
    redactor = Redactor(_secrets(normalized, opts, relayed_by), normalized.username)
    run = Run(lang or normalized.lang, time.monotonic() + timeout, on_event, redactor)
    run.emit("stage", "settings")
    if opts.oauth_token:  # the token stands in for the password
        setting_findings = tuple(
            f for f in setting_findings if f.code != "settings.password_missing"
        )
    run.findings.extend(setting_findings)
    if lang and lang != normalized.lang:
        run.findings = [translate(f, lang) for f in run.findings]
    info = relayed_by or _provider(normalized.host, normalized.sender)
    report_args: dict[str, Any] = {}
    blocked = any(f.severity is Severity.ERROR for f in setting_findings)
    if not blocked and normalized.protocol == "smtp":
        report_args, info = await _network(run, normalized, opts, relayed_by)
    elif not blocked:
        report_args = await _relay(run, normalized, opts)
    auth = report_args.get("auth", AuthFacts())
    signed_in = auth.port if auth.result == "ok" else None
    run.findings.extend(assess_provider_settings(normalized, relayed_by, run.lang, signed_in))
    run.emit("done", "diagnosis")
    finished = opts.clock()
    # One last pass over everything that leaves: server text, finding texts, settings.
    scrub = redactor.scrub
    findings = scrub(with_provider_steps(run.findings, info, run.lang))
    network = scrub(report_args)
    ordered = _ordered(findings)
    cause = root_cause(ordered, normalized.port)
    if cause is not None:  # the cause leads; the rest keep their order
        ordered = (cause, *(f for f in ordered if f is not cause))
    return Report(
        settings=scrub(normalized.redacted()),
        findings=ordered,
        root_cause=cause,
        recommended=scrub(
            recommended(
                normalized.host,
                normalized.username,
                normalized.port,
                network.get("probes", ()),
                network.get("auth", AuthFacts()),
            )
        ),
        provider=Provider(info.id, info.name) if info else None,
        jobs=scrub(tuple(run.jobs)),
        started_at=started.isoformat(),
        finished_at=finished.isoformat(),
        duration_ms=run.elapsed_ms(),
        lang=run.lang,
        version=__version__,
        **network,
    )


def _ordered(findings: list[Finding]) -> tuple[Finding, ...]:
    seen: set[tuple[str, int | None, str]] = set()
    unique = []
    for f in findings:
        key = (f.code, f.port, f.title)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return tuple(sorted(unique, key=lambda f: (-f.severity.rank, step_of(f.code))))


async def _network(
    run: Run, s: Settings, opts: Options, provider: ProviderInfo | None
) -> tuple[dict[str, Any], ProviderInfo | None]:
    """DNS, then probes, sign-in and custom checks. ``provider`` is the one whose server
    the settings name (it judges SPF and replies); returns the report's network parts
    and the provider to show and take advice from, now known from the MX too.

    This computer's own lookup of the host runs alongside all of it and is compared at
    the end: a slow one must not hold the connections back."""
    system = opts.make_system_lookup()
    system_task = (
        asyncio.ensure_future(system_view(system, s.host, min(5.0, opts.timeout / 3)))
        if system and _ip_family(s.host) is None
        else None
    )
    try:
        return await _network_checks(run, s, opts, provider, system_task)
    finally:
        if system_task is not None:
            system_task.cancel()


async def _network_checks(
    run: Run,
    s: Settings,
    opts: Options,
    provider: ProviderInfo | None,
    system_task: asyncio.Future[tuple[str, ...] | None] | None,
) -> tuple[dict[str, Any], ProviderInfo | None]:
    assert s.port is not None
    transcript = Transcript(run.redact)
    domain = s.sender.rpartition("@")[2] or None
    run.emit("stage", "dns")
    family = _ip_family(s.host)
    dns_facts = await run.guarded(
        "dns",
        probe_dns(opts.make_resolver(), s.host if family is None else "", domain),
        min(10.0, opts.timeout / 2),
    )
    facts: DnsFacts | None = dns_facts[0] if dns_facts else None
    addresses: tuple[tuple[str, Family], ...] = (
        ((s.host, family),) if family else (facts.addresses if facts else ())
    )
    shown = provider
    if dns_facts and facts:
        shown = _provider(s.host, s.sender, facts.mx) or provider
        run.findings.extend(assess_dns(facts, dns_facts[1], run.lang))
        run.findings.extend(assess_spf(facts, provider, run.lang))
    # Probes return what they have just before the overall deadline, so a cut-off
    # conversation is still classified where it stood.
    deadline = asyncio.get_running_loop().time() + run.remaining() - 0.05
    ctx = ProbeContext(
        opts.verify_context, transcript, _limits(opts.timeout), _ehlo_name(), opts.clock, deadline
    )
    port_list = list(dict.fromkeys([*(opts.ports or DEFAULT_PORTS), s.port]))
    targets = [
        Target(s.host, a, fam, p, opts.port_modes.get(p) or mode_for_port(p), opts.port_map.get(p))
        for p in port_list
        for a, fam in addresses
    ]
    run.emit("stage", "connect")
    probe_tasks: dict[Target, asyncio.Task[ProbeFacts | None]] = {}
    progress = AuthProgress()
    async with asyncio.TaskGroup() as tg:
        for t in targets:
            probe_tasks[t] = tg.create_task(
                run.guarded(f"probe {t.port} {t.address}", probe_port(t, ctx))
            )
        auth_task = tg.create_task(
            run.guarded("auth", auth_flow(run, s, probe_tasks, ctx, opts, provider, progress))
        )
        public = CheckContext(s.with_password(""), facts, run.lang)
        for check in opts.checks:
            tg.create_task(run.guarded(check.name, _custom(run, check, public), check.timeout))
    outcome = auth_task.result() or auth_cut_short(progress, s, run.lang)
    probes = [_probe_or_timeout(t, task.result()) for t, task in probe_tasks.items()]
    run.findings += assess_probes(
        probes,
        configured=s.port,
        host=s.host,
        verify_tls=s.verify_tls,
        now=opts.clock(),
        lang=run.lang,
    )
    if facts and system_task is not None:
        facts = replace(facts, system_addresses=await system_task)
        dialled = [p.address for p in probes if p.address]
        run.findings.extend(assess_system_lookup(facts, dialled, run.lang))
    if outcome:
        run.findings.extend(outcome.findings)
    parts = {
        "dns": facts,
        "probes": tuple(probes),
        "auth": outcome.auth if outcome else AuthFacts(),
        "send": outcome.send if outcome else SendFacts(),
        "transcript": transcript.lines,
    }
    return parts, shown


def _host_provider(host: str, sender: str) -> ProviderInfo | None:
    """The provider whose own SMTP server the settings name: the one whose ports,
    username form, SPF include and reply texts apply. A provider seen only in the
    domain's MX receives the mail but may not be the one that relays it."""
    return _provider(host, sender) if provider_for_host(host) is not None else None


def _secrets(s: Settings, opts: Options, provider: ProviderInfo | None) -> list[str]:
    """Everything that must never be shown: the password and token; a username that is
    itself the key (Postmark's server token, an API key as username); the password and
    query values of a relay URL."""
    found = [s.password, opts.oauth_token]
    key_as_username = provider is not None and provider.username.value.form == "apikey"
    literal = provider.username.value.literal if provider else None
    if s.username and (s.username == s.password or (key_as_username and s.username != literal)):
        found.append(s.username)
    found += url_secrets(s.http_url) if s.protocol == "http" else []
    return found


def _recipient_findings(opts: Options, lang: str) -> tuple[Finding, ...]:
    """The test email's recipient and the sender check's are checked with the settings,
    before any network use: exactly one address each, never a line break on the wire."""
    out = []
    for name, value in (("send_test", opts.send_test), ("recipient", opts.recipient)):
        if value and as_address(value) is None:
            shown = printable(value, 80)
            out.append(make_finding("settings.email_invalid", field=name, value=shown, lang=lang))
    return tuple(out)


def _provider(host: str, sender: str, mx: Sequence[str] = ()) -> ProviderInfo | None:
    """A named provider; the generic hosting entry (no hosts of its own) is advice for
    hosting in general, not a claim about who runs this server."""
    found = detect_provider(host, sender, mx)
    return found if found is not None and found.smtp_hosts else None


async def _relay(run: Run, s: Settings, opts: Options) -> dict[str, Any]:
    """Protocol ``http`` (SPEC §2.9): the relay's DNS, TCP, TLS and HTTP status; a probe
    that never posts anything."""
    from emaildiag.checks.relay import check_relay

    transcript = Transcript(run.redact)
    run.emit("stage", "relay")
    work = check_relay(
        s.http_url,
        resolver=opts.make_resolver(),
        verify_context=opts.verify_context,
        verify_tls=s.verify_tls,
        timeout=max(0.1, run.remaining() - 0.05),  # finish just before the guard would cut
        lang=run.lang,
        now=opts.clock,
        transcript=transcript,
    )
    got = await run.guarded("relay", work)
    if got:
        run.findings.extend(got[1])
    return {"relay": got[0] if got else None, "transcript": transcript.lines}


async def _custom(run: Run, check: CustomCheck, ctx: CheckContext) -> None:
    run.findings.extend(await check.run(ctx))


def _probe_or_timeout(t: Target, facts: ProbeFacts | None) -> ProbeFacts:
    if facts is not None:
        return facts
    return ProbeFacts(
        t.port, t.address, t.family, "error", error="the check did not finish in time"
    )


def diagnose(settings: Settings | Mapping[str, Any], **options: Any) -> Report:
    """Synchronous :func:`adiagnose`.

    In a plain script it runs its own event loop. When a loop is already running in
    this thread (a Jupyter cell), it runs the engine in its own loop in a worker
    thread and waits for it, instead of re-entering the running loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(adiagnose(settings, **options))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="emaildiag") as pool:
        return pool.submit(asyncio.run, adiagnose(settings, **options)).result()
