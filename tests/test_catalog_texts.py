"""The finding catalogue as data: every code of SPEC §4 with its severity, texts in both languages,
and only the placeholders the code that raises each finding actually passes."""

from __future__ import annotations

import re
import string

import pytest

from emaildiag.catalog import FINDINGS, LANGUAGES, make_finding
from emaildiag.model import Severity

I, W, E = Severity.INFO, Severity.WARNING, Severity.ERROR  # noqa: E741

# SPEC §4 (stable): code -> (default severity, the other severities it may be raised with).
SPEC_CODES: dict[str, tuple[Severity, tuple[Severity, ...]]] = {
    "settings.host_invalid": (E, ()),
    "settings.host_normalized": (I, ()),
    "settings.email_invalid": (E, ()),
    "settings.email_required": (E, ()),
    "settings.port_invalid": (E, ()),
    "settings.password_whitespace": (W, ()),
    "settings.host_is_ip": (W, ()),
    "settings.tls_verify_disabled": (W, (E,)),
    "settings.http_reply_to_missing": (E, ()),
    "dns.host_not_found": (E, ()),
    "dns.host_no_address": (E, ()),
    "dns.failure": (E, ()),
    "dns.null_mx": (W, ()),
    "dns.no_mx": (W, ()),
    "dns.spf_missing": (W, ()),
    "dns.spf_excludes_provider": (W, ()),
    "dns.dmarc_missing": (I, ()),
    "port.refused": (W, (E,)),
    "port.filtered": (W, (E,)),
    "port.no_greeting": (E, ()),
    "port.not_smtp": (E, ()),
    "port.ipv6_broken": (W, ()),
    "smtp.greeting_rejected": (E, ()),
    "smtp.protocol_error": (E, ()),
    "tls.starttls_missing": (E, ()),
    "tls.starttls_failed": (E, ()),
    "tls.implicit_on_starttls_port": (E, ()),
    "tls.plain_on_implicit_port": (E, ()),
    "tls.starttls_injection": (E, ()),
    "tls.handshake_failed": (E, ()),
    "tls.cert_expired": (E, ()),
    "tls.cert_not_yet_valid": (E, ()),
    "tls.cert_expiring": (W, ()),
    "tls.cert_hostname_mismatch": (E, ()),
    "tls.cert_self_signed": (E, (I,)),
    "tls.cert_untrusted": (E, ()),
    "tls.cert_chain_incomplete": (E, ()),
    "tls.old_protocol": (W, ()),
    "tls.intercepted": (W, ()),
    "smtp.auth_not_offered": (E, ()),
    "smtp.auth_before_tls": (W, ()),
    "auth.ok": (I, ()),
    "auth.rejected": (E, ()),
    "auth.app_password_required": (E, ()),
    "auth.smtp_auth_disabled": (E, ()),
    "auth.oauth_required": (E, ()),
    "auth.mechanism_unsupported": (E, ()),
    "auth.connection_lost": (E, ()),
    "auth.tls_required": (E, ()),
    "auth.throttled": (E, ()),
    "auth.skipped_insecure": (W, ()),
    "send.sender_rejected": (E, ()),
    "send.recipient_rejected": (E, ()),
    "send.message_rejected": (E, ()),
    "send.temporary_failure": (W, ()),
    "send.ok": (I, ()),
    "http.unreachable": (E, ()),
    "http.bad_status": (E, ()),
}

# The project's own codes, beyond SPEC §4.
EXTRA_CODES: dict[str, tuple[Severity, tuple[Severity, ...]]] = {
    "settings.port_unusual": (I, ()),
    "settings.field_invalid": (E, ()),
    "settings.provider_port": (W, (E,)),
    "http.ok": (I, ()),
    "http.not_encrypted": (W, ()),
    "settings.username_form": (W, ()),
    "settings.password_missing": (W, ()),
    "settings.http_url_invalid": (E, ()),
    "settings.protocol_invalid": (E, ()),
    "send.sender_accepted": (I, ()),
    "send.smtputf8_missing": (E, ()),
    "dns.mx_unusable": (W, (I,)),
    "dns.resolver_mismatch": (W, (I,)),
    "send.outcome_unknown": (W, ()),
    "run.check_timed_out": (W, ()),
    "run.check_failed": (W, ()),
    "run.deadline_reached": (W, ()),
    "tls.ok": (I, ()),
    "port.open": (I, ()),
    "port.unreachable": (W, (E,)),
    "tls.clock_skew": (W, ()),
}

