"""Suggest outgoing-mail settings for an email address, as a mail client's account wizard does.

Ranking — sources in this order, never mixed:

1. ``srv``: the address domain's own SRV records (RFC 6186 §3.1, RFC 8314 §5.1):
   ``_submissions._tcp`` means implicit TLS, ``_submission._tcp`` means STARTTLS; a
   target of ``"."`` means "not offered" (RFC 2782, RFC 6186 §4). They come first
   because they are the domain owner's own statement. Records are ordered by priority
   (lower first); on equal priority implicit TLS comes first (RFC 8314 §5.1 prefers
   it), then the higher weight (RFC 2782's weighted choice, made deterministic).
2. ``provider``: provider data for the address domain (``gmail.com`` → Gmail), else
   ``mx``: provider data for the domain's MX hosts (a custom domain whose MX is
   ``aspmx.l.google.com`` → Google Workspace, ``smtp.gmail.com``). The provider's
   submission host on its ports in the provider's order (587 STARTTLS then 465 implicit
   TLS when the data lists none); port 25 is left out (RFC 6409: submission is 587).
   Ports the data marks uncertain lower the confidence.
3. ``guess``: ``smtp.<domain>``, ``mail.<domain>`` and the primary MX host when it lies
   inside the domain (a self-hosted server usually also takes submissions), each on
   465 (implicit TLS, preferred by RFC 8314 §3.3) and 587 (STARTTLS), kept only when
   the name resolves; verified ones first. No guesses when a provider is known: names
   under a provider's domain say nothing about its submission service.

Duplicates (same host, port and security) keep their best-ranked source. With
``probe=True`` every suggestion whose host resolves is probed concurrently (greeting,
TLS, EHLO, never credentials); ``verified`` says a probe reached an SMTP server there
speaking the suggested security. Verification raises confidence but never reorders
sources: a network that blocks 465 does not make provider data wrong.

The username is the address itself unless the provider data says otherwise
(SendGrid: ``apikey``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email

from emaildiag.catalog.providers import ProviderInfo, provider_for_address, provider_for_mx
from emaildiag.checks.dns import DnsError, DnspythonResolver, Resolver
from emaildiag.checks.ports import ProbeContext, probe_port
from emaildiag.checks.session import Limits, Target
from emaildiag.checks.tls import load_verifying_context
from emaildiag.checks.wire import Transcript
from emaildiag.fields import has_control
from emaildiag.model import Family, ProbeFacts
from emaildiag.redact import Redactor, printable

__all__ = ["Suggestion", "asuggest_settings", "suggest_settings"]

SecurityMode = Literal["starttls", "implicit"]
Source = Literal["provider", "srv", "mx", "guess"]

SRV_SERVICES: tuple[tuple[str, SecurityMode], ...] = (
    ("_submissions._tcp", "implicit"),  # RFC 8314 §5.1
    ("_submission._tcp", "starttls"),  # RFC 6186 §3.1
)
GUESS_PORTS: tuple[tuple[int, SecurityMode], ...] = ((465, "implicit"), (587, "starttls"))
DEFAULT_PROVIDER_PORTS: tuple[tuple[int, SecurityMode], ...] = (
    (587, "starttls"),
    (465, "implicit"),
)
GUESS_PREFIXES = ("smtp", "mail")
_RANK: dict[str, int] = {"srv": 0, "provider": 1, "mx": 2, "guess": 3}
_CONFIDENCE: dict[str, float] = {"srv": 0.95, "provider": 0.9, "mx": 0.8, "guess": 0.2}
VERIFIED_GUESS_CONFIDENCE = 0.6
VERIFIED_BONUS = 0.04
UNCERTAIN_PENALTY = 0.1
EHLO_NAME = "localhost"


@dataclass(frozen=True)
class Suggestion:
    """One outgoing-server configuration worth trying, with why it is suggested.

    ``evidence`` quotes what was seen (DNS records, provider data, the probe's
    greeting), escaped; ``verified`` is True when a probe reached an SMTP server at
    ``host``:``port`` speaking ``security``.
    """

    host: str
    port: int
    security: SecurityMode
    username: str
    source: Source
    evidence: str
    confidence: float
    verified: bool = False


async def asuggest_settings(
    address: str,
    *,
    resolver: Resolver | None = None,
    probe: bool = True,
    timeout: float = 10.0,
    port_map: Mapping[int, int] | None = None,
    ca_file: str | None = None,
) -> list[Suggestion]:
    """Ranked outgoing-server suggestions for ``address`` (see the module docstring).

    ``resolver``: the DNS seam (default: the system resolver via dnspython).
    ``probe``: connect to each suggestion to set ``verified`` (no credentials are sent).
    ``timeout``: the whole run, DNS and probes, finishes within it; a lookup or probe
    still running at its share of the deadline counts as "no answer".
    ``port_map``: a testing seam — probes of port 465/587 go to the mapped port instead
    (loopback test servers listen on random ports); suggestions keep the real port.
    ``ca_file``: trust these CAs instead of the system store when probing TLS.

    Raises ValueError for an address that is not valid (one line, says why).
    """
    email, domain = _validated(address)
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    context = load_verifying_context(ca_file) if probe else None
    resolver = resolver or DnspythonResolver(timeout=min(5.0, timeout / 3))
    loop = asyncio.get_running_loop()
    start = loop.time()
    budget = _Budget(
        dns=start + timeout * 0.5,
        addresses=start + timeout * 0.65,
        probes=start + timeout - min(0.25, timeout * 0.05),
    )
    async with asyncio.timeout(timeout):  # backstop; every step has an earlier deadline
        srv, mx_records = await asyncio.gather(
            _srv_suggestions(resolver, domain, email, budget.dns),
            _mx_records(resolver, domain, budget.dns),
        )
        mx = [host for _, host in mx_records]
        found = list(srv) + _provider_suggestions(email, domain, mx_records)
        known_provider = any(s.source in ("provider", "mx") for s in found)
        guesses = [] if known_provider else _guess_hosts(domain, mx)
        hosts = {s.host for s in found} if probe else set()
        addresses = await _resolve_all(resolver, hosts | set(guesses), budget.addresses)
        found = _deduplicated(found + _guess_suggestions(guesses, addresses, email))
        if probe and context is not None:
            found = await _probe_all(found, addresses, context, port_map or {}, budget.probes)
    return sorted(found, key=_order)


def suggest_settings(address: str, **options: Any) -> list[Suggestion]:
    """Synchronous :func:`asuggest_settings`; inside a running event loop (a Jupyter
    cell) it runs in its own loop in a worker thread instead of re-entering the loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(asuggest_settings(address, **options))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="emaildiag") as pool:
        return pool.submit(asyncio.run, asuggest_settings(address, **options)).result()


