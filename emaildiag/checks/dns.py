"""DNS facts for the SMTP host and the sending domain (SPEC §2 step 2).

The resolver is a seam: :class:`DnspythonResolver` (the system's resolv.conf, or
``--dns-server``) in real use, :class:`StaticResolver` for the demo and pure tests.
NXDOMAIN, NODATA, SERVFAIL/REFUSED and timeouts stay distinct
(faults-and-security §4) because they mean different things to the user.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from emaildiag.model import DnsFacts, Family
from emaildiag.redact import printable

DnsErrorKind = Literal[
    "nxdomain", "nodata", "servfail", "refused", "timeout", "cname_loop", "truncated"
]


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
            raise DnsError(_failure_kind(exc), name, printable(str(exc), 200)) from exc
        except dns.exception.Timeout as exc:
            raise DnsError("timeout", name) from exc
        except dns.exception.DNSException as exc:  # e.g. a name over 255 octets: no such name
            raise DnsError("nxdomain", name, printable(str(exc), 200)) from exc
        return [_rdata_text(r) for r in answer]


def _failure_kind(exc: Exception) -> DnsErrorKind:
    """dnspython's NoNameservers covers four causes; its per-server errors tell them apart
    (faults-and-security §4): an alias loop, a truncated answer whose TCP retry failed,
    REFUSED, else SERVFAIL."""
    import dns.message

    errors = [e[3] for e in getattr(exc, "kwargs", {}).get("errors") or () if len(e) > 3]
    if not errors:
        return "refused" if "REFUSED" in str(exc) else "servfail"
    if any(isinstance(e, dns.message.ChainTooLong) for e in errors):
        return "cname_loop"
    if any(isinstance(e, dns.message.Truncated) for e in errors):
        return "truncated"
    if "REFUSED" in errors and "SERVFAIL" not in errors:
        return "refused"
    return "servfail"


def spf_targets(spf: str) -> list[str]:
    """The ``include:`` and ``redirect=`` domains of an SPF record (RFC 7208 §5.2, §6.1)."""
    targets = []
    for term in spf.split()[1:]:
        term = term.lstrip("+-~?").lower()
        for prefix in ("include:", "redirect="):
            if term.startswith(prefix):
                targets.append(term[len(prefix) :])
    return targets


def _rdata_text(rdata: object) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is not None:  # TXT: join the character-strings (RFC 7208 §3.3)
        return b"".join(strings).decode("utf-8", "replace")
    return rdata.to_text()  # type: ignore[attr-defined, no-any-return]


def parse_dns_server(value: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` → (ip, port); ValueError otherwise."""
    value = value.strip()
    host, digits = value, "53"
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("expected [IPv6] or [IPv6]:PORT")
        digits = rest[1:] if rest else digits
    elif value.count(":") == 1:
        host, _, digits = value.partition(":")
    ipaddress.ip_address(host)
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= 65535:
        raise ValueError("the port must be a number from 1 to 65535")
    return host, int(digits)


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


_NO_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
SystemLookup = Callable[[str], Awaitable[Sequence[str]]]
"""This computer's own answer for a host name (hosts file, nsswitch, VPN split DNS)."""


async def getaddrinfo_lookup(host: str) -> list[str]:
    """The system resolver's addresses for ``host``. ``getaddrinfo`` has no timeout, so it
    runs in a daemon thread that a caller's deadline abandons instead of waiting for
    (faults-and-security §0.9)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[str]] = loop.create_future()

    def settle(result: list[str] | BaseException) -> None:
        if done.done():
            return
        if isinstance(result, BaseException):
            done.set_exception(result)
        else:
            done.set_result(result)

    def work() -> None:
        result: list[str] | BaseException
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            result = list(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as exc:  # "no such name" is an answer; anything else is not
            unknown = isinstance(exc, socket.gaierror) and exc.errno in _NO_NAME
            result = [] if unknown else exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result)

    threading.Thread(target=work, name="emaildiag-getaddrinfo", daemon=True).start()
    return await done


async def system_view(lookup: SystemLookup, host: str, timeout: float) -> tuple[str, ...] | None:
    """What ``lookup`` says about ``host`` (``()``: it does not know the name), or None
    when it gave no answer in time."""
    try:
        async with asyncio.timeout(timeout):
            found = await lookup(host)
    except (OSError, TimeoutError):
        return None
    return tuple(printable(a, 60) for a in dict.fromkeys(found))


MAX_MX_CHECKED = 3  # mail goes to the most preferred targets first
MAX_SPF_TARGETS = 20  # RFC 7208 §4.6.4: past 10 lookups a record fails anyway


@dataclass(frozen=True)
class _MailExchangers:
    answer: list[str] | DnsError
    implicit: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)


def mx_target(record: str) -> str:
    """The exchange of an MX record's text ("10 mx.example.org." → "mx.example.org.")."""
    return record.split()[-1] if record.split() else ""


