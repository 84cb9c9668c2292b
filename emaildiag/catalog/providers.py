"""Provider knowledge: pure lookups over the entries in :mod:`emaildiag.catalog.provider_data`.

Every fact comes from ``shared/reference/providers.md`` and keeps its sources, so a
reviewer can recheck it (providers move hosts and retire features; see that file's
"Recent changes"). Code reads the data through these functions; it never hard-codes a
provider name. Nothing here does I/O: the caller resolves MX records and passes them in.

Host, domain and MX patterns are lower-case host names. A ``*`` label stands for exactly
one label (``email-smtp.*.amazonaws.com``), except a leading ``*.``, which stands for
one or more labels (any subdomain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from emaildiag.catalog.provider_data import ALL
from emaildiag.catalog.provider_types import (
    Credential,
    CredentialKind,
    Fact,
    Guide,
    GuidePurpose,
    Port,
    ProviderInfo,
    ReplyRule,
    Text,
    Username,
    WrongHost,
    WrongPort,
)

__all__ = [
    "PROVIDERS",
    "Credential",
    "CredentialKind",
    "Fact",
    "Guide",
    "GuidePurpose",
    "Port",
    "ProviderInfo",
    "ReplyRule",
    "Text",
    "Username",
    "WrongHost",
    "WrongPort",
    "classify_provider_reply",
    "detect_provider",
    "get_provider",
    "guides_for_finding",
    "how_to",
    "provider_for_address",
    "provider_for_host",
    "provider_for_mx",
    "provider_for_wrong_host",
    "providers_for_host",
    "spf_authorises",
]

PROVIDERS: tuple[ProviderInfo, ...] = ALL
_BY_ID = {p.id: p for p in PROVIDERS}

# Which guides help with which finding: the fix texts name the step, the guide says where.
_PURPOSES: dict[str, tuple[GuidePurpose, ...]] = {
    "auth.app_password_required": ("credential",),
    "auth.rejected": ("credential", "enable_smtp"),
    "auth.smtp_auth_disabled": ("enable_smtp",),
    "send.sender_rejected": ("verify_sender",),
}
# RFC 3463 §2: class.subject.detail at the start of the reply text.
_ENHANCED = re.compile(r"([245]\.\d{1,3}\.\d{1,3})(?=\s|$)")
_REPLY_CODE = re.compile(r"^\d{3}[ -]")


def get_provider(provider_id: str) -> ProviderInfo:
    """The entry with this id; an unknown id is a programming error (``KeyError``)."""
    return _BY_ID[provider_id]


def providers_for_host(host: str | None) -> tuple[ProviderInfo, ...]:
    """Every provider whose SMTP host patterns match ``host``, in catalogue order
    (``smtp.gmail.com`` serves both Gmail and Google Workspace)."""
    labels = _labels(host)
    if not labels:
        return ()
    return tuple(p for p in PROVIDERS if _any_match(p.smtp_hosts, labels))


def provider_for_host(host: str | None) -> ProviderInfo | None:
    """The provider whose SMTP host patterns match ``host`` (case and a trailing dot
    ignored); the first in catalogue order when several share the host."""
    found = providers_for_host(host)
    return found[0] if found else None


def provider_for_wrong_host(host: str | None) -> tuple[ProviderInfo, WrongHost] | None:
    """A host name known to fail with one provider (``smtp.mailgun.com``), with the name
    to use instead; kept apart from :func:`provider_for_host`, whose hosts have valid
    certificates."""
    name = ".".join(_labels(host))
    for provider in PROVIDERS:
        for wrong in provider.wrong_hosts.value if provider.wrong_hosts else ():
            if wrong.host == name:
                return provider, wrong
    return None


def provider_for_address(email: str | None) -> ProviderInfo | None:
    """The provider whose own address domains include the address's (gmail.com → Gmail).
    A custom domain gives ``None``: only its MX records can tell (:func:`provider_for_mx`)."""
    labels = _labels(_domain(email))
    if not labels:
        return None
    return next((p for p in PROVIDERS if _any_match(p.address_domains, labels)), None)


def provider_for_mx(mx_records: Iterable[str]) -> ProviderInfo | None:
    """The provider that receives mail for a domain, from its MX answers as resolvers
    print them (``"10 aspmx.l.google.com."``) or bare host names.

    The most preferred exchanges (lowest number, RFC 5321 §5.1) are tried first, so a
    backup MX at another provider does not decide. A null MX (RFC 7505) matches nothing.
    """
    for name in _by_preference(mx_records):
        labels = name.split(".")
        for provider in PROVIDERS:
            if _any_match(provider.mx_patterns, labels):
                return provider
    return None


def detect_provider(
    host: str | None, email: str | None, mx: Sequence[str] = ()
) -> ProviderInfo | None:
    """The provider whose knowledge applies to these settings, or ``None``.

    Precedence, and why:

    1. A known SMTP host wins, because the replies being diagnosed come from it. When
       several providers share the host (``smtp.gmail.com``: Gmail and Google Workspace;
       ``smtp.office365.com``: Microsoft 365 and, reportedly, Outlook.com), the one the
       address domain belongs to wins (gmail.com → Gmail, hotmail.com → Outlook.com),
       then the one the domain's MX points to (Google MX → Google Workspace), then, for
       an address on the customer's own domain, the one that hosts custom domains, and
       finally the first in catalogue order.
    2. A host name known to fail with a provider (``smtp.mailgun.com``): that provider,
       so the fix can name the right host.
    3. An address on a provider's own domain (gmail.com with a mistyped host): the
       mailbox's provider, whose host the user most likely meant.
    4. A host built from the address's own domain (``mail.<domain>``): the generic
       hosting entry that declares that form (cPanel), before the MX, because a
       website's hosting server often sends while the MX points elsewhere.
    5. The MX of the address's domain (custom domain at Microsoft 365, Google, Zoho …).
       That is where the mailbox lives, which is not always who relays: a caller
       checking SPF for the relay should prefer :func:`provider_for_host`.
    """
    by_address = provider_for_address(email)
    by_mx = provider_for_mx(mx)
    candidates = providers_for_host(host)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        for hint in (by_address, by_mx):
            if hint in candidates:
                return hint
        if by_address is None and _domain(email):
            own = [p for p in candidates if p.custom_domains]
            return own[0] if own else candidates[0]
        return candidates[0]
    wrong = provider_for_wrong_host(host)
    if wrong:
        return wrong[0]
    if by_address:
        return by_address
    return _provider_for_domain_host(host, _domain(email)) or by_mx


def classify_provider_reply(
    provider: ProviderInfo | None, code: int, enhanced: str | None, text: str
) -> str | None:
    """The finding code this provider's reply means, from its own reply table.

    ``text`` is the reply text after the three-digit code (lines joined by spaces; a
    leading code is tolerated). ``enhanced`` is the RFC 3463 code, read from the start of
    ``text`` when not given. ``None`` when no rule matches: the caller then falls back to
    the generic RFC 3463 / RFC 4954 table.
    """
    if provider is None:
        return None
    body = _REPLY_CODE.sub("", " ".join(text.split()), count=1)
    found = _ENHANCED.match(body)
    if found:
        body = body[found.end() :].lstrip()
    enhanced = enhanced or (found.group(1) if found else None)
    for rule in provider.replies:
        if rule.reply is not None and rule.reply != code:
            continue
        if rule.enhanced is not None and rule.enhanced != enhanced:
            continue
        if _compiled(rule.text).search(body):
            return rule.finding
    return None


def how_to(provider: ProviderInfo, purpose: GuidePurpose = "credential") -> Guide | None:
    """The provider's steps for ``purpose`` (``guide.steps.get(lang)``, ``guide.url``)."""
    return next((g for g in provider.guides if g.purpose == purpose), None)


