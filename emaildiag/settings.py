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

The field normalisers live in :mod:`emaildiag.fields` and :mod:`emaildiag.server_fields`,
the file format in :mod:`emaildiag.settings_file`; this module is their public face.
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emaildiag.catalog import LANGUAGES
from emaildiag.catalog.providers import provider_for_host
from emaildiag.field_findings import FindingCollector, hide_userinfo, shown
from emaildiag.fields import (
    as_address,
    normalize_address_field,
    normalize_password,
    normalize_username,
    normalize_verify_tls,
)
from emaildiag.model import Finding, Severity
from emaildiag.redact import holds_secret
from emaildiag.server_fields import DEFAULT_PORT, normalize_host_and_port, normalize_http_url
from emaildiag.settings_file import SettingsFileError, read_settings_file, write_settings_file

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
        return self.email or as_address(self.username) or ""

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
        out["http_url"] = hide_userinfo(self.http_url) if isinstance(self.http_url, str) else ""
        out["password_set"] = bool(self.password)
        return out

    def with_password(self, password: str) -> Settings:
        return dataclasses.replace(self, password=password)


_FIELDS = tuple(f.name for f in dataclasses.fields(Settings))
_FILE_FIELDS = tuple(name for name in _FIELDS if name != "password")


def normalize_settings(raw: Settings | Mapping[str, Any]) -> tuple[Settings, tuple[Finding, ...]]:
    """Normalise ``raw`` and return it with its ``settings.*`` findings (texts in its lang).

    Fields of the protocol not in use are normalised silently (an unusable value becomes
    empty) so that a hidden form field never raises a finding the user cannot see.
    Raises ``TypeError`` only when ``raw`` is neither a Settings nor a Mapping.
    """
    values = _values_of(raw)
    c = FindingCollector(_lang(values["lang"]))
    protocol = _protocol(values["protocol"], c)
    smtp = protocol == "smtp"
    muted = FindingCollector(c.lang, muted=True)
    net, web = (c, muted) if smtp else (muted, c)
    host, port = normalize_host_and_port(values["host"], values["port"], net)
    username, username_ok = normalize_username(values["username"], net)
    email, email_given = normalize_address_field("email", values["email"], c)
    if smtp and username_ok and not email_given and as_address(username) is None:
        c.add("settings.email_required", username=shown(username))
    copy_to = normalize_address_field("copy_to", values["copy_to"], c)[0]
    reply_to = normalize_address_field("reply_to", values["reply_to"], c)[0]
    password = normalize_password(values["password"], host, username, net)
    verify_tls = normalize_verify_tls(values["verify_tls"], c)
    http_url = normalize_http_url(values["http_url"], web)
    http_reply_to, reply_given = normalize_address_field(
        "http_reply_to", values["http_reply_to"], web
    )
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


def _protocol(raw: object, c: FindingCollector) -> Protocol:
    value = raw.strip().lower() if isinstance(raw, str) else raw
    if value in (None, "", "smtp"):
        return "smtp"
    if value == "http":
        return "http"
    c.add("settings.protocol_invalid", value=shown(raw))
    return "smtp"


def _report_verify_off(host: str, c: FindingCollector) -> None:
    """An error for a public provider: its certificates are valid, so a failure is an attack."""
    provider = provider_for_host(host) if host else None
    severity = Severity.ERROR if provider else None
    name = provider.name if provider else c.say("provider")
    c.add("settings.tls_verify_disabled", severity=severity, host=host, provider=name)


# --- save / load (never the password) -------------------------------------------------


def save_settings(settings: Settings, path: str | os.PathLike[str]) -> None:
    """Write ``settings`` without the password as TOML (``.toml``) or JSON (``.json``).

    ``SettingsFileError`` when another field holds the password (pasted as the username,
    or a token that is both): the file would keep it in the clear."""
    password = settings.password if isinstance(settings.password, str) else ""
    for name in _FILE_FIELDS:
        value = getattr(settings, name)
        if isinstance(value, str) and holds_secret(value, password):
            raise SettingsFileError(
                f"the {name} holds the password, which is never written to a settings file"
            )
    write_settings_file(settings, _FILE_FIELDS, path)


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read a file written by :func:`save_settings`; unknown keys and ``password`` are ignored.

    Types are checked here, values by :func:`normalize_settings`.
    """
    return Settings(**read_settings_file(path, _FILE_FIELDS))