def _preference(record: str) -> int:
    first = record.split()[0] if record.split() else ""
    return int(first) if first.isdigit() else 65536


def ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]").rstrip("."))
    except ValueError:
        return False
    return True


async def _mail_exchangers(
    resolver: Resolver, domain: str, timings: dict[str, float]
) -> _MailExchangers:
    """The domain's MX records; with none, its own addresses (RFC 5321 §5.1 implicit MX;
    never for a null MX, RFC 7505); and which named targets are aliases, which an MX
    target must not be (RFC 2181 §10.3)."""
    answer = await lookup(resolver, domain, "MX", timings)
    if answer == []:
        answer = DnsError("nodata", domain)
    if isinstance(answer, DnsError):
        if answer.kind != "nodata":
            return _MailExchangers(answer)
        own = await asyncio.gather(
            lookup(resolver, domain, "A", timings), lookup(resolver, domain, "AAAA", timings)
        )
        implicit = tuple(printable(a, 60) for got in own if isinstance(got, list) for a in got)
        return _MailExchangers(answer, implicit)
    named = (mx_target(m) for m in sorted(answer, key=_preference))
    targets = [t for t in named if t not in ("", ".") and not ip_literal(t)][:MAX_MX_CHECKED]
    found = await asyncio.gather(*(lookup(resolver, t, "CNAME", timings) for t in targets))
    aliases = {
        printable(t, 255): printable(got[0], 255)
        for t, got in zip(targets, found, strict=True)
        if isinstance(got, list) and got
    }
    return _MailExchangers(answer, (), aliases)


async def probe_dns(
    resolver: Resolver, host: str, domain: str | None
) -> tuple[DnsFacts, dict[str, DnsError]]:
    """Host CNAME chain, A/AAAA, and the domain's MX, SPF, DMARC and submission SRV
    records, all concurrently. ``host`` is empty when the settings name an IP address.
    (This computer's own view of the host, :func:`system_view`, is asked alongside the
    whole run, not here: it must not hold the connections back.)"""
    timings: dict[str, float] = {}
    queries = {"A": (host, "A"), "AAAA": (host, "AAAA")} if host else {}
    if domain:
        queries |= {
            "TXT": (domain, "TXT"),
            "DMARC": (f"_dmarc.{domain}", "TXT"),
            "SUBMISSION": (f"_submission._tcp.{domain}", "SRV"),
            "SUBMISSIONS": (f"_submissions._tcp.{domain}", "SRV"),
        }
    names = list(queries)
    lookups = [lookup(resolver, n, t, timings) for n, t in queries.values()]
    chain_task = asyncio.ensure_future(_cname_chain(resolver, host, timings) if host else _none())
    mx_task = asyncio.ensure_future(
        _mail_exchangers(resolver, domain, timings) if domain else _no_mx()
    )
    results, chain, mx = await asyncio.gather(asyncio.gather(*lookups), chain_task, mx_task)
    got = dict(zip(names, results, strict=True))
    if domain:
        got["MX"] = mx.answer
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
        # from the whole record: a long one is shown cut, its includes may come later
        spf_targets=tuple(printable(t, 255) for t in spf_targets(spf or "")[:MAX_SPF_TARGETS]),
        dmarc=printable(dmarc, 500) if dmarc else None,
        submission_srv=tuple(printable(r, 255) for r in ok.get("SUBMISSION", [])),
        submissions_srv=tuple(printable(r, 255) for r in ok.get("SUBMISSIONS", [])),
        timings=timings,
        implicit_mx=mx.implicit,
        mx_aliases=mx.aliases,
    )
    return facts, errors


async def _none() -> tuple[str, ...]:
    return ()


async def _no_mx() -> _MailExchangers:
    return _MailExchangers([])
