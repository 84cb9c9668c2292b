"""The shapes of provider knowledge, kept apart from the data and the lookups.

Every fact carries the pages it came from (``sources``) and, when
``shared/reference/providers.md`` marks it ⚠, the reason it is uncertain (``uncertain``),
so a reviewer can recheck it and a fix text can soften its wording. All types are frozen
and hashable: a :class:`ProviderInfo` may be a dict key or an ``lru_cache`` argument.

Host, domain and MX patterns are lower-case names. A ``*`` label stands for exactly
one label (``email-smtp.*.amazonaws.com``), except a leading ``*.``, which stands for
one or more labels (any subdomain).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, Literal, NamedTuple, Protocol, TypeVar

__all__ = [
    "Credential",
    "CredentialKind",
    "Fact",
    "Guide",
    "GuidePurpose",
    "Port",
    "ProviderInfo",
    "ReplyRule",
    "Sourced",
    "Text",
    "TlsMode",
    "Username",
    "UsernameForm",
    "WrongHost",
    "WrongPort",
]

T = TypeVar("T", covariant=True)  # a Fact of a narrower tuple is a Fact of the wider

TlsMode = Literal["starttls", "implicit"]
UsernameForm = Literal["address", "apikey", "smtp_credentials", "other"]
CredentialKind = Literal[
    "password", "app_password", "smtp_key", "api_key", "oauth2_only", "smtp_credentials"
]
GuidePurpose = Literal["credential", "enable_smtp", "verify_sender"]


class Text(NamedTuple):
    """A short text in English and Italian: a tuple, so both are required and it hashes."""

    en: str
    it: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; English for a language the catalogue does not have."""
        return self.it if lang == "it" else self.en