@dataclass(frozen=True)
class _Budget:
    """Event-loop times by which each phase returns what it has."""

    dns: float
    addresses: float
    probes: float


def _validated(address: str) -> tuple[str, str]:
    """(address with its domain in ASCII, domain) or ValueError with a one-line reason."""
    if not isinstance(address, str):
        raise ValueError(f"not an email address: {type(address).__name__}")
    text = address.strip()
    if has_control(text):
        raise ValueError("not a valid email address: it contains control characters")
    try:
        v = validate_email(
            text,
            check_deliverability=False,
            allow_quoted_local=True,
            strict=True,
            test_environment=True,  # admits .test (RFC 2606) for demos and tests
        )
    except EmailNotValidError as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"not a valid email address {printable(text, 100)!r}: {reason}") from None
    domain = v.ascii_domain.lower()
    return f"{v.local_part}@{domain}", domain


async def _answers(resolver: Resolver, name: str, rdtype: str, deadline: float) -> list[str]:
    """The answers, or none: NXDOMAIN, no data, failure and a late answer alike."""
    try:
        async with asyncio.timeout_at(deadline):
            return await resolver.resolve(name, rdtype)
    except (DnsError, TimeoutError):
        return []


async def _srv_suggestions(
    resolver: Resolver, domain: str, email: str, deadline: float
) -> list[Suggestion]:
    names = [(f"{service}.{domain}", mode) for service, mode in SRV_SERVICES]
    answers = await asyncio.gather(*(_answers(resolver, n, "SRV", deadline) for n, _ in names))
    records: list[tuple[tuple[int, int, int], Suggestion]] = []
    for (name, mode), texts in zip(names, answers, strict=True):
        for text in texts:
            parsed = parse_srv(text)
            if parsed is None:
                continue
            priority, weight, port, target = parsed
            evidence = f"SRV {name}: {printable(text, 300)}"
            s = Suggestion(target, port, mode, email, "srv", evidence, _CONFIDENCE["srv"])
            records.append(((priority, 0 if mode == "implicit" else 1, -weight), s))
    return [s for _, s in sorted(records, key=lambda r: r[0])]


