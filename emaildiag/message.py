"""The test email of SPEC §2.8: a real message from the user's address, and its envelope.

Only the message is built here; the SMTP DATA step lives with the session code.  The copy
address (``copy_to``) is a blind copy: RFC 5322 §3.6.3 lets a Bcc field be dropped from the
copy delivered to the other recipients, and the one way to be sure no recipient ever sees
it is never to write it, so it exists only in the envelope (:func:`envelope_recipients`,
RFC 5321 §3.3 RCPT TO).  A PDF attachment is optional because a real invoice email carries
one, and filters that strip or reject PDFs are a failure the user should see in the test.

matplotlib is an optional extra (``report``/``notebook``): :func:`summary_pdf` imports it
only when called and writes a plain one-page PDF by hand without it.
"""

from __future__ import annotations

import email.policy
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal

import idna

__all__ = [
    "PDF_FILENAME",
    "SUBJECTS",
    "build_test_message",
    "envelope_recipients",
    "summary_pdf",
]

PDF_FILENAME = "emaildiag-test.pdf"
SUBJECTS = {
    "en": "emaildiag test email — your settings work",
    "it": "emaildiag: email di prova — le impostazioni funzionano",
}
_BODY = {
    "en": (
        "This is a test email sent by emaildiag on {when}.\n"
        "It checks that your app's outgoing email settings work. "
        "These settings were tested:\n\n{summary}\n\n"
        "If you are reading this, the mail server accepted and delivered the message.\n"
        "No password is included in this email.\n"
    ),
    "it": (
        "Questa è un'email di prova inviata da emaildiag il {when}.\n"
        "Serve a verificare che le impostazioni di posta in uscita del programma funzionino. "
        "Sono state provate queste impostazioni:\n\n{summary}\n\n"
        "Se questo messaggio è arrivato, il server di posta lo ha accettato e consegnato.\n"
        "Questa email non contiene alcuna password.\n"
    ),
}
_PDF_TITLE = {
    "en": "emaildiag test email: settings tested",
    "it": "emaildiag: impostazioni provate",
}
_LABELS = {
    "it": {"host": "server", "port": "porta", "security": "sicurezza", "username": "nome utente"},
}
# Key names that may hold a credential, compared with case and separators removed.
_SECRET_KEY = re.compile(r"password|passwd|passphrase|^pass$|pwd|secret|token|credential|apikey")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
_MAX_VALUE = 200


def build_test_message(
    *,
    sender: str,
    to: str,
    reply_to: str = "",
    settings_summary: Mapping[str, str],
    lang: str = "en",
    attach_pdf: bool = False,
    now: datetime | None = None,
    message_id_domain: str | None = None,
) -> EmailMessage:
    """A test email From ``sender`` To ``to``, saying when and with which settings it was sent.

    ``settings_summary`` (host, port, security mode, username…) is shown in the body and, with
    ``attach_pdf``, in an ``application/pdf`` attachment; a key that names a secret raises
    ``ValueError`` so a password can never be mailed.  Reply-To (RFC 5322 §3.6.2) is set only
    when given.  There is no Bcc field, ever: see the module docstring.  Every header value is
    checked for CR/LF first (header injection), and each address field must hold exactly one
    address.  The message is 7-bit clean (quoted-printable body, base64 PDF) so it needs no
    8BITMIME; serialise it with ``msg.as_bytes(policy=email.policy.SMTP)`` (CRLF lines), or
    with ``msg.as_bytes()`` when a non-ASCII local part made its policy SMTPUTF8 (RFC 6532).
    """
    lang = _language(lang)
    summary = _checked_summary(settings_summary)
    headers = {"From": _single_address(sender, "sender"), "To": _single_address(to, "to")}
    if reply_to:
        headers["Reply-To"] = _single_address(reply_to, "reply_to")
    when = _aware(now)
    domain = headers["From"].domain if message_id_domain is None else message_id_domain
    ascii_only = all(a.username.isascii() for a in headers.values())
    msg = EmailMessage(policy=email.policy.SMTP if ascii_only else email.policy.SMTPUTF8)
    for name, address in headers.items():
        msg[name] = address
    msg["Subject"] = SUBJECTS[lang]
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=_message_id_domain(domain))
    msg.set_content(_body(summary, lang, when), cte="quoted-printable")
    msg["Content-Language"] = lang  # RFC 3282; after set_content, which resets Content-*
    if attach_pdf:
        msg.add_attachment(
            summary_pdf(summary, lang),
            maintype="application",
            subtype="pdf",
            filename=PDF_FILENAME,
        )
    assert "Bcc" not in msg, "a blind copy goes in the envelope only"
    return msg


def envelope_recipients(to: str, copy_to: str = "") -> list[str]:
    """The RCPT TO addresses (RFC 5321 §3.3): ``to``, then ``copy_to`` as a blind copy.

    ``copy_to`` never becomes a header (RFC 5322 §3.6.3), so the envelope is the only place
    it exists.  Addresses are returned bare (no display name); a copy to the To address itself
    is dropped, comparing domains case-insensitively (RFC 5321 §2.4: local parts may be
    case-sensitive).
    """
    recipients = [_single_address(to, "to")]
    if copy_to:
        recipients.append(_single_address(copy_to, "copy_to"))
    unique: dict[tuple[str, str], str] = {}
    for address in recipients:
        unique.setdefault((address.username, address.domain.lower()), address.addr_spec)
    return list(unique.values())


