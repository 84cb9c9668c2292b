"""The "Email settings" form as a frozen value, normalised and checked in one pure step.

:func:`normalize_settings` turns whatever a form, a CSV row or a file produced into a
:class:`Settings` whose values are safe to put on the wire, plus ``settings.*``
findings that say what was tidied up and what cannot be used (SPEC §1, §4). It does no
I/O and never raises for user input: a wrong value or type becomes a finding.

Invariants of a normalised Settings: ``host`` is ``""`` or an A-label host name / IP
literal (no scheme, port, brackets or trailing dot); ``port`` is ``None`` only when the
port was invalid; every address field is ``""`` or one addr-spec with an A-label
domain; ``protocol`` is ``"smtp"`` or ``"http"``; ``lang`` is a catalogue language.
The password is never altered, except the spaces of a provider's grouped app password.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import tomllib
import unicodedata
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import idna
from email_validator import EmailNotValidError, validate_email

from emaildiag.catalog import LANGUAGES, make_finding
from emaildiag.catalog.providers import provider_for_host
from emaildiag.model import Finding, Severity

__all__ = [
    "DEFAULT_PORT",
    "Protocol",
    "Settings",
    "SettingsFileError",
    "TlsMode",
    "load_settings",
    "normalize_settings",
    "save_settings",
]

Protocol = Literal["smtp", "http"]
TlsMode = Literal["implicit", "starttls", "auto"]

DEFAULT_PORT = 587  # RFC 6409 message submission
_USUAL_PORTS = frozenset({25, 465, 587})
# RFC 8314 §7: "submissions" is implicit TLS on 465; "submission" is STARTTLS on 587.
_SCHEME_PORTS: dict[str, int | None] = {
    "smtp": 587, "submission": 587, "smtps": 465, "submissions": 465, "http": None, "https": None,
}  # fmt: skip
_MAX_INPUT = 1000  # far above any legal value (RFC 5321 §4.5.3.1); bounds the work per field
_MAX_FILE = 1 << 20
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://(.*)", re.DOTALL)
_BRACKETED_RE = re.compile(r"\[([^\]]*)\](?::(.*))?", re.DOTALL)
_URL_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_BARE_USERINFO_RE = re.compile(r"^[^/?#@:]*:[^/?#@]*@")
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Zl", "Zp", "Zs"})


@dataclass(frozen=True)
class Settings:
    """What the settings form collects (SPEC §1). The password never shows in ``repr``."""

    host: str = ""
    port: int | None = None  # None: taken from a pasted scheme/port, else 587
    username: str = ""
    email: str = ""  # sending address; required only when username is not an address
    password: str = field(default="", repr=False, compare=False)
    copy_to: str = ""
    reply_to: str = ""
    verify_tls: bool = True
    protocol: Protocol = "smtp"
    http_url: str = ""
    http_reply_to: str = ""
    lang: str = "en"  # "en" or "it": language of findings

    @property
    def sender(self) -> str:
        """The envelope sender: ``email``, else the username when it is an address."""
        return self.email or _as_address(self.username) or ""

    @property
    def tls_mode(self) -> TlsMode:
        """RFC 8314: 465 speaks TLS from the first byte; 25/587 upgrade with STARTTLS."""
        port = DEFAULT_PORT if self.port is None else self.port
        if port == 465:
            return "implicit"
        return "starttls" if port in (25, 587) else "auto"

    def redacted(self) -> dict[str, Any]:
        """The report's ``settings`` object (SPEC §3): no password, no URL credentials."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del out["password"]
        out["http_url"] = _hide_userinfo(self.http_url) if isinstance(self.http_url, str) else ""
        out["password_set"] = bool(self.password)
        return out

    def with_password(self, password: str) -> Settings:
        return dataclasses.replace(self, password=password)


_FIELDS = tuple(f.name for f in dataclasses.fields(Settings))
_FILE_FIELDS = tuple(name for name in _FIELDS if name != "password")


class SettingsFileError(ValueError):
    """A settings file cannot be read or written; the message is one line for the user."""