def parse_srv(text: str) -> tuple[int, int, int, str] | None:
    """``priority weight port target`` (RFC 2782), or None for a malformed record or
    one whose target is ``"."``: the service is decidedly not offered (RFC 6186 §4)."""
    parts = text.split()
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    priority, weight, port = (int(p) for p in parts[:3])
    target = printable(parts[3].rstrip(".").lower(), 255)  # DNS data: shown to people
    if not target or not 1 <= port <= 65535:
        return None
    return priority, weight, port, target


async def _mx_records(resolver: Resolver, domain: str, deadline: float) -> list[tuple[int, str]]:
    """(preference, exchange) by preference; a null MX (RFC 7505) yields none."""
    pairs = []
    for text in await _answers(resolver, domain, "MX", deadline):
        parts = text.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1] != ".":
            pairs.append((int(parts[0]), parts[1].rstrip(".").lower()))
    return sorted(pairs)


def _provider_suggestions(
    email: str, domain: str, mx_records: Sequence[tuple[int, str]]
) -> list[Suggestion]:
    source: Source = "provider"
    provider = provider_for_address(email)
    mx = [host for _, host in mx_records]
    if provider is None and mx:
        source = "mx"
        provider = provider_for_mx([f"{preference} {host}." for preference, host in mx_records])
    if provider is None:
        return []
    host = _submission_host(provider, domain)
    if host is None:
        return []
    if source == "provider":
        why = f"{provider.name} provider data for addresses at {domain}"
    else:
        why = f"{provider.name} provider data: the domain's MX ({printable(mx[0], 255)}) is theirs"
    username, note = _provider_username(provider, email)
    why += f"; {note}" if note else ""
    confidence = _CONFIDENCE[source]
    if provider.ports.uncertain:  # a ⚠ in providers.md: a hint, not a fact
        why += f"; ports uncertain: {provider.ports.uncertain}"
        confidence -= UNCERTAIN_PENALTY
    return [
        Suggestion(host, port, mode, username, source, why, confidence)
        for port, mode in _provider_ports(provider)
    ]


def _guess_hosts(domain: str, mx: Sequence[str]) -> list[str]:
    hosts = [f"{prefix}.{domain}" for prefix in GUESS_PREFIXES]
    if mx and mx[0].endswith(f".{domain}"):
        hosts.append(mx[0])
    return list(dict.fromkeys(hosts))


def _guess_suggestions(
    hosts: Sequence[str], addresses: Mapping[str, list[tuple[str, Family]]], email: str
) -> list[Suggestion]:
    """Each guessed host that resolves, on each of :data:`GUESS_PORTS`."""
    return [
        Suggestion(
            host,
            port,
            mode,
            email,
            "guess",
            f"{host} resolves to {addresses[host][0][0]}",
            _CONFIDENCE["guess"],
        )
        for host in hosts
        if addresses.get(host)
        for port, mode in GUESS_PORTS
    ]


async def _resolve_all(
    resolver: Resolver, hosts: Iterable[str], deadline: float
) -> dict[str, list[tuple[str, Family]]]:
    """Each host's addresses, IPv4 first (the family more often reachable)."""
    names = sorted(hosts)
    a = [_answers(resolver, h, "A", deadline) for h in names]
    aaaa = [_answers(resolver, h, "AAAA", deadline) for h in names]
    results = await asyncio.gather(*a, *aaaa)
    v4, v6 = results[: len(names)], results[len(names) :]
    return {
        h: [(x, "ipv4") for x in four] + [(x, "ipv6") for x in six]
        for h, four, six in zip(names, v4, v6, strict=True)
    }


def _deduplicated(found: list[Suggestion]) -> list[Suggestion]:
    best: dict[tuple[str, int, str], Suggestion] = {}
    for s in sorted(found, key=lambda s: _RANK[s.source]):
        best.setdefault((s.host, s.port, s.security), s)
    return [s for s in found if best[(s.host, s.port, s.security)] is s]


