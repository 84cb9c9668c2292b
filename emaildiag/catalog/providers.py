"""Provider knowledge as data: which SMTP submission hosts belong to which provider.

Every fact comes from ``shared/reference/providers.md`` and keeps its sources, so a
reviewer can recheck it (providers move hosts and retire features; see that file's
"Recent changes"). Code reads this table; it never hard-codes a provider name.

Host patterns are lower-case host names. A ``*`` label stands for exactly one label
(``email-smtp.*.amazonaws.com``), except a leading ``*.``, which stands for one or
more labels (any subdomain).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROVIDERS", "ProviderInfo", "provider_for_host", "spf_authorises"]

_ISPDB = "https://github.com/thunderbird/autoconfig/blob/master/ispdb/"
_CHATMAIL = "https://github.com/chatmail/provider-db/blob/main/_providers/"
# Zoho's data centres (reference §8): the host depends on where the account lives.
_ZOHO_DCS = (
    *("zoho.com", "zoho.eu", "zoho.in", "zoho.com.au", "zoho.jp", "zoho.com.cn", "zoho.sa"),
    "zohocloud.ca",
)


@dataclass(frozen=True)
class ProviderInfo:
    """One mail provider as far as the settings check needs to know it.

    ``spaced_app_password`` is a regular expression (full match) for an app password
    as the provider *displays* it, in space-separated groups; such a value is pasted
    with the spaces, which are not part of the password (Google shows
    ``abcd efgh ijkl mnop``). ``None``: never touch the password's spaces.
    """

    id: str
    name: str
    smtp_hosts: tuple[str, ...]
    sources: tuple[str, ...]
    spaced_app_password: str | None = None
    spf_includes: tuple[str, ...] = ()  # SPF include/redirect targets that authorise it


PROVIDERS: tuple[ProviderInfo, ...] = (
    ProviderInfo(
        "gmail",
        "Gmail",
        ("smtp.gmail.com", "smtp-relay.gmail.com"),
        (
            "https://developers.google.cn/workspace/gmail/imap/imap-smtp.md.txt",
            "https://support.google.com/a/answer/2956491",
            "https://knowledge.workspace.google.com/kb/how-to-generate-an-app-passwords-000009237",
        ),
        spaced_app_password=r"[a-z]{4}(?:[ \u00a0][a-z]{4}){3}",  # noqa: S106 (a pattern)
        spf_includes=("_spf.google.com",),
    ),
    ProviderInfo(
        "microsoft365",
        "Microsoft 365",
        ("smtp.office365.com", "smtp-legacy.office365.com"),
        (
            "https://docs.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission",
            "https://learn.microsoft.com/en-us/exchange/clients-and-mobile-in-exchange-online/opt-in-exchange-online-endpoint-for-legacy-tls-using-smtp-auth",
        ),
        spf_includes=("spf.protection.outlook.com",),
    ),
    ProviderInfo(
        "outlook",
        "Outlook.com",
        ("smtp-mail.outlook.com",),
        (_ISPDB + "hotmail.com.xml", _CHATMAIL + "outlook.com.md"),
    ),
    ProviderInfo(
        "yahoo",
        "Yahoo Mail",
        ("smtp.mail.yahoo.com",),
        (
            _ISPDB + "yahoo.com.xml",
            _CHATMAIL + "yahoo.md",
            "https://help.yahoo.com/kb/SLN15241.html",
        ),
        spf_includes=("spf.mail.yahoo.com",),
    ),
    ProviderInfo(
        "aol",
        "AOL Mail",
        ("smtp.aol.com",),
        (_ISPDB + "aol.com.xml", _CHATMAIL + "aol.md"),
    ),
    ProviderInfo(
        "icloud",
        "iCloud Mail",
        ("smtp.mail.me.com",),
        ("https://support.apple.com/HT202304", _ISPDB + "me.com.xml", _CHATMAIL + "icloud.md"),
        spf_includes=("icloud.com",),
    ),
    ProviderInfo(
        "zoho",
        "Zoho Mail",
        tuple(f"{prefix}.{dc}" for prefix in ("smtp", "smtppro") for dc in _ZOHO_DCS),
        ("https://github.com/thunderbird/autoconfig/tree/master/ispdb", _CHATMAIL + "zoho.md"),
        spf_includes=("zoho.*", "zohomail.*", "spf.zoho.*"),
    ),
    ProviderInfo(
        "fastmail",
        "Fastmail",
        ("smtp.fastmail.com",),
        ("https://www.fastmail.com/help/technical/servernamesandports.html",),
        spf_includes=("spf.messagingengine.com",),
    ),
    ProviderInfo(
        "gmx",
        "GMX",
        ("mail.gmx.net", "mail.gmx.com"),
        (_ISPDB + "gmx.net.xml", _ISPDB + "gmx.com.xml"),
    ),
    ProviderInfo(
        "sendgrid",
        "Twilio SendGrid",
        ("smtp.sendgrid.net",),
        (
            "https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api.md",
        ),
        spf_includes=("sendgrid.net",),
    ),
    ProviderInfo(
        "ses",
        "Amazon SES",
        ("email-smtp.*.amazonaws.com",),
        ("https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",),
        spf_includes=("amazonses.com",),
    ),
)


def spf_authorises(provider: ProviderInfo, targets: list[str]) -> bool:
    """Whether one of the SPF include/redirect ``targets`` is one of the provider's
    (``*`` stands for one label, as in ``zoho.*``)."""
    wanted = [p.split(".") for p in provider.spf_includes]
    return any(_matches(w, t.lower().rstrip(".").split(".")) for w in wanted for t in targets)


def provider_for_host(host: str) -> ProviderInfo | None:
    """The provider whose SMTP host patterns match ``host`` (case and a trailing dot ignored)."""
    name = host.strip().lower()
    name = name[:-1] if name.endswith(".") else name
    if not name:
        return None
    labels = name.split(".")
    for provider in PROVIDERS:
        if any(_matches(pattern.split("."), labels) for pattern in provider.smtp_hosts):
            return provider
    return None


def _matches(pattern: list[str], labels: list[str]) -> bool:
    if pattern[0] == "*" and len(pattern) > 1:
        rest = pattern[1:]
        return len(labels) > len(rest) and _same(rest, labels[-len(rest) :])
    return len(pattern) == len(labels) and _same(pattern, labels)


def _same(pattern: list[str], labels: list[str]) -> bool:
    return all(p == "*" or p == label for p, label in zip(pattern, labels, strict=True))