_TLS_PH = ("port", "host")
_AUTH_PH = ("port", "provider", "username")

# code -> the parameters the raising code passes; texts may use these and nothing else.
ALLOWED: dict[str, tuple[str, ...]] = {
    "settings.host_normalized": ("host", "original", "port"),
    "settings.host_invalid": ("value",),
    "settings.field_invalid": ("field", "value"),
    "settings.provider_port": ("provider", "port", "suggested"),
    "http.ok": ("status", "latency"),
    "http.not_encrypted": ("url",),
    "settings.username_form": ("provider", "expected"),
    "settings.email_invalid": ("field", "value"),
    "settings.email_required": ("username",),
    "settings.port_invalid": ("value",),
    "settings.port_unusual": ("port",),
    "settings.password_whitespace": (),
    "settings.password_missing": (),
    "settings.host_is_ip": ("host",),
    "settings.tls_verify_disabled": ("host", "provider"),
    "settings.http_reply_to_missing": (),
    "settings.http_url_invalid": ("value",),
    "settings.protocol_invalid": ("value",),
    "dns.host_not_found": ("host",),
    "dns.host_no_address": ("host",),
    "dns.failure": ("host", "reason"),
    "dns.null_mx": ("domain",),
    "dns.no_mx": ("domain",),
    "dns.spf_missing": ("domain",),
    "dns.dmarc_missing": ("domain",),
    "dns.spf_excludes_provider": ("domain", "provider"),
    "dns.mx_unusable": ("domain",),
    "dns.resolver_mismatch": ("host",),
    "port.open": ("port", "address"),
    "port.unreachable": ("port", "address"),
    "port.refused": ("port", "address"),
    "port.filtered": ("port", "address"),
    "port.no_greeting": ("port", "address"),
    "port.not_smtp": ("port", "address"),
    "port.ipv6_broken": ("port", "host"),
    "smtp.greeting_rejected": ("port", "code"),
    "smtp.protocol_error": ("port",),
    "smtp.auth_not_offered": ("port",),
    "smtp.auth_before_tls": ("port",),
    "tls.starttls_missing": _TLS_PH,
    "tls.starttls_failed": _TLS_PH,
    "tls.implicit_on_starttls_port": _TLS_PH,
    "tls.plain_on_implicit_port": _TLS_PH,
    "tls.starttls_injection": _TLS_PH,
    "tls.handshake_failed": _TLS_PH,
    "tls.cert_self_signed": _TLS_PH,
    "tls.cert_chain_incomplete": _TLS_PH,
    "tls.cert_expired": (*_TLS_PH, "date"),
    "tls.cert_not_yet_valid": (*_TLS_PH, "date"),
    "tls.cert_expiring": (*_TLS_PH, "days"),
    "tls.cert_hostname_mismatch": (*_TLS_PH, "names"),
    "tls.cert_untrusted": (*_TLS_PH, "issuer"),
    "tls.intercepted": (*_TLS_PH, "issuer"),
    "tls.clock_skew": (*_TLS_PH, "now", "hours"),
    "tls.old_protocol": ("port", "version"),
    "tls.ok": ("port", "version", "days"),
    "auth.ok": _AUTH_PH,
    "auth.rejected": _AUTH_PH,
    "auth.app_password_required": _AUTH_PH,
    "auth.smtp_auth_disabled": _AUTH_PH,
    "auth.oauth_required": _AUTH_PH,
    "auth.mechanism_unsupported": _AUTH_PH,
    "auth.connection_lost": _AUTH_PH,
    "auth.tls_required": _AUTH_PH,
    "auth.throttled": _AUTH_PH,
    "auth.skipped_insecure": _AUTH_PH,
    "send.sender_rejected": ("email", "code"),
    "send.sender_accepted": ("email", "code"),
    "send.smtputf8_missing": ("email",),
    "send.recipient_rejected": ("recipient", "code"),
    "send.message_rejected": ("code",),
    "send.temporary_failure": ("code",),
    "send.ok": ("recipient", "queue_id"),
    "send.outcome_unknown": ("recipient",),
    "http.unreachable": ("url",),
    "http.bad_status": ("url", "status"),
    "run.check_timed_out": ("check",),
    "run.check_failed": ("check",),
    "run.deadline_reached": ("seconds",),
}