class Sourced(Protocol):
    """Anything that records where it came from and how sure we are of it."""

    @property
    def sources(self) -> tuple[str, ...]: ...

    @property
    def uncertain(self) -> str: ...


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One fact group of a provider with its evidence.

    ``uncertain`` is empty when the sources agree; otherwise it says why the fact is
    only a hint (the ⚠ of providers.md), so code never turns it into a hard rule.
    """

    value: T
    sources: tuple[str, ...]
    uncertain: str = ""


class Port(NamedTuple):
    """A submission port and how TLS starts on it (RFC 8314 §3: 465 is implicit TLS)."""

    number: int
    tls: TlsMode


class WrongPort(NamedTuple):
    """A port users try that this provider does not offer for submission, and why."""

    number: int
    reason: str


class WrongHost(NamedTuple):
    """A host name users type that fails (typically its certificate does not match)."""

    host: str
    use_instead: str
    reason: str


@dataclass(frozen=True)
class Username:
    """What goes in the Username field.

    ``form`` is ``"address"`` (the full email address), ``"apikey"`` (an API key, or a
    fixed word that stands for one), ``"smtp_credentials"`` (a user name the provider
    generates for SMTP) or ``"other"``. ``literal`` is the exact text to type when it
    never changes (SendGrid's ``apikey``); ``note`` explains anything else.
    """

    form: UsernameForm
    literal: str | None = None
    note: Text | None = None


@dataclass(frozen=True)
class Credential:
    """What goes in the Password field.

    ``kind`` is what most users of this provider need; ``also`` lists the other kinds
    the provider accepts in some set-ups (Zoho: the password, or an app password once
    two-factor authentication is on). ``oauth2`` says whether SASL XOAUTH2 works, which
    is the way out when passwords are refused.
    """

    kind: CredentialKind
    also: tuple[CredentialKind, ...] = ()
    oauth2: bool = False


@dataclass(frozen=True)
class Guide:
    """Steps in the provider's own interface, for one purpose, and its official help page.

    ``purpose``: ``"credential"`` creates what goes in the Password field,
    ``"enable_smtp"`` turns on a switch without which sign-in fails, and
    ``"verify_sender"`` makes the From address acceptable. ``url`` is empty when the
    sources name no help page.
    """

    purpose: GuidePurpose
    steps: Text
    url: str
    sources: tuple[str, ...]
    uncertain: str = ""


@dataclass(frozen=True)
class ReplyRule:
    """A reply this provider is known to send, and the finding code it means.

    ``text`` is a regular expression searched case-insensitively in the reply text
    (the lines after the reply code, joined by spaces). ``enhanced`` (RFC 3463) and
    ``reply`` (the three-digit code), when set, must match as well. ``example`` is a
    real reply, verbatim from the sources: the tests check that the rule matches it.
    """

    text: str
    finding: str
    example: str
    sources: tuple[str, ...]
    enhanced: str | None = None
    reply: int | None = None
    uncertain: str = ""


@dataclass(frozen=True)
class ProviderInfo:
    """One mail provider as far as the settings check needs to know it.

    ``spaced_app_password`` is a regular expression (full match) for an app password
    as the provider *displays* it, in space-separated groups; such a value is pasted
    with the spaces, which are not part of the password (Google shows
    ``abcd efgh ijkl mnop``). ``None``: never touch the password's spaces.

    ``custom_domains`` says whether the provider hosts mailboxes on the customer's own
    domain, which is how :func:`~emaildiag.catalog.providers.detect_provider` tells
    Google Workspace from Gmail when both use ``smtp.gmail.com``. ``domain_hosts`` are
    host names built from the customer's own domain (``mail.{domain}``): the only way to
    recognise a provider, such as generic cPanel hosting, that has no host of its own.
    """

    id: str
    name: str
    hosts: Fact[tuple[str, ...]]
    ports: Fact[tuple[Port, ...]]
    username: Fact[Username]
    credential: Fact[Credential]
    domains: Fact[tuple[str, ...]] | None = None
    custom_domains: bool = False
    domain_hosts: Fact[tuple[str, ...]] | None = None
    mx: Fact[tuple[str, ...]] | None = None
    spf: Fact[tuple[str, ...]] | None = None
    wrong_ports: Fact[tuple[WrongPort, ...]] | None = None
    wrong_hosts: Fact[tuple[WrongHost, ...]] | None = None
    guides: tuple[Guide, ...] = ()
    replies: tuple[ReplyRule, ...] = ()
    limits: Fact[Text] | None = None
    notes: tuple[Fact[Text], ...] = ()
    spaced_app_password: str | None = None

    @property
    def smtp_hosts(self) -> tuple[str, ...]:
        """Submission host patterns (empty for a generic entry such as cPanel hosting)."""
        return self.hosts.value

    @property
    def spf_includes(self) -> tuple[str, ...]:
        """SPF include/redirect targets that authorise this provider to send."""
        return self.spf.value if self.spf else ()

    @property
    def address_domains(self) -> tuple[str, ...]:
        """The provider's own address domains (gmail.com …), not customers' domains."""
        return self.domains.value if self.domains else ()

    @property
    def mx_patterns(self) -> tuple[str, ...]:
        return self.mx.value if self.mx else ()

    @property
    def sources(self) -> tuple[str, ...]:
        """Every page any fact of this provider came from, first-seen order, no repeats."""
        return tuple(dict.fromkeys(url for _, fact in self.facts() for url in fact.sources))

    def facts(self) -> Iterator[tuple[str, Sourced]]:
        """Each fact group with its evidence, named ``hosts``, ``reply:<code>`` …"""
        groups: dict[str, Sourced | None] = {
            "hosts": self.hosts,
            "ports": self.ports,
            "username": self.username,
            "credential": self.credential,
            "domains": self.domains,
            "domain_hosts": self.domain_hosts,
            "mx": self.mx,
            "spf": self.spf,
            "wrong_ports": self.wrong_ports,
            "wrong_hosts": self.wrong_hosts,
            "limits": self.limits,
        }
        for name, fact in groups.items():
            if fact is not None:
                yield name, fact
        for guide in self.guides:
            yield f"guide:{guide.purpose}", guide
        for rule in self.replies:
            yield f"reply:{rule.finding}", rule
        for note in self.notes:
            yield "note", note
