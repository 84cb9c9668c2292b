"""Checks and advice that depend on who the provider is (providers.md, as data).

Pure functions: the provider's documented ports and username form against the
settings, and the provider's own steps appended to a finding's fix, so "535 5.7.8"
becomes "create an app password: Google Account → Security → App passwords".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from emaildiag.catalog import make_finding
from emaildiag.catalog.providers import ProviderInfo, guides_for_finding
from emaildiag.model import Finding, Severity
from emaildiag.settings import Settings

_SECURITY = {"starttls": "STARTTLS", "implicit": "SSL/TLS", "none": "—"}
_SEE = {"en": "Official help", "it": "Guida ufficiale"}


def assess_provider_settings(
    s: Settings, provider: ProviderInfo | None, lang: str, signed_in_port: int | None = None
) -> list[Finding]:
    """A port the provider does not offer (465 on Microsoft 365), and a username not in
    the provider's form (SendGrid wants the word ``apikey``, mailboxes the full address).
    What was seen to work outranks the data: no port advice where sign-in succeeded."""
    if provider is None or s.protocol != "smtp" or signed_in_port == s.port:
        return []
    out: list[Finding] = []
    offered = [p for p in provider.ports.value if p.number != 25]
    wrong = {w.number for w in (provider.wrong_ports.value if provider.wrong_ports else ())}
    if (
        s.port is not None
        and offered
        and (s.port in wrong or s.port not in {p.number for p in offered})
    ):
        best = offered[0]
        suggested = f"{best.number} ({_SECURITY.get(best.tls, best.tls)})"
        severity = Severity.ERROR if s.port in wrong else Severity.WARNING
        out.append(
            make_finding(
                "settings.provider_port",
                port=s.port,
                severity=severity,
                provider=provider.name,
                suggested=suggested,
                lang=lang,
            )
        )
    expected = _expected_username(s, provider, lang)
    if expected is not None:
        out.append(
            make_finding(
                "settings.username_form", provider=provider.name, expected=expected, lang=lang
            )
        )
    return out


_FULL_ADDRESS = {"en": "your full email address", "it": "l'indirizzo email completo"}


def _expected_username(s: Settings, provider: ProviderInfo, lang: str) -> str | None:
    form = provider.username.value
    if form.literal and s.username != form.literal:
        return form.literal
    if form.form == "address" and s.username and "@" not in s.username:
        return s.email or _FULL_ADDRESS.get(lang, _FULL_ADDRESS["en"])
    return None


def with_provider_steps(
    findings: Sequence[Finding], provider: ProviderInfo | None, lang: str
) -> list[Finding]:
    """Each finding's fix followed by the provider's own steps and help page, where the
    provider data has a guide for that situation."""
    if provider is None:
        return list(findings)
    out = []
    for f in findings:
        guides = guides_for_finding(provider, f.code)
        if not guides:
            out.append(f)
            continue
        extra = " ".join(_guide_text(g.steps.get(lang), g.url, lang) for g in guides)
        out.append(dataclasses.replace(f, fix=f"{f.fix} {extra}".strip() if f.fix else extra))
    return out


def _guide_text(steps: str, url: str, lang: str) -> str:
    text = steps.rstrip()
    if not text.endswith("."):
        text += "."
    return f"{text} {_SEE.get(lang, _SEE['en'])}: {url}" if url else text