class _Invalid(Exception):
    """A value that cannot be used; ``str(exc)`` is the detail in the user's language."""


class _Collector:
    """Builds findings in one language; a muted one checks fields of the inactive protocol."""

    def __init__(self, lang: str, *, muted: bool = False) -> None:
        self.lang = lang
        self.muted = muted
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        *,
        severity: Severity | None = None,
        port: int | None = None,
        detail: str | None = None,
        **params: object,
    ) -> None:
        if not self.muted:
            finding = make_finding(
                code, lang=self.lang, severity=severity, port=port, detail=detail, **params
            )
            self.findings.append(finding)

    def say(self, key: str, **values: object) -> str:
        return _DETAILS.get(self.lang, _DETAILS["en"])[key].format(**values)


def normalize_settings(raw: Settings | Mapping[str, Any]) -> tuple[Settings, tuple[Finding, ...]]:
    """Normalise ``raw`` and return it with its ``settings.*`` findings (texts in its lang).

    Fields of the protocol not in use are normalised silently (an unusable value becomes
    empty) so that a hidden form field never raises a finding the user cannot see.
    Raises ``TypeError`` only when ``raw`` is neither a Settings nor a Mapping.
    """
    values = _values_of(raw)
    c = _Collector(_lang(values["lang"]))
    protocol = _protocol(values["protocol"], c)
    smtp = protocol == "smtp"
    net, web = (c, _Collector(c.lang, muted=True)) if smtp else (_Collector(c.lang, muted=True), c)
    host, port = _host_and_port(values["host"], values["port"], net)
    username, username_ok = _username(values["username"], net)
    email, email_given = _address_field("email", values["email"], c)
    if smtp and username_ok and not email_given and _as_address(username) is None:
        c.add("settings.email_required", username=_shown(username))
    copy_to = _address_field("copy_to", values["copy_to"], c)[0]
    reply_to = _address_field("reply_to", values["reply_to"], c)[0]
    password = _password(values["password"], host, username, net)
    verify_tls = _verify_tls(values["verify_tls"], c)
    http_url = _http_url(values["http_url"], web)
    http_reply_to, reply_given = _address_field("http_reply_to", values["http_reply_to"], web)
    if not reply_given:
        web.add("settings.http_reply_to_missing")
    if not verify_tls:
        _report_verify_off(host if smtp else urllib.parse.urlsplit(http_url).hostname or "", c)
    settings = Settings(
        host=host, port=port, username=username, email=email, password=password,
        copy_to=copy_to, reply_to=reply_to, verify_tls=verify_tls, protocol=protocol,
        http_url=http_url, http_reply_to=http_reply_to, lang=c.lang,
    )  # fmt: skip
    return settings, tuple(c.findings)


def _values_of(raw: object) -> dict[str, object]:
    if isinstance(raw, Settings):
        return {name: getattr(raw, name) for name in _FIELDS}
    if isinstance(raw, Mapping):
        return {name: raw.get(name) for name in _FIELDS}
    raise TypeError(f"expected Settings or a mapping, not {type(raw).__name__}")


def _lang(raw: object) -> str:
    lang = raw.strip().lower() if isinstance(raw, str) else ""
    return lang if lang in LANGUAGES else "en"


def _protocol(raw: object, c: _Collector) -> Protocol:
    value = raw.strip().lower() if isinstance(raw, str) else raw
    if value in (None, "", "smtp"):
        return "smtp"
    if value == "http":
        return "http"
    c.add("settings.protocol_invalid", value=_shown(raw))
    return "smtp"


# --- host and port --------------------------------------------------------------------


@dataclass(frozen=True)
class _Host:
    name: str  # A-label host name or IP literal
    is_ip: bool
    port: int | None  # from ":port" or implied by the scheme
    scheme: str | None  # the scheme that implied the port, when no ":port" was given
    notes: tuple[str, ...]  # URL reduced, IDN converted (spaces, case, final dot go unsaid)


