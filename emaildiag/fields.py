"""Normalisers for the account fields: username, addresses, password and ``verify_tls``.

Each takes the raw value and a :class:`FindingCollector` and returns a value safe to use,
never raising for user input (SPEC §1, §4); also the text rules every field shares
(surrounding spaces, control characters, a length bound).
"""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from emaildiag.catalog.providers import provider_for_host
from emaildiag.field_findings import FindingCollector, InvalidValue, shown

MAX_INPUT = 1000  # far above any legal value (RFC 5321 §4.5.3.1); bounds the work per field
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Zl", "Zp", "Zs"})


def normalize_username(raw: object, c: FindingCollector) -> tuple[str, bool]:
    """Surrounding blanks dropped silently; inner spaces kept (a credential, not ours to fix)."""
    if raw is None:
        return "", True
    if not isinstance(raw, str):
        c.add("settings.field_invalid", field="username", value=shown(raw))
        return "", False
    text = strip_blanks(raw)
    if len(text) > MAX_INPUT or has_control(text):
        why = c.say("too_long" if len(text) > MAX_INPUT else "control")
        c.add("settings.field_invalid", field="username", value=shown(text), detail=why)
        return "", False
    return text, True


def normalize_address_field(name: str, raw: object, c: FindingCollector) -> tuple[str, bool]:
    """(normalised address or "", whether anything was entered)."""
    if raw is None:
        return "", False
    if not isinstance(raw, str):
        why = c.say("type", kind=type(raw).__name__)
        c.add("settings.email_invalid", field=name, value=shown(raw), detail=why)
        return "", True
    text = strip_blanks(raw)
    if not text:
        return "", False
    try:
        return _address(text, c), True
    except InvalidValue as exc:
        c.add("settings.email_invalid", field=name, value=shown(text), detail=str(exc))
        return "", True


def _address(text: str, c: FindingCollector) -> str:
    """Exactly one addr-spec (RFC 5321 §4.1.2), or ``InvalidValue``.

    Control characters are refused before parsing (header/command injection, ref §6).
    ``Name <a@b>`` is refused too, with the bare address in the detail: the field holds
    an address, and the name would be dropped without the user knowing.
    email-validator's ``strict`` enforces RFC 5321 §4.5.3.1 lengths (local part 64,
    address 254); ``test_environment`` admits ``.test`` domains (RFC 2606) for demos.
    """
    if len(text) > MAX_INPUT:
        raise InvalidValue(c.say("too_long"))
    if has_control(text):
        raise InvalidValue(c.say("control"))
    try:
        v = validate_email(
            text,
            check_deliverability=False,  # no DNS here: the DNS step looks at the domain
            allow_display_name=True,  # parsed only to say "enter just the address"
            allow_quoted_local=True,
            strict=True,  # RFC 5321 §4.5.3.1 lengths: local part 64, address 254
            test_environment=True,  # admits .test (RFC 2606) for demos and tests
        )
    except EmailNotValidError as exc:
        raise InvalidValue(str(exc)) from None
    address = f"{v.local_part}@{v.ascii_domain}"
    if v.display_name is not None or text.endswith(">"):
        raise InvalidValue(c.say("display_name", address=address))
    return address


def as_address(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        return _address(strip_blanks(text), FindingCollector("en", muted=True))
    except InvalidValue:
        return None


def normalize_password(raw: object, host: str, username: str, c: FindingCollector) -> str:
    """Warn about pasted blanks, never print the value (ref §5, §6)."""
    if raw is None or (isinstance(raw, str) and not raw):
        if username:
            c.add("settings.password_missing")
        return ""
    if not isinstance(raw, str):
        c.add("settings.field_invalid", field="password", value=f"<{type(raw).__name__}>")
        return ""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes (an env var or a pipe in another charset)
        c.add("settings.field_invalid", field="password", value="<not valid text>")
        return ""
    provider = provider_for_host(host) if host else None
    pattern = provider.spaced_app_password if provider else None
    if provider and pattern and re.fullmatch(pattern, raw.strip()):
        c.add("settings.password_whitespace", detail=c.say("app_password", provider=provider.name))
        return "".join(raw.split())
    lead, trail = len(raw) - len(raw.lstrip()), len(raw) - len(raw.rstrip())
    names = _invisible_names(raw)
    parts = [c.say("pw_edges", lead=lead, trail=trail)] if lead or trail else []
    parts += [c.say("pw_invisible", names=", ".join(names[:5]))] if names else []
    if parts:
        c.add("settings.password_whitespace", detail=" ".join(parts))
    return raw


def _invisible_names(text: str) -> list[str]:
    """Unicode names of characters nobody sees when pasting (NBSP, zero-width, controls)."""
    odd = {ch for ch in text if ch != " " and unicodedata.category(ch) in _INVISIBLE}
    return sorted(unicodedata.name(ch, f"U+{ord(ch):04X}") for ch in odd)


def normalize_verify_tls(raw: object, c: FindingCollector) -> bool:
    """Booleans, and the spellings a CSV or form gives them; anything else keeps verifying."""
    if raw is None or isinstance(raw, bool):
        return raw is not False
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    word = raw.strip().lower() if isinstance(raw, str) else None
    if word in ("true", "yes", "on", "1"):
        return True
    if word in ("false", "no", "off", "0"):
        return False
    c.add("settings.field_invalid", field="verify_tls", value=shown(raw), detail=c.say("bool"))
    return True


# --- text rules every field shares -------------------------------------------------


def strip_blanks(text: str) -> str:
    """Strip spaces (Unicode Zs, incl. NBSP) only; tabs and line breaks are refused instead."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


def has_control(text: str) -> bool:
    """C0, DEL, C1, line/paragraph separators and lone surrogates: never valid in a field."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text)