def guides_for_finding(provider: ProviderInfo, finding: str) -> tuple[Guide, ...]:
    """The provider's guides that carry out the fix of ``finding``, most useful first:
    ``auth.app_password_required`` → how to create the app password, and so on."""
    guides = (how_to(provider, purpose) for purpose in _PURPOSES.get(finding, ()))
    return tuple(g for g in guides if g is not None)


def spf_authorises(provider: ProviderInfo, targets: Sequence[str]) -> bool:
    """Whether one of the SPF include/redirect ``targets`` is one of the provider's
    (``*`` stands for one label, as in ``zoho.*``)."""
    wanted = [p.split(".") for p in provider.spf_includes]
    return any(_matches(w, t.lower().rstrip(".").split(".")) for w in wanted for t in targets)


def _provider_for_domain_host(host: str | None, domain: str) -> ProviderInfo | None:
    name = ".".join(_labels(host))
    if not (name and domain):
        return None
    for provider in PROVIDERS:
        templates = provider.domain_hosts.value if provider.domain_hosts else ()
        if any(name == t.format(domain=domain) for t in templates):
            return provider
    return None


def _by_preference(mx_records: Iterable[str]) -> list[str]:
    ranked: list[tuple[int, int, str]] = []
    for index, record in enumerate(mx_records):
        parts = record.split()
        if not parts:
            continue
        preference = int(parts[0]) if len(parts) > 1 and parts[0].isdigit() else 65536
        name = ".".join(_labels(parts[-1]))
        if name:
            ranked.append((preference, index, name))
    return [name for _, _, name in sorted(ranked)]


def _domain(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    return ".".join(_labels(email.rpartition("@")[2].strip(" <>")))


def _labels(name: str | None) -> list[str]:
    value = (name or "").strip().lower().rstrip(".")
    return value.split(".") if value else []


def _any_match(patterns: Sequence[str], labels: list[str]) -> bool:
    return any(_matches(pattern.split("."), labels) for pattern in patterns)


def _matches(pattern: list[str], labels: list[str]) -> bool:
    if pattern[0] == "*" and len(pattern) > 1:
        rest = pattern[1:]
        return len(labels) > len(rest) and _same(rest, labels[-len(rest) :])
    return len(pattern) == len(labels) and _same(pattern, labels)


def _same(pattern: list[str], labels: list[str]) -> bool:
    return all(p == "*" or p == label for p, label in zip(pattern, labels, strict=True))


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)