def summary_pdf(
    settings_summary: Mapping[str, str],
    lang: str = "en",
    *,
    renderer: Literal["auto", "matplotlib", "builtin"] = "auto",
) -> bytes:
    """A one-page PDF listing the tested settings, as a stand-in for an invoice attachment.

    ``renderer="auto"`` draws with matplotlib when it is installed and writes the PDF by hand
    otherwise; ``"matplotlib"`` requires it (``ImportError`` without it), ``"builtin"`` never
    uses it.  Either way the bytes start with ``%PDF-`` and end with ``%%EOF``.
    """
    lines = _summary_lines(_checked_summary(settings_summary), _language(lang))
    title = _PDF_TITLE[_language(lang)]
    if renderer == "builtin":
        return _builtin_pdf(title, lines)
    if renderer == "auto":
        try:
            return _matplotlib_pdf(title, lines)
        except ImportError:
            return _builtin_pdf(title, lines)
    if renderer == "matplotlib":
        return _matplotlib_pdf(title, lines)
    raise ValueError(f"unknown PDF renderer {renderer!r}")


def _language(lang: str) -> str:
    primary = lang.split("-")[0].lower()
    if primary not in SUBJECTS:
        raise ValueError(f"unsupported language {lang!r}: one of {sorted(SUBJECTS)}")
    return primary


def _checked_summary(settings_summary: Mapping[str, str]) -> dict[str, str]:
    """The summary as plain one-line strings; refuses anything that could carry a secret."""
    checked: dict[str, str] = {}
    for key, value in settings_summary.items():
        if _SECRET_KEY.search(re.sub(r"[^a-z]", "", key.lower())):
            raise ValueError(f"settings_summary must not carry secrets: key {key!r}")
        text = str(value)
        if _CONTROL.search(key) or _CONTROL.search(text):
            raise ValueError(f"settings_summary[{key!r}] holds a line break or control character")
        checked[key] = text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"
    return checked


def _single_address(value: str, field: str) -> Address:
    """Exactly one address with a domain; CR/LF (header injection) refused before parsing.

    An internationalised domain comes back as its A-label when the local part is ASCII, so
    the header and RCPT TO need no SMTPUTF8; only a non-ASCII local part needs RFC 6531.
    """
    if "\r" in value or "\n" in value or _CONTROL.search(value):
        raise ValueError(f"{field} holds a line break or control character")
    header: Any = email.policy.SMTP.header_factory("To", value)
    addresses: Sequence[Address] = header.addresses
    # RFC 6532 allows a UTF-8 local part; the stdlib flags it, but it is not an error.
    defects = [d for d in header.defects if not isinstance(d, NonASCIILocalPartDefect)]
    if defects or len(addresses) != 1 or not addresses[0].domain:
        raise ValueError(f"{field} is not a single email address: {value!r}")
    address = addresses[0]
    if address.username.isascii() and not address.domain.isascii():
        # An ASCII local part at an IDN domain: the A-label keeps it plain SMTP (RFC 5890).
        ascii_domain = _message_id_domain(address.domain)
        return Address(address.display_name, address.username, ascii_domain)
    return address


def _message_id_domain(domain: str) -> str:
    """An ASCII domain (RFC 5322 §3.6.4 id-right, RFC 5321 Domain): an IDN as its A-label."""
    if _CONTROL.search(domain) or not domain or any(c in domain for c in " <>@"):
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValueError(f"not a usable Message-ID domain: {domain!r}") from error


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now().astimezone()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware: the Date header needs a UTC offset")
    return now


def _summary_lines(summary: Mapping[str, str], lang: str) -> list[str]:
    labels = _LABELS.get(lang, {})
    return [f"{labels.get(key, key)}: {value}" for key, value in summary.items()]


def _body(summary: Mapping[str, str], lang: str, when: datetime) -> str:
    listed = "\n".join(f"  {line}" for line in _summary_lines(summary, lang))
    stamp = when.isoformat(sep=" ", timespec="seconds")
    return _BODY[lang].format(when=stamp, summary=listed or "  -")


def _matplotlib_pdf(title: str, lines: Sequence[str]) -> bytes:
    """Drawn with the object API (no pyplot globals); parse_math off so '$' stays literal."""
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    rows = [title, "", *lines]
    height = 1.0 + 0.3 * len(rows)
    fig = Figure(figsize=(8.27, height))
    FigureCanvasPdf(fig)
    for index, row in enumerate(rows):
        y = 1.0 - (0.5 + 0.3 * index) / height
        weight = "bold" if index == 0 else "normal"
        fig.text(0.06, y, row, fontsize=11, weight=weight, va="top", parse_math=False)
    buffer = io.BytesIO()
    # A fixed CreationDate of None keeps the bytes reproducible for the same summary.
    fig.savefig(buffer, format="pdf", metadata={"Creator": "emaildiag", "CreationDate": None})
    return buffer.getvalue()


def _pdf_text(text: str) -> bytes:
    """A PDF literal string (ISO 32000-1 §7.3.4.2) in WinAnsiEncoding (≈ cp1252)."""
    raw = text.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _builtin_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A minimal one-page PDF 1.4 in Helvetica, with an exact cross-reference table."""
    wrapped = [part for line in lines for part in textwrap.wrap(line, 90) or [""]][:60]
    ops = [b"BT", b"/F1 14 Tf", b"16 TL", b"56 780 Td", _pdf_text(title) + b" Tj", b"/F1 11 Tf"]
    ops += [b"T*"] + [_pdf_text(line) + b" '" for line in wrapped] + [b"ET"]
    content = b"\n".join(ops) + b"\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Producer (emaildiag) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