def _host_and_port(raw_host: object, raw_port: object, c: _Collector) -> tuple[str, int | None]:
    explicit, port_ok = _coerce_port(raw_port)
    if not port_ok:
        c.add("settings.port_invalid", value=_shown(raw_port))
    try:
        parsed = _parse_host(raw_host, c)
    except _Invalid as exc:
        c.add("settings.host_invalid", value=_shown_url(raw_host), detail=str(exc))
        parsed = None
    port: int | None = DEFAULT_PORT if port_ok else None
    notes = list(parsed.notes) if parsed else []
    if port_ok and explicit is not None:
        port = explicit
        if parsed and parsed.port is not None and parsed.port != explicit:
            notes.append(c.say("n_conflict", port=explicit, other=parsed.port))
    elif port_ok and parsed and parsed.port is not None:
        port = parsed.port if 1 <= parsed.port <= 65535 else None
        if port is None:
            c.add("settings.port_invalid", value=str(parsed.port))
        elif parsed.scheme:
            notes.append(c.say("n_scheme", scheme=parsed.scheme, port=port))
        else:
            notes.append(c.say("n_port", port=port))
    if parsed is None:
        return "", port
    if parsed.name != raw_host or parsed.port is not None:
        detail = "; ".join(notes) or None
        original = _shown(raw_host)
        c.add(
            "settings.host_normalized",
            port=port,
            host=parsed.name,
            original=original,
            detail=detail,
        )
    if parsed.is_ip:
        c.add("settings.host_is_ip", host=parsed.name)
    if port is not None and port not in _USUAL_PORTS:
        c.add("settings.port_unusual", port=port)
    return parsed.name, port


def _coerce_port(raw: object) -> tuple[int | None, bool]:
    """(port, usable). ``None``/``""`` mean "not given"; bools are not ports."""
    if raw is None:
        return None, True
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, 1 <= raw <= 65535
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None, True
        if text.isascii() and text.isdigit() and len(text) <= 5:
            return int(text), 1 <= int(text) <= 65535
    return None, False


def _parse_host(raw: object, c: _Collector) -> _Host:
    """Reduce what people paste into a Host field to (host, port) — reference §6.

    UTS #46 mapping first (full-width forms, case), then scheme, authority and port.
    """
    if not isinstance(raw, str):
        raise _Invalid(
            c.say("type", kind=type(raw).__name__) if raw is not None else c.say("empty")
        )
    text = _checked_text(raw, c)
    try:
        text = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except ValueError as exc:  # idna.IDNAError is a UnicodeError, hence a ValueError
        raise _Invalid(c.say("name", error=exc)) from None
    scheme = _SCHEME_RE.fullmatch(text)
    implied: int | None = None
    if scheme:
        if scheme.group(1) not in _SCHEME_PORTS:
            raise _Invalid(c.say("scheme", scheme=_shown(scheme.group(1))))
        implied = _SCHEME_PORTS[scheme.group(1)]
        text = re.split(r"[/?#]", scheme.group(2), maxsplit=1)[0]
    if "@" in text:
        user, _, domain = text.rpartition("@")
        if scheme or ":" in user:  # user:password@host
            raise _Invalid(c.say("userinfo"))
        raise _Invalid(c.say("email_as_host", domain=_shown(domain)))
    host, port_text, bracketed = _split_authority(text, c)
    web = scheme is not None and implied is None  # a web URL's port is not an SMTP port
    notes = [c.say("n_url")] if web else []
    if port_text is not None and not web:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 6:
            raise _Invalid(c.say("port_text"))
        implied = int(port_text)
    name, is_ip, idn = _host_name(host, bracketed, c)
    if idn:
        notes.append(c.say("n_idn", unicode=_shown(host), ascii=name))
    by_scheme = scheme.group(1) if scheme and port_text is None else None
    return _Host(name, is_ip, implied, by_scheme, tuple(notes))


def _split_authority(text: str, c: _Collector) -> tuple[str, str | None, bool]:
    """(host, port text or None, bracketed): ``[v6]:port``, ``host:port`` or a bare host."""
    if text.startswith("["):
        match = _BRACKETED_RE.fullmatch(text)
        if not match:
            raise _Invalid(c.say("ip"))
        return match.group(1), match.group(2), True
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, port, False
    return text, None, False