async def _probe_all(
    found: list[Suggestion],
    addresses: Mapping[str, list[tuple[str, Family]]],
    context: ssl.SSLContext,
    port_map: Mapping[int, int],
    deadline: float,
) -> list[Suggestion]:
    """Probe every suggestion whose host resolved, concurrently, all by ``deadline``."""
    remaining = max(0.1, deadline - asyncio.get_running_loop().time())
    ctx = ProbeContext(
        verify_context=context,
        transcript=Transcript(Redactor(())),
        limits=Limits(
            connect=min(5.0, remaining),
            greeting=min(5.0, remaining),
            command=min(10.0, remaining),
            handshake=min(10.0, remaining),
        ),
        ehlo_name=EHLO_NAME,
        now=lambda: dt.datetime.now(dt.UTC),
        deadline=deadline,
    )
    jobs = {}
    for i, s in enumerate(found):
        if addresses.get(s.host):
            address, family = addresses[s.host][0]
            port = port_map.get(s.port, s.port)
            jobs[i] = probe_port(Target(s.host, address, family, port, s.security), ctx)
    # A bug in one probe must not sink the others: it reads as "not reached".
    done = await asyncio.gather(*jobs.values(), return_exceptions=True)
    results = dict(zip(jobs, done, strict=True))
    return [
        _with_probe(s, results[i])
        if i in results
        else replace(s, evidence=f"{s.evidence}; {s.host} did not resolve, not probed")
        for i, s in enumerate(found)
    ]


def _with_probe(s: Suggestion, facts: ProbeFacts | BaseException) -> Suggestion:
    """Fold a probe's outcome into a suggestion: evidence always, ``verified`` on success."""
    if isinstance(facts, BaseException):
        if not isinstance(facts, Exception):
            raise facts  # cancellation and exits go on
        failed = f"{type(facts).__name__}: {printable(str(facts), 200)}"
        return replace(s, evidence=f"{s.evidence}; probe of port {s.port} failed ({failed})")
    reached = facts.state == "open" and facts.problem is None and bool(facts.greeting)
    where = f"port {s.port} ({facts.address})"
    if reached:
        seen = f"SMTP server reached on {where}: {printable(facts.greeting or '', 200)}"
        if facts.tls and facts.tls.verify_error:
            seen += f"; certificate not verified: {printable(facts.tls.verify_error, 200)}"
        confidence = (
            VERIFIED_GUESS_CONFIDENCE
            if s.source == "guess"
            else min(1.0, s.confidence + VERIFIED_BONUS)
        )
        return replace(s, evidence=f"{s.evidence}; {seen}", confidence=confidence, verified=True)
    why = facts.problem or facts.state
    if facts.error:
        why += f": {printable(facts.error, 200)}"
    return replace(s, evidence=f"{s.evidence}; no SMTP server reached on {where} ({why})")


def _order(s: Suggestion) -> tuple[int, int]:
    """Source first; among guesses, verified ones first. Python's sort is stable, so
    each source keeps its own order (SRV priority, provider port order)."""
    return _RANK[s.source], 0 if s.verified or s.source != "guess" else 1


# --- provider data ---------------------------------------------------------------------


def _submission_host(provider: ProviderInfo, domain: str) -> str | None:
    """The provider's first concrete SMTP host (a pattern with ``*`` names no host), else
    its first host built from the customer's domain (cPanel's ``mail.{domain}``)."""
    host = next((h for h in provider.smtp_hosts if "*" not in h), None)
    templates = provider.domain_hosts.value if provider.domain_hosts else ()
    return host or next((t.replace("{domain}", domain) for t in templates), None)


def _provider_ports(provider: ProviderInfo) -> list[tuple[int, SecurityMode]]:
    """The provider's submission ports in its order of preference; port 25 is left out
    (a relay port ISPs block; submission is 587 or 465, RFC 6409, RFC 8314 §3.3)."""
    ports = [(p.number, p.tls) for p in provider.ports.value if p.number != 25]
    return ports or list(DEFAULT_PROVIDER_PORTS)


def _provider_username(provider: ProviderInfo, email: str) -> tuple[str, str]:
    """(username, a note for the evidence): the provider's literal username (SendGrid's
    ``apikey``), else the address, with the provider's note when that is not right."""
    username = provider.username.value
    if username.literal:
        return username.literal, f"username {username.literal!r} per provider data"
    if username.form == "address":
        return email, ""
    return email, f"username: {username.note.en if username.note else username.form}"
