"""Normalisers for where to connect: the SMTP host and port, and the HTTP relay URL.

People paste URLs, ``host:port``, bracketed IPv6 and international names into the Host
field; they are reduced to an A-label host name or IP literal and a port (reference §6),
and every change is reported as a finding.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass

import idna

from emaildiag.field_findings import FindingCollector, InvalidValue, shown, shown_url
from emaildiag.fields import MAX_INPUT, has_control, strip_blanks

DEFAULT_PORT = 587  # RFC 6409 message submission
_USUAL_PORTS = frozenset({25, 465, 587})
# RFC 8314 §7: "submissions" is implicit TLS on 465; "submission" is STARTTLS on 587.
_SCHEME_PORTS: dict[str, int | None] = {
    "smtp": 587, "submission": 587, "smtps": 465, "submissions": 465, "http": None, "https": None,
}  # fmt: skip
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://(.*)", re.DOTALL)
_BRACKETED_RE = re.compile(r"\[([^\]]*)\](?::(.*))?", re.DOTALL)
_ZONE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # an interface name or index (RFC 4007 §11)


@dataclass(frozen=True)
class _Host:
    name: str  # A-label host name or IP literal
    is_ip: bool
    port: int | None  # from ":port" or implied by the scheme
    scheme: str | None  # the scheme that implied the port, when no ":port" was given
    notes: tuple[str, ...]  # URL reduced, IDN converted (spaces, case, final dot go unsaid)


def normalize_host_and_port(
    raw_host: object, raw_port: object, c: FindingCollector
) -> tuple[str, int | None]:
    explicit, port_ok = _coerce_port(raw_port)
    if not port_ok:
        c.add("settings.port_invalid", value=shown(raw_port))
    try:
        parsed = _parse_host(raw_host, c)
    except InvalidValue as exc:
        c.add("settings.host_invalid", value=shown_url(raw_host), detail=str(exc))
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
        original = shown(raw_host)
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


def _parse_host(raw: object, c: FindingCollector) -> _Host:
    """Reduce what people paste into a Host field to (host, port) — reference §6.

    UTS #46 mapping first (full-width forms, case), then scheme, authority and port.
    """
    if not isinstance(raw, str):
        raise InvalidValue(
            c.say("type", kind=type(raw).__name__) if raw is not None else c.say("empty")
        )
    text = _checked_text(raw, c)
    try:
        text = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except ValueError as exc:  # idna.IDNAError is a UnicodeError, hence a ValueError
        raise InvalidValue(c.say("name", error=exc)) from None
    scheme = _SCHEME_RE.fullmatch(text)
    implied: int | None = None
    if scheme:
        if scheme.group(1) not in _SCHEME_PORTS:
            raise InvalidValue(c.say("scheme", scheme=shown(scheme.group(1))))
        implied = _SCHEME_PORTS[scheme.group(1)]
        text = re.split(r"[/?#]", scheme.group(2), maxsplit=1)[0]
    if "@" in text:
        user, _, domain = text.rpartition("@")
        if scheme or ":" in user:  # user:password@host
            raise InvalidValue(c.say("userinfo"))
        raise InvalidValue(c.say("email_as_host", domain=shown(domain)))
    host, port_text, bracketed = _split_authority(text, c)
    web = scheme is not None and implied is None  # a web URL's port is not an SMTP port
    notes = [c.say("n_url")] if web else []
    if port_text is not None and not web:
        if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 6:
            raise InvalidValue(c.say("port_text"))
        implied = int(port_text)
    name, is_ip, idn = _host_name(host, bracketed, c)
    if idn:
        notes.append(c.say("n_idn", unicode=shown(host), ascii=name))
    by_scheme = scheme.group(1) if scheme and port_text is None else None
    return _Host(name, is_ip, implied, by_scheme, tuple(notes))


def _split_authority(text: str, c: FindingCollector) -> tuple[str, str | None, bool]:
    """(host, port text or None, bracketed): ``[v6]:port``, ``host:port`` or a bare host."""
    if text.startswith("["):
        match = _BRACKETED_RE.fullmatch(text)
        if not match:
            raise InvalidValue(c.say("ip"))
        return match.group(1), match.group(2), True
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, port, False
    return text, None, False


def _host_name(name: str, bracketed: bool, c: FindingCollector) -> tuple[str, bool, bool]:
    """(A-label name or IP, is_ip, was IDN). IDNA 2008 + UTS #46, as dnspython does (ref §4).

    One trailing dot (a rooted name) is dropped: certificate matching rejects it. An IPv6
    zone (``fe80::1%eth0``) must name an interface: ``ipaddress`` takes any text there.
    """
    name = name[:-1] if name.endswith(".") else name
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        zone = name.partition("%")[2]
        if zone and not _ZONE_RE.fullmatch(zone):
            raise InvalidValue(c.say("ip"))
        return str(ip), True, False
    if bracketed or ":" in name:
        raise InvalidValue(c.say("ip"))
    if not name:
        raise InvalidValue(c.say("empty"))
    if name.endswith("."):  # "host..": idna would take the second dot as the root
        raise InvalidValue(c.say("name", error="Empty Label"))
    if any(ch.isspace() for ch in name):
        raise InvalidValue(c.say("space"))
    if len(name) > 253 or any(len(label) > 63 for label in name.split(".")):
        raise InvalidValue(c.say("too_long"))  # RFC 1035 §2.3.4; RFC 5321 §4.5.3.1.2
    try:
        ascii_name = idna.encode(name, uts46=True, std3_rules=True).decode("ascii")
    except ValueError as exc:
        raise InvalidValue(c.say("name", error=exc)) from None
    if ascii_name.rsplit(".", 1)[-1].isdigit():
        raise InvalidValue(c.say("numeric"))  # "1.2.3": getaddrinfo would read it as 1.2.0.3
    return ascii_name, False, not name.isascii()


def normalize_http_url(raw: object, c: FindingCollector) -> str:
    text = strip_blanks(raw) if isinstance(raw, str) else ""
    if not _is_web_url(text):
        c.add("settings.http_url_invalid", value=shown_url(raw))
        return ""
    return text


def _is_web_url(text: str) -> bool:
    if not text or has_control(text) or any(ch.isspace() for ch in text):
        return False
    try:
        parts = urllib.parse.urlsplit(text)
        _ = parts.port  # raises ValueError for a bad port
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return False
        _host_name(parts.hostname, False, FindingCollector("en", muted=True))
    except (ValueError, InvalidValue):
        return False
    return True


def _checked_text(raw: str, c: FindingCollector) -> str:
    if len(raw) > MAX_INPUT:
        raise InvalidValue(c.say("too_long"))
    text = strip_blanks(raw)
    if not text:
        raise InvalidValue(c.say("empty"))
    if has_control(text):
        raise InvalidValue(c.say("control"))
    return text