def _host_name(name: str, bracketed: bool, c: _Collector) -> tuple[str, bool, bool]:
    """(A-label name or IP, is_ip, was IDN). IDNA 2008 + UTS #46, as dnspython does (ref §4).

    One trailing dot (a rooted name) is dropped: certificate matching rejects it.
    """
    name = name[:-1] if name.endswith(".") else name
    try:
        return str(ipaddress.ip_address(name)), True, False
    except ValueError:
        pass
    if bracketed or ":" in name:
        raise _Invalid(c.say("ip"))
    if not name:
        raise _Invalid(c.say("empty"))
    if any(ch.isspace() for ch in name):
        raise _Invalid(c.say("space"))
    if len(name) > 253 or any(len(label) > 63 for label in name.split(".")):
        raise _Invalid(c.say("too_long"))  # RFC 1035 §2.3.4; RFC 5321 §4.5.3.1.2
    try:
        ascii_name = idna.encode(name, uts46=True, std3_rules=True).decode("ascii")
    except ValueError as exc:
        raise _Invalid(c.say("name", error=exc)) from None
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        raise _Invalid(c.say("numeric"))  # "1.2.3": getaddrinfo would read it as 1.2.0.3
    return ascii_name, False, not name.isascii()


# --- usernames, addresses, password -----------------------------------------------


def _username(raw: object, c: _Collector) -> tuple[str, bool]:
    """Surrounding blanks dropped silently; inner spaces kept (a credential, not ours to fix)."""
    if raw is None:
        return "", True
    if not isinstance(raw, str):
        c.add("settings.field_invalid", field="username", value=_shown(raw))
        return "", False
    text = _strip_blanks(raw)
    if len(text) > _MAX_INPUT or _has_control(text):
        why = c.say("too_long" if len(text) > _MAX_INPUT else "control")
        c.add("settings.field_invalid", field="username", value=_shown(text), detail=why)
        return "", False
    return text, True


def _address_field(name: str, raw: object, c: _Collector) -> tuple[str, bool]:
    """(normalised address or "", whether anything was entered)."""
    if raw is None:
        return "", False
    if not isinstance(raw, str):
        why = c.say("type", kind=type(raw).__name__)
        c.add("settings.email_invalid", field=name, value=_shown(raw), detail=why)
        return "", True
    text = _strip_blanks(raw)
    if not text:
        return "", False
    try:
        return _address(text, c), True
    except _Invalid as exc:
        c.add("settings.email_invalid", field=name, value=_shown(text), detail=str(exc))
        return "", True


def _address(text: str, c: _Collector) -> str:
    """Exactly one addr-spec (RFC 5321 §4.1.2), or ``_Invalid``.

    Control characters are refused before parsing (header/command injection, ref §6).
    ``Name <a@b>`` is refused too, with the bare address in the detail: the field holds
    an address, and the name would be dropped without the user knowing.
    email-validator's ``strict`` enforces RFC 5321 §4.5.3.1 lengths (local part 64,
    address 254); ``test_environment`` admits ``.test`` domains (RFC 2606) for demos.
    """
    if len(text) > _MAX_INPUT:
        raise _Invalid(c.say("too_long"))
    if _has_control(text):
        raise _Invalid(c.say("control"))
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
        raise _Invalid(str(exc)) from None
    address = f"{v.local_part}@{v.ascii_domain}"
    if v.display_name is not None or text.endswith(">"):
        raise _Invalid(c.say("display_name", address=address))
    return address


