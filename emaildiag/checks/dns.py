"""DNS facts for the SMTP host and the sending domain (SPEC §2 step 2).

The resolver is a seam: :class:`DnspythonResolver` (the system's resolv.conf, or
``--dns-server``) in real use, :class:`StaticResolver` for the demo and pure tests.
NXDOMAIN, NODATA, SERVFAIL/REFUSED and timeouts stay distinct
(faults-and-security §4) because they mean different things to the user.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo, spf_authorises
from emaildiag.model import DnsFacts, Family, Finding
from emaildiag.redact import printable

DnsErrorKind = Literal["nxdomain", "nodata", "servfail", "refused", "timeout"]


class DnsError(Exception):
    def __init__(self, kind: DnsErrorKind, name: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {name} {detail}".strip())
        self.kind = kind
        self.name = name
        self.detail = detail


class Resolver(Protocol):
    async def resolve(self, name: str, rdtype: str) -> list[str]:
        """Answer texts for ``name``/``rdtype``, or raise :class:`DnsError`."""
        ...


@dataclass
class StaticResolver:
    """Answers from a table: ``{(name, rdtype): [answers]}``; a name with no entry at
    all is NXDOMAIN, a known name without that type is NODATA."""

    records: Mapping[tuple[str, str], Sequence[str]] = field(default_factory=dict)

    async def resolve(self, name: str, rdtype: str) -> list[str]:
        name = name.rstrip(".").lower()
        if (name, rdtype) in self.records:
            return list(self.records[(name, rdtype)])
        if any(n == name for n, _ in self.records):
            raise DnsError("nodata", name)
        raise DnsError("nxdomain", name)


class DnspythonResolver:
    """dnspython's async resolver, system configuration unless nameservers are given."""

    def __init__(self, nameserver: tuple[str, int] | None = None, timeout: float = 3.0) -> None:
        import dns.asyncresolver

        self._resolver = dns.asyncresolver.Resolver(configure=nameserver is None)
        if nameserver is not None:
            self._resolver.nameservers = [nameserver[0]]
            self._resolver.port = nameserver[1]
        self._resolver.timeout = timeout
        self._resolver.lifetime = timeout

    async def resolve(self, name: str, rdtype: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._resolver.resolve(name, rdtype, search=False)
        except dns.resolver.NXDOMAIN as exc:
            raise DnsError("nxdomain", name) from exc
        except dns.resolver.NoAnswer as exc:
            raise DnsError("nodata", name) from exc
        except dns.resolver.NoNameservers as exc:
            kind: DnsErrorKind = "refused" if "REFUSED" in str(exc) else "servfail"
            raise DnsError(kind, name, printable(str(exc), 200)) from exc
        except dns.exception.Timeout as exc:
            raise DnsError("timeout", name) from exc
        except dns.exception.DNSException as exc:  # e.g. a name over 255 octets: no such name
            raise DnsError("nxdomain", name, printable(str(exc), 200)) from exc
        return [_rdata_text(r) for r in answer]


def _rdata_text(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is not None:  # TXT: join the character-strings (RFC 7208 §3.3)
        return b"".join(strings).decode("utf-8", "replace")
    return rdata.to_text()  # type: ignore[attr-defined, no-any-return]


def parse_dns_server(value: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` → (ip, port); ValueError otherwise."""
    value = value.strip()
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif value.count(":") == 1:
        host, _, p = value.partition(":")
        port = int(p)
    ipaddress.ip_address(host)
    if not 1 <= port <= 65535:
        raise ValueError("port out of range")
    return host, port


async def lookup(
    resolver: Resolver, name: str, rdtype: str, timings: dict[str, float] | None = None
) -> list[str] | DnsError:
    """The answers, or the ``DnsError`` as a value (so concurrent lookups can be gathered);
    the time taken goes into ``timings`` when given."""
    t0 = time.monotonic()
    try:
        return await resolver.resolve(name, rdtype)
    except DnsError as exc:
        return exc
    finally:
        if timings is not None:
            timings[f"{rdtype} {name}"] = round((time.monotonic() - t0) * 1000, 1)


MAX_CNAME_CHAIN = 8  # RFC 1034 resolvers stop following aliases somewhere; so do we


async def _cname_chain(resolver: Resolver, host: str, timings: dict[str, float]) -> tuple[str, ...]:
    """The aliases ``host`` goes through, one CNAME query per link (RFC 1034 §3.6.2)."""
    chain: list[str] = []
    name = host
    while len(chain) < MAX_CNAME_CHAIN:
        answer = await lookup(resolver, name, "CNAME", timings)
        if isinstance(answer, DnsError) or not answer:
            break
        name = answer[0].rstrip(".").lower()
        if name in chain or name == host:
            break  # a loop: the address queries will say so
        chain.append(name)
    return tuple(printable(n, 255) for n in chain)


async def probe_dns(
    resolver: Resolver, host: str, domain: str | None
) -> tuple[DnsFacts, dict[str, DnsError]]:
    """Host CNAME chain, A/AAAA, and the domain's MX, SPF, DMARC and submission SRV
    records, all concurrently. ``host`` is empty when the settings name an IP address."""
    timings: dict[str, float] = {}
    queries = {"A": (host, "A"), "AAAA": (host, "AAAA")} if host else {}
    if domain:
        queries |= {
            "MX": (domain, "MX"),
            "TXT": (domain, "TXT"),
            "DMARC": (f"_dmarc.{domain}", "TXT"),
            "SUBMISSION": (f"_submission._tcp.{domain}", "SRV"),
            "SUBMISSIONS": (f"_submissions._tcp.{domain}", "SRV"),
        }
    names = list(queries)
    lookups = [lookup(resolver, n, t, timings) for n, t in queries.values()]
    chain_task = asyncio.ensure_future(_cname_chain(resolver, host, timings) if host else _none())
    results, chain = await asyncio.gather(asyncio.gather(*lookups), chain_task)
    got = dict(zip(names, results, strict=True))
    errors = {k: v for k, v in got.items() if isinstance(v, DnsError)}
    ok = {k: v for k, v in got.items() if not isinstance(v, DnsError)}
    addresses: list[tuple[str, Family]] = [(a, "ipv4") for a in ok.get("A", [])]
    addresses += [(a, "ipv6") for a in ok.get("AAAA", [])]
    spf = next((t for t in ok.get("TXT", []) if t.lower().startswith("v=spf1")), None)
    dmarc = next((t for t in ok.get("DMARC", []) if t.lower().startswith("v=dmarc1")), None)
    facts = DnsFacts(
        host=host,
        addresses=tuple(addresses),
        cname_chain=chain,
        domain=domain,
        mx=tuple(printable(m, 255) for m in ok.get("MX", [])),
        spf=printable(spf, 500) if spf else None,
        dmarc=printable(dmarc, 500) if dmarc else None,
        submission_srv=tuple(printable(r, 255) for r in ok.get("SUBMISSION", [])),
        submissions_srv=tuple(printable(r, 255) for r in ok.get("SUBMISSIONS", [])),
        timings=timings,
    )
    return facts, errors


async def _none() -> tuple[str, ...]:
    return ()


def spf_targets(spf: str) -> list[str]:
    """The ``include:`` and ``redirect=`` domains of an SPF record (RFC 7208 §5.2, §6.1)."""
    targets = []
    for term in spf.split()[1:]:
        term = term.lstrip("+-~?").lower()
        for prefix in ("include:", "redirect="):
            if term.startswith(prefix):
                targets.append(term[len(prefix) :])
    return targets


def assess_spf(facts: DnsFacts, provider: ProviderInfo | None, lang: str) -> list[Finding]:
    """The domain publishes SPF, but it does not name the provider that sends its mail,
    so receivers may reject or junk it. Nested includes are not followed: a provider
    is expected to be named directly, as their setup guides say."""
    if not (facts.spf and facts.domain and provider and provider.spf_includes):
        return []
    if spf_authorises(provider, spf_targets(facts.spf)):
        return []
    code = "dns.spf_excludes_provider"
    return [make_finding(code, domain=facts.domain, provider=provider.name, lang=lang)]


def assess_dns(facts: DnsFacts, errors: Mapping[str, DnsError], lang: str) -> list[Finding]:
    """Host findings (fatal for the run) and sending-domain findings (advice)."""
    out: list[Finding] = []
    host = facts.host
    a, aaaa = errors.get("A"), errors.get("AAAA")
    if host and not facts.addresses:
        kinds = {e.kind for e in (a, aaaa) if e}
        if "nxdomain" in kinds:
            out.append(make_finding("dns.host_not_found", host=host, lang=lang))
        elif kinds <= {"nodata"}:
            out.append(make_finding("dns.host_no_address", host=host, lang=lang))
        else:
            reason = ", ".join(sorted(kinds - {"nodata"}))
            out.append(make_finding("dns.failure", host=host, reason=reason, lang=lang))
    domain = facts.domain
    if not domain:
        return out
    mx_err = errors.get("MX")
    if mx_err and mx_err.kind in ("servfail", "refused", "timeout"):
        out.append(make_finding("dns.failure", host=domain, reason=mx_err.kind, lang=lang))
        return out
    if facts.mx and all(m.split()[-1] == "." for m in facts.mx):
        out.append(make_finding("dns.null_mx", domain=domain, lang=lang))  # RFC 7505
    elif not facts.mx:
        out.append(make_finding("dns.no_mx", domain=domain, lang=lang))
    txt_err = errors.get("TXT")
    if facts.spf is None and (txt_err is None or txt_err.kind in ("nodata", "nxdomain")):
        out.append(make_finding("dns.spf_missing", domain=domain, lang=lang))
    if facts.dmarc is None:
        out.append(make_finding("dns.dmarc_missing", domain=domain, lang=lang))
    return out
