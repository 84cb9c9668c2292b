"""How the settings normalisers report a value: findings worded in the user's language.

A field normaliser signals an unusable value with :class:`InvalidValue` and records
findings through a :class:`FindingCollector`, which words the evidence under each
finding's title in the user's language (SPEC §1, §4). :func:`shown` and
:func:`hide_userinfo` make a user's value safe to quote: escaped, bounded, and never
echoing a password pasted into a URL.
"""

from __future__ import annotations

import re

from emaildiag.catalog import make_finding
from emaildiag.model import Finding, Severity

_URL_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_BARE_USERINFO_RE = re.compile(r"^[^/?#@:]*:[^/?#@]*@")
# "user:key@" whose key holds a '/' (base64 keys do): the URL is broken, the key still secret
_LOOSE_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@:]*:[^@]*@")
_QUERY_VALUE_RE = re.compile(r"=[^&;#]*")


class InvalidValue(Exception):
    """A value that cannot be used; ``str(exc)`` is the detail in the user's language."""


class FindingCollector:
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


def shown(value: object, limit: int = 80) -> str:
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


def shown_url(value: object) -> str:
    """An unusable host or URL as typed, for the finding about it. The password is
    hidden even where it broke the URL, and so are query values (a relay's key): an
    unusable URL never reaches the redaction of the settings' secrets."""
    if not isinstance(value, str):
        return shown(value)
    text = _LOOSE_USERINFO_RE.sub(r"\1…@", hide_userinfo(value), count=1)
    base, mark, query = text.partition("?")
    return shown(base + mark + _QUERY_VALUE_RE.sub("=…", query))


def hide_userinfo(text: str) -> str:
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