def _as_address(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    try:
        return _address(_strip_blanks(text), _Collector("en", muted=True))
    except _Invalid:
        return None


def _password(raw: object, host: str, username: str, c: _Collector) -> str:
    """Warn about pasted blanks, never print the value (ref §5, §6)."""
    if raw is None or (isinstance(raw, str) and not raw):
        if username:
            c.add("settings.password_missing")
        return ""
    if not isinstance(raw, str):
        c.add("settings.field_invalid", field="password", value=f"<{type(raw).__name__}>")
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


# --- TLS verification and the HTTP relay ------------------------------------------------


def _verify_tls(raw: object, c: _Collector) -> bool:
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
    c.add("settings.field_invalid", field="verify_tls", value=_shown(raw), detail=c.say("bool"))
    return True


def _report_verify_off(host: str, c: _Collector) -> None:
    """An error for a public provider: its certificates are valid, so a failure is an attack."""
    provider = provider_for_host(host) if host else None
    severity = Severity.ERROR if provider else None
    name = provider.name if provider else c.say("provider")
    c.add("settings.tls_verify_disabled", severity=severity, host=host, provider=name)


def _http_url(raw: object, c: _Collector) -> str:
    text = _strip_blanks(raw) if isinstance(raw, str) else ""
    if not _is_web_url(text):
        c.add("settings.http_url_invalid", value=_shown_url(raw))
        return ""
    return text


def _is_web_url(text: str) -> bool:
    if not text or _has_control(text) or any(ch.isspace() for ch in text):
        return False
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # raises ValueError for a bad port
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return False
        _host_name(parts.hostname, False, _Collector("en", muted=True))
    except (ValueError, _Invalid):
        return False
    return True


# --- text helpers ---------------------------------------------------------------------


def _strip_blanks(text: str) -> str:
    """Strip spaces (Unicode Zs, incl. NBSP) only; tabs and line breaks are refused instead."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


def _has_control(text: str) -> bool:
    """C0, DEL, C1, line/paragraph separators and lone surrogates: never valid in a field."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") for ch in text)


def _checked_text(raw: str, c: _Collector) -> str:
    if len(raw) > _MAX_INPUT:
        raise _Invalid(c.say("too_long"))
    text = _strip_blanks(raw)
    if not text:
        raise _Invalid(c.say("empty"))
    if _has_control(text):
        raise _Invalid(c.say("control"))
    return text


def _shown(value: object, limit: int = 80) -> str:
    """A value safe to quote in a finding: escaped, bounded, the type for non-text."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else "<int>"
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    cut = value[: limit + 1]
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut[:limit])
    return text + ("…" if len(cut) > limit else "")


def _shown_url(value: object) -> str:
    return _shown(_hide_userinfo(value) if isinstance(value, str) else value)


def _hide_userinfo(text: str) -> str:
    """``smtps://user:secret@host`` → ``smtps://…@host``: a pasted password must not echo."""
    text = _URL_USERINFO_RE.sub(r"\1…@", text, count=1)
    return _BARE_USERINFO_RE.sub("…@", text, count=1)


# Details (the evidence under a finding's title), one "key: text" per line and language.
_DETAILS_EN = """
empty: The field is empty.
type: Expected text, got {kind}.
control: It contains a line break or another control character.
space: It contains spaces.
too_long: It is too long.
email_as_host: This is an email address, not a server; the server is often smtp.{domain}.
userinfo: Remove the user name and password from the server address.
scheme: {scheme}:// is not a way to reach a mail server.
port_text: After ':' a port number is expected.
name: Not a valid server name ({error}).
numeric: It looks like an incomplete IP address.
ip: Not a valid IP address.
n_url: web address reduced to its server name
n_scheme: {scheme}:// means port {port}
n_port: port {port} taken from the host
n_conflict: the Port field ({port}) was kept although the host said {other}
n_idn: international name {unicode} written as {ascii} (IDNA 2008, UTS #46)
display_name: Enter only the address: {address}
app_password: The spaces between the groups of the {provider} app password were removed.
pw_edges: {lead} blank character(s) at the start, {trail} at the end.
pw_invisible: Invisible characters: {names}.
bool: Expected true or false.
provider: your email provider
"""
_DETAILS_IT = """
empty: Il campo è vuoto.
type: Atteso un testo, ricevuto {kind}.
control: Contiene un a capo o un altro carattere di controllo.
space: Contiene degli spazi.
too_long: È troppo lungo.
email_as_host: Questo è un indirizzo email, non un server; il server è spesso smtp.{domain}.
userinfo: Togliere nome utente e password dall'indirizzo del server.
scheme: {scheme}:// non è un modo per raggiungere un server di posta.
port_text: Dopo ':' è atteso un numero di porta.
name: Nome di server non valido ({error}).
numeric: Sembra un indirizzo IP incompleto.
ip: Indirizzo IP non valido.
n_url: indirizzo web ridotto al nome del server
n_scheme: {scheme}:// indica la porta {port}
n_port: porta {port} presa dall'host
n_conflict: è stato mantenuto il campo Porta ({port}) anche se l'host indicava {other}
n_idn: nome internazionale {unicode} scritto come {ascii} (IDNA 2008, UTS #46)
display_name: Inserire solo l'indirizzo: {address}
app_password: Sono stati tolti gli spazi tra i gruppi della password per app di {provider}.
pw_edges: {lead} caratteri vuoti all'inizio, {trail} alla fine.
pw_invisible: Caratteri invisibili: {names}.
bool: Atteso vero o falso (true/false).
provider: il tuo provider di posta
"""
_DETAILS = {
    lang: dict(line.split(": ", 1) for line in table.strip().splitlines())
    for lang, table in (("en", _DETAILS_EN), ("it", _DETAILS_IT))
}


