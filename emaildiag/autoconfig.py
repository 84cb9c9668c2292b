"""Thunderbird autoconfig XML for a working (or suggested) outgoing configuration.

The format is Mozilla's ``clientConfig version="1.1"``
(https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat), read by
Thunderbird, K-9/Thunderbird for Android, Evolution, Delta Chat and others when served
at ``https://autoconfig.<domain>/mail/config-v1.1.xml``. An IT helper can publish it so
every mail client of the domain gets the same settings the diagnosis found working.

``socketType`` follows RFC 8314's vocabulary: ``SSL`` is implicit TLS (port 465,
RFC 8314 §3), ``STARTTLS`` is the upgrade of a plain connection (port 587, RFC 3207),
``plain`` is no encryption at all.

Thunderbird's reader (``readFromXML``) refuses a file without at least one
``incomingServer`` ("Need proper <incomingServer> in XML file"). emaildiag only knows
the outgoing side, so an ``incomingServer`` is written only when the caller gives one
(:class:`IncomingServer`); without it the file documents the outgoing server for
people and for clients that read it leniently, and a complete file needs the IMAP or
POP3 server added.

The document is built with :mod:`xml.etree.ElementTree`, which escapes ``<``, ``&``
and quotes; characters XML 1.0 cannot carry at all (control characters) are refused
with :class:`ValueError` instead of being written into an ill-formed file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from email_validator import EmailNotValidError, validate_email

from emaildiag.fields import has_control

if TYPE_CHECKING:
    from emaildiag.discovery import Suggestion

__all__ = ["IncomingServer", "Security", "autoconfig_from_suggestion", "thunderbird_autoconfig"]

Security = Literal["starttls", "implicit", "none"]

SOCKET_TYPES: dict[str, str] = {"implicit": "SSL", "starttls": "STARTTLS", "none": "plain"}
EMAIL_ADDRESS = "%EMAILADDRESS%"  # placeholders the client fills in (format definition)
EMAIL_LOCALPART = "%EMAILLOCALPART%"


@dataclass(frozen=True)
class IncomingServer:
    """The IMAP or POP3 server to list next to the SMTP server (see the module docstring)."""

    type: Literal["imap", "pop3"]
    host: str
    port: int
    security: Security
    username: str | None = None  # None: the email address


def thunderbird_autoconfig(
    *,
    email: str,
    smtp_host: str,
    smtp_port: int,
    security: Security,
    username: str,
    display_name: str = "",
    incoming: IncomingServer | None = None,
) -> str:
    """A ``config-v1.1.xml`` document for ``email``'s domain with one outgoing SMTP server.

    ``display_name`` is the provider's name as clients show it (default: the domain).
    The username becomes ``%EMAILADDRESS%`` (or ``%EMAILLOCALPART%``) when it is the
    address (or its local part), so one file serves every mailbox of the domain.
    Authentication is ``password-cleartext``: AUTH PLAIN/LOGIN, which emaildiag uses and
    which is only safe inside TLS (RFC 8314 §3). Raises ValueError for an invalid
    address, port or security, or text XML cannot carry.
    """
    address, local, domain = _parse_address(email)
    provider = ET.Element("emailProvider", id=domain)
    ET.SubElement(provider, "domain").text = domain
    name = _text(display_name.strip(), "display_name") or domain
    ET.SubElement(provider, "displayName").text = name
    if incoming is not None:
        server = ET.SubElement(provider, "incomingServer", type=_incoming_type(incoming.type))
        _server_fields(
            server,
            incoming.host,
            incoming.port,
            incoming.security,
            _username(incoming.username or address, address, local),
        )
    server = ET.SubElement(provider, "outgoingServer", type="smtp")
    _server_fields(server, smtp_host, smtp_port, security, _username(username, address, local))
    root = ET.Element("clientConfig", version="1.1")
    root.append(provider)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def autoconfig_from_suggestion(s: Suggestion, email: str) -> str:
    """:func:`thunderbird_autoconfig` for a :class:`~emaildiag.discovery.Suggestion`."""
    return thunderbird_autoconfig(
        email=email,
        smtp_host=s.host,
        smtp_port=s.port,
        security=s.security,
        username=s.username,
    )


def _parse_address(email: str) -> tuple[str, str, str]:
    """(address, local part, ASCII domain); the domain in its IDNA form because
    clients sanitise ``<domain>`` and ``id`` as host names. The local part keeps its
    case (RFC 5321 §2.4), the domain does not."""
    if not isinstance(email, str) or has_control(email):
        raise ValueError("email: not a valid email address")
    try:
        v = validate_email(
            email.strip(),
            check_deliverability=False,
            allow_quoted_local=True,
            strict=True,
            test_environment=True,
        )
    except EmailNotValidError as exc:
        raise ValueError(f"email: {exc}") from None
    domain = v.ascii_domain.lower()
    return f"{v.local_part}@{domain}", v.local_part, domain


def _address_or_none(text: str) -> str | None:
    try:
        return _parse_address(text)[0]
    except ValueError:
        return None


def _server_fields(server: ET.Element, host: str, port: int, security: str, username: str) -> None:
    if security not in SOCKET_TYPES:
        raise ValueError(f"security must be one of {', '.join(SOCKET_TYPES)}, not {security!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be 1-65535, not {port!r}")
    host = _text(host.strip().rstrip(".").lower(), "host")
    if not host or any(ch.isspace() or ch in "/:@" for ch in host):
        raise ValueError(f"host: not a host name: {host!r}")
    ET.SubElement(server, "hostname").text = host
    ET.SubElement(server, "port").text = str(port)
    ET.SubElement(server, "socketType").text = SOCKET_TYPES[security]
    ET.SubElement(server, "username").text = username
    ET.SubElement(server, "authentication").text = "password-cleartext"


def _username(username: str, address: str, local: str) -> str:
    username = _text(username.strip(), "username")
    if not username:
        raise ValueError("username: empty")
    if "@" in username and _address_or_none(username) == address:
        return EMAIL_ADDRESS
    if username == local:
        return EMAIL_LOCALPART
    return username


def _incoming_type(kind: str) -> str:
    if kind not in ("imap", "pop3"):
        raise ValueError(f"incoming type must be imap or pop3, not {kind!r}")
    return kind


def _text(value: str, field: str) -> str:
    """Refuse what XML 1.0 cannot represent (§2.2 Char) or a field should not hold."""
    if has_control(value) or any(ch in "\ufffe\uffff" for ch in value):
        raise ValueError(f"{field}: control characters are not allowed")
    return value
