"""One chokepoint for secrets and for untrusted server text.

Servers echo what they receive (a 535 reply can quote the base64 credentials), so
redaction works by *value* on every string that leaves the process, not only by the
position of an AUTH line (faults-and-security §5).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

REDACTED = "[redacted]"
MAX_TEXT = 2000


def _utf8(data: str) -> bytes:
    # surrogatepass: a password read from undecodable bytes must still be redactable
    return data.encode("utf-8", "surrogatepass")


def _b64(data: str) -> str:
    return base64.b64encode(_utf8(data)).decode("ascii")


class Redactor:
    """Replaces every known form of a secret with ``[redacted]``.

    Forms covered: the raw value, its base64, and the base64 of the SASL PLAIN
    blobs ``\\0user\\0pw`` and ``user\\0user\\0pw`` (RFC 4616), plus the XOAUTH2 blob.
    """

    def __init__(self, secrets: Iterable[str], username: str = "") -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            forms.add(secret)
            forms.add(_utf8(secret).decode("latin-1"))  # UTF-8 bytes shown as Latin-1
            forms.add(_b64(secret))
            forms.add(_b64(f"\0{username}\0{secret}"))
            forms.add(_b64(f"{username}\0{username}\0{secret}"))
            forms.add(_b64(f"user={username}\x01auth=Bearer {secret}\x01\x01"))
            stripped = secret.strip()
            if len(stripped) >= 4:
                forms.add(stripped)
        # Longest first so a blob containing another form is replaced whole.
        self._forms = sorted((f for f in forms if f), key=len, reverse=True)

    def finds(self, text: str) -> bool:
        """Whether ``text`` holds any form of a secret."""
        return any(form in text for form in self._forms)

    def spans(self, joined: str, parts: Sequence[str]) -> bool:
        """Whether ``joined``, the ``parts`` put together, holds a form of a secret more
        often than the parts do alone: one runs across where two of them meet."""
        return any(
            form in joined and _count(joined, form) > sum(_count(p, form) for p in parts)
            for form in self._forms
        )

    def __call__(self, text: str) -> str:
        found = False
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
                found = True
        # A secret that starts or ends like the marker is spelt anew by the marker and
        # what stays next to it (the secret "]]" in "]]]"): then none of the text is shown.
        return REDACTED if found and self.finds(text) else text

    def scrub(self, obj: T) -> T:
        """``obj`` with every string inside it redacted: dataclasses, tuples, lists,
        mappings. Applied to the finished Report, it is the last line of defence for
        text that did not pass through the transcript (reply texts, exception text)."""
        if not self._forms:
            return obj
        return self._scrub(obj)  # type: ignore[no-any-return]

    def _scrub(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self._scrub(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, tuple):
            return tuple(self._scrub(v) for v in obj)
        if isinstance(obj, list):
            return [self._scrub(v) for v in obj]
        if isinstance(obj, Mapping):
            return {k: self._scrub(v) for k, v in obj.items()}
        return obj


def _count(text: str, form: str) -> int:
    """How often ``form`` occurs in ``text``, overlapping occurrences included."""
    count, at = 0, text.find(form)
    while at >= 0:
        count, at = count + 1, text.find(form, at + 1)
    return count


NO_SECRETS = Redactor(())


def printable(text: str, limit: int = MAX_TEXT) -> str:
    """Server-controlled text made safe to show: control characters escaped, length capped.

    Terminal escape sequences in a banner or certificate name must not reach a
    terminal, and a flood must not reach a report (faults-and-security §0.2).
    """
    out = []
    for ch in text[:limit]:
        code = ord(ch)
        # isprintable() rejects every C0 and C1 control, DEL included (a tab too: it
        # moves the cursor like the others), and bidi overrides (U+202E) and line
        # separators, which would let a banner reorder or break the evidence shown next to it.
        if ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}")
    if len(text) > limit:
        out.append(f"… [{len(text) - limit} more characters]")
    return "".join(out)


def holds_secret(text: str, secret: str) -> bool:
    """Whether ``text``, about to be stored, is ``secret`` or contains it (trimmed too).

    A secret under 4 characters counts only when it is the whole text: shorter ones
    are parts of ordinary words, as in :func:`url_secrets`."""
    for form in {secret, secret.strip()}:
        if form and (text == form or (len(form) >= 4 and form in text)):
            return True
    return False


def url_secrets(url: str) -> list[str]:
    """The password and the query values of a URL (``?api_key=…``): an HTTP relay's
    key often travels there. Each as written in the URL (``K%2Bx``, ``K+x``) and as
    decoded, since the URL is shown as typed; plus ``user:password``, whose base64 is
    the Basic ``Authorization`` header a server may echo. Short values (under 4
    characters) are ordinary words."""
    from urllib.parse import unquote, unquote_plus, urlsplit

    try:
        parts = urlsplit(url)
        found: list[str] = []
        if parts.password:
            password, user = unquote(parts.password), unquote(parts.username or "")
            found += [parts.password, password, f"{user}:{password}"]
        for pair in parts.query.replace(";", "&").split("&"):
            value = pair.partition("=")[2]
            found += [value, unquote(value), unquote_plus(value)]
    except ValueError:
        return []
    return [v for v in found if len(v) >= 4]