# --- save / load (never the password) -------------------------------------------------


def save_settings(settings: Settings, path: str | os.PathLike[str]) -> None:
    """Write ``settings`` without the password as TOML (``.toml``) or JSON (``.json``)."""
    target = Path(path)
    kind = _file_kind(target)
    values = {name: getattr(settings, name) for name in _FILE_FIELDS}
    values = {name: value for name, value in values.items() if value is not None}
    _check_types(values, target)
    if kind == "toml":
        lines = [f"{name} = {_toml_value(value)}" for name, value in values.items()]
        text = "# emaildiag settings; the password is never stored here\n" + "\n".join(lines)
    else:
        text = json.dumps(values, indent=2, ensure_ascii=False)
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise SettingsFileError(
            f"cannot write {_shown(str(target), 200)}: {_reason(exc)}"
        ) from None


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read a file written by :func:`save_settings`; unknown keys and ``password`` are ignored.

    Types are checked here, values by :func:`normalize_settings`.
    """
    source = Path(path)
    kind, where = _file_kind(source), _shown(str(source), 200)
    try:
        with source.open("rb") as stream:
            blob = stream.read(_MAX_FILE + 1)
    except OSError as exc:
        raise SettingsFileError(f"cannot read {where}: {_reason(exc)}") from None
    if len(blob) > _MAX_FILE:
        raise SettingsFileError(f"{where} is too large for a settings file")
    try:
        text = blob.decode("utf-8-sig")
        data = tomllib.loads(text) if kind == "toml" else json.loads(text)
    except (ValueError, RecursionError) as exc:  # decode, TOML and JSON errors are ValueErrors
        raise SettingsFileError(f"{where} is not valid {kind.upper()}: {_reason(exc)}") from None
    if not isinstance(data, dict):
        raise SettingsFileError(f"{where} must hold a table of settings")
    values = {name: data[name] for name in _FILE_FIELDS if data.get(name) is not None}
    _check_types(values, source)
    return Settings(**values)


def _file_kind(path: Path) -> Literal["toml", "json"]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix == ".json":
        return "json"
    raise SettingsFileError(f"{_shown(str(path), 200)}: use a .toml or .json file")


def _check_types(values: Mapping[str, object], path: Path) -> None:
    for name, value in values.items():
        want: type = {"port": int, "verify_tls": bool}.get(name, str)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            kind = {int: "a whole number", bool: "true or false"}.get(want, "text")
            raise SettingsFileError(f"{_shown(str(path), 200)}: {name} must be {kind}")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _toml_string(str(value))


def _toml_string(text: str) -> str:
    """A TOML basic string: quote, backslash and controls (incl. DEL) escaped (TOML 1.0)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _reason(exc: BaseException) -> str:
    """One line (``_shown`` escapes line breaks), never a traceback."""
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return _shown(text or type(exc).__name__, 200)
