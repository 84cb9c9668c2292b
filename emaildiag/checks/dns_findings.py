"""What the DNS facts mean for the user: findings for the host, the sending domain's
MX, SPF and DMARC, and a disagreement with this computer's own lookup.

:mod:`emaildiag.checks.dns` gathers the facts; this module only judges them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo, spf_authorises
from emaildiag.checks.dns import DnsError, ip_literal, mx_target
from emaildiag.model import DnsFacts, Finding, Severity


def assess_spf(facts: DnsFacts, provider: ProviderInfo | None, lang: str) -> list[Finding]:
    """The domain publishes SPF, but it does not name the provider that sends its mail,
    so receivers may reject or junk it. Nested includes are not followed: a provider
    is expected to be named directly, as their setup guides say."""
    if not (facts.spf and facts.domain and provider and provider.spf_includes):
        return []
    if spf_authorises(provider, facts.spf_targets):
        return []
    code = "dns.spf_excludes_provider"
    return [make_finding(code, domain=facts.domain, provider=provider.name, lang=lang)]


# Why a lookup failed, in the user's language: the {reason} of dns.failure.
_REASONS = {
    "en": {
        "servfail": "the DNS server answered SERVFAIL, a failure on its side",
        "refused": "the DNS server answered REFUSED, it would not look the name up",
        "timeout": "the DNS server did not answer in time",
        "cname_loop": "the name's aliases, its CNAME records, point to each other in a loop",
        "truncated": (
            "the answer was too large for UDP and the retry over TCP failed; "
            "TCP port 53 may be blocked"
        ),
    },
    "it": {
        "servfail": "il server DNS ha risposto SERVFAIL, un errore dalla sua parte",
        "refused": "il server DNS ha risposto REFUSED, non ha voluto cercare il nome",
        "timeout": "il server DNS non ha risposto in tempo",
        "cname_loop": (
            "gli alias del nome, i suoi record CNAME, rimandano l'uno all'altro in un ciclo"
        ),
        "truncated": (
            "la risposta era troppo grande per UDP e il nuovo tentativo via TCP non è "
            "riuscito; la porta TCP 53 potrebbe essere bloccata"
        ),
    },
}
_FAILED = ("servfail", "refused", "timeout", "cname_loop", "truncated")

# What is wrong with an MX record: the detail of dns.mx_unusable.
_MX_WORDS = {
    "en": {
        "alias": "{target} is an alias (CNAME) of {name}",
        "ip": "{target} is an IP address, not a server name",
        "null": "a null MX (.) is listed together with other MX records",
    },
    "it": {
        "alias": "{target} è un alias (CNAME) di {name}",
        "ip": "{target} è un indirizzo IP, non un nome di server",
        "null": "un MX nullo (.) è elencato insieme ad altri record MX",
    },
}


def _failure(name: str, failed: Sequence[DnsError], lang: str) -> Finding:
    words = _REASONS.get(lang, _REASONS["en"])
    kinds = sorted({e.kind for e in failed}, key=_FAILED.index)
    reason = "; ".join(words[k] for k in kinds)
    detail = "; ".join(dict.fromkeys(e.detail for e in failed if e.detail)) or None
    return make_finding("dns.failure", host=name, reason=reason, detail=detail, lang=lang)


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
            failed = [e for e in (a, aaaa) if e and e.kind in _FAILED]
            out.append(_failure(host, failed, lang))
    domain = facts.domain
    if not domain:
        return out
    mx_err = errors.get("MX")
    if mx_err and mx_err.kind in _FAILED:
        out.append(_failure(domain, [mx_err], lang))
        return out
    if facts.mx and all(mx_target(m) == "." for m in facts.mx):
        out.append(make_finding("dns.null_mx", domain=domain, lang=lang))  # RFC 7505
    elif facts.mx:
        out.extend(_assess_mx(facts, domain, lang))
    elif not facts.implicit_mx:  # RFC 5321 §5.1: with an address, the domain itself receives
        out.append(make_finding("dns.no_mx", domain=domain, lang=lang))
    txt_err = errors.get("TXT")
    if facts.spf is None and (txt_err is None or txt_err.kind in ("nodata", "nxdomain")):
        out.append(make_finding("dns.spf_missing", domain=domain, lang=lang))
    if facts.dmarc is None:
        out.append(make_finding("dns.dmarc_missing", domain=domain, lang=lang))
    return out


def _assess_mx(facts: DnsFacts, domain: str, lang: str) -> list[Finding]:
    """MX targets that are aliases (RFC 2181 §10.3) or IP addresses, or a null MX mixed
    with real ones (RFC 7505 §3): many servers cannot deliver there. An alias mostly works
    in practice, hence only information when that is all."""
    words = _MX_WORDS.get(lang, _MX_WORDS["en"])
    problems: dict[str, str] = {}  # the words → their kind
    for record in facts.mx:
        target = mx_target(record)
        if target == ".":
            problems[words["null"]] = "null"
        elif ip_literal(target):
            problems[words["ip"].format(target=target.rstrip("."))] = "ip"
        elif target in facts.mx_aliases:
            name = facts.mx_aliases[target].rstrip(".")
            problems[words["alias"].format(target=target.rstrip("."), name=name)] = "alias"
    if not problems:
        return []
    severity = Severity.INFO if set(problems.values()) == {"alias"} else None
    detail = "; ".join(problems)
    return [
        make_finding("dns.mx_unusable", domain=domain, severity=severity, detail=detail, lang=lang)
    ]


def assess_system_lookup(facts: DnsFacts, dialled: Sequence[str], lang: str) -> list[Finding]:
    """This computer's own lookup (hosts file, VPN, local DNS) and the DNS disagree about
    the host: the check connected to the DNS's address, email programs here use the
    computer's (faults-and-security §4). Public addresses on both sides may be a provider
    handing out different servers from a pool, hence only information then."""
    system = facts.system_addresses
    if system is None or not facts.host:
        return []
    from_dns = {a for a, _ in facts.addresses}
    if {_canonical(a) for a in system} & {_canonical(a) for a in from_dns}:
        return []
    if not (system or from_dns):
        return []
    both_public = bool(system and from_dns) and all(_is_global(a) for a in (*system, *from_dns))
    words = _SYSTEM_WORDS.get(lang, _SYSTEM_WORDS["en"])
    none = words["none"]
    detail = words["detail"].format(
        system=", ".join(system) or none,
        dns=", ".join(sorted(from_dns)) or none,
        dialled=", ".join(dict.fromkeys(dialled)) or none,
    )
    severity = Severity.INFO if both_public else None
    return [
        make_finding(
            "dns.resolver_mismatch", host=facts.host, severity=severity, detail=detail, lang=lang
        )
    ]


def _canonical(address: str) -> str:
    """One spelling per address (IPv6 has many; getaddrinfo may add a %zone)."""
    try:
        return str(ipaddress.ip_address(address.split("%")[0]))
    except ValueError:
        return address


def _is_global(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_global
    except ValueError:
        return False


_SYSTEM_WORDS = {
    "en": {
        "detail": "this computer: {system}; DNS: {dns}; connected to: {dialled}",
        "none": "none",
    },
    "it": {
        "detail": "questo computer: {system}; DNS: {dns}; collegato a: {dialled}",
        "none": "nessuno",
    },
}