SAMPLE: dict[str, object] = {
    "host": "smtp.example.com",
    "original": "smtp.example.com:587",
    "port": 587,
    "value": "bad value",
    "field": "Email",
    "username": "mario.rossi",
    "provider": "Gmail",
    "domain": "example.com",
    "reason": "timeout",
    "address": "192.0.2.10",
    "code": 550,
    "date": "2026-01-31",
    "now": "2026-01-31 09:30 UTC",
    "hours": 3,
    "days": 12,
    "names": "mail.example.net, *.example.net",
    "issuer": "Example Antivirus CA",
    "version": "TLSv1.1",
    "email": "mario@example.com",
    "recipient": "anna@example.org",
    "queue_id": "4Q1xYz",
    "url": "https://relay.example.com/send",
    "status": 403,
    "check": "tls:587",
    "seconds": 30,
    "suggested": "587 (STARTTLS)",
    "expected": "apikey",
    "latency": 42,
}

# What the raising code passes for {provider} when the provider is not known.
UNKNOWN_PROVIDER = {"en": "your email provider", "it": "il provider di posta"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_spec_code_has_its_severity() -> None:
    for code, (severity, also) in {**SPEC_CODES, **EXTRA_CODES}.items():
        assert code in FINDINGS, code
        assert FINDINGS[code].severity is severity, code
        assert FINDINGS[code].also == also, code


def test_no_code_without_a_contract() -> None:
    assert set(FINDINGS) == set(SPEC_CODES) | set(EXTRA_CODES)
    assert set(ALLOWED) == set(FINDINGS)


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_texts_in_both_languages(code: str) -> None:
    entry = FINDINGS[code]
    for lang in LANGUAGES:
        assert entry.title.get(lang, "").strip(), (code, lang)
    assert set(entry.fix) in (set(), set(LANGUAGES)), code
    for texts in (entry.title, entry.fix):
        assert set(texts) <= set(LANGUAGES), code
        for text in texts.values():
            assert text == text.strip() and "  " not in text, (code, text)
            assert not re.search(r"[<>*`_\[\]]", text.replace("_dmarc.", "")), (code, text)


@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_placeholders_match_and_are_allowed(code: str) -> None:
    entry = FINDINGS[code]
    for texts in (entry.title, entry.fix):
        if not texts:
            continue
        used = {lang: _fields(texts[lang]) for lang in LANGUAGES}
        assert used["it"] == used["en"], (code, used)
        assert used["en"] <= set(ALLOWED[code]), (code, used["en"] - set(ALLOWED[code]))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", sorted(FINDINGS))
def test_renders_completely(code: str, lang: str) -> None:
    params = {name: SAMPLE[name] for name in ALLOWED[code]}
    for severity in (FINDINGS[code].severity, *FINDINGS[code].also):
        finding = make_finding(code, lang=lang, severity=severity, **params)  # type: ignore[arg-type]
        for text in (finding.title, finding.fix or ""):
            assert "{" not in text and "}" not in text and "…" not in text, (code, text)
        assert finding.title != code


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", sorted(c for c in FINDINGS if "provider" in ALLOWED[c]))
def test_unknown_provider_phrase_reads_naturally(code: str, lang: str) -> None:
    """{provider} may be a phrase with its own article: never "your your …" or "di il tuo …"."""
    params = {name: SAMPLE[name] for name in ALLOWED[code]}
    params["provider"] = UNKNOWN_PROVIDER[lang]
    finding = make_finding(code, lang=lang, **params)  # type: ignore[arg-type]
    text = f"{finding.title} {finding.fix or ''}"
    clumsy = (
        r"\b(your|the|a|an) your\b|your email provider's"
        if lang == "en"
        else (r"\b(di|a|da|in|su|il|lo|la) il tuo\b")
    )
    assert not re.search(clumsy, text), (code, text)
    assert not re.search(r"(^|[.:;]\s+)(your|il tuo)\b", text), (code, text)
