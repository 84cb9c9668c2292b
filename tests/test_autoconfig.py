"""Thunderbird autoconfig XML: parsed back with ElementTree, structure and values asserted."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from emaildiag.autoconfig import IncomingServer, autoconfig_from_suggestion, thunderbird_autoconfig
from emaildiag.discovery import Suggestion


def parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def outgoing(root: ET.Element) -> ET.Element:
    servers = root.findall("./emailProvider/outgoingServer")
    assert len(servers) == 1
    return servers[0]


def test_structure_and_values() -> None:
    root = parse(
        thunderbird_autoconfig(
            email="anna@Example.COM",
            smtp_host="smtp.example.com",
            smtp_port=587,
            security="starttls",
            username="anna@example.com",
            display_name="Example Mail",
        )
    )
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None and provider.get("id") == "example.com"
    assert [d.text for d in provider.findall("domain")] == ["example.com"]
    assert provider.findtext("displayName") == "Example Mail"
    assert provider.find("incomingServer") is None  # nothing known about it: omitted
    server = outgoing(root)
    assert server.get("type") == "smtp"
    assert [child.tag for child in server] == [
        "hostname",
        "port",
        "socketType",
        "username",
        "authentication",
    ]
    assert server.findtext("hostname") == "smtp.example.com"
    assert server.findtext("port") == "587"
    assert server.findtext("socketType") == "STARTTLS"
    assert server.findtext("username") == "%EMAILADDRESS%"
    assert server.findtext("authentication") == "password-cleartext"


@pytest.mark.parametrize(
    ("security", "socket_type"),
    [("implicit", "SSL"), ("starttls", "STARTTLS"), ("none", "plain")],
)
def test_socket_type_mapping(security: str, socket_type: str) -> None:
    text = thunderbird_autoconfig(
        email="a@example.com",
        smtp_host="smtp.example.com",
        smtp_port=465,
        security=security,  # type: ignore[arg-type]
        username="a@example.com",
    )
    assert outgoing(parse(text)).findtext("socketType") == socket_type


def test_other_usernames_are_kept_and_display_name_defaults_to_domain() -> None:
    root = parse(
        thunderbird_autoconfig(
            email="a@example.com",
            smtp_host="smtp.sendgrid.net",
            smtp_port=587,
            security="starttls",
            username="apikey",
        )
    )
    assert outgoing(root).findtext("username") == "apikey"
    assert root.findtext("./emailProvider/displayName") == "example.com"
    local = thunderbird_autoconfig(
        email="a@example.com",
        smtp_host="smtp.example.com",
        smtp_port=587,
        security="starttls",
        username="a",
    )
    assert outgoing(parse(local)).findtext("username") == "%EMAILLOCALPART%"


def test_special_characters_are_escaped() -> None:
    name = '</displayName><script>alert("x")</script> & Co \'s <Mail>'
    user = '<user>&"quoted"\''
    text = thunderbird_autoconfig(
        email='"we <3 mail"@example.com',
        smtp_host="smtp.example.com",
        smtp_port=587,
        security="starttls",
        username=user,
        display_name=name,
    )
    assert "<script>" not in text
    root = parse(text)
    assert root.findtext("./emailProvider/displayName") == name
    assert outgoing(root).findtext("username") == user
    assert len(root.findall(".//displayName")) == 1


def test_idn_domain_is_written_as_a_host_name() -> None:
    root = parse(
        thunderbird_autoconfig(
            email="jörg@bücher.example",
            smtp_host="smtp.xn--bcher-kva.example",
            smtp_port=465,
            security="implicit",
            username="jörg@bücher.example",
        )
    )
    assert root.findtext("./emailProvider/domain") == "xn--bcher-kva.example"
    assert outgoing(root).findtext("username") == "%EMAILADDRESS%"


def test_incoming_server_only_when_given() -> None:
    root = parse(
        thunderbird_autoconfig(
            email="a@example.com",
            smtp_host="smtp.example.com",
            smtp_port=465,
            security="implicit",
            username="a@example.com",
            incoming=IncomingServer("imap", "imap.example.com", 993, "implicit"),
        )
    )
    provider = root.find("emailProvider")
    assert provider is not None
    assert [c.tag for c in provider] == [
        "domain",
        "displayName",
        "incomingServer",
        "outgoingServer",
    ]
    incoming = provider.find("incomingServer")
    assert incoming is not None and incoming.get("type") == "imap"
    assert incoming.findtext("hostname") == "imap.example.com"
    assert incoming.findtext("port") == "993"
    assert incoming.findtext("socketType") == "SSL"
    assert incoming.findtext("username") == "%EMAILADDRESS%"


@pytest.mark.parametrize(
    "override",
    [
        {"email": "not an address"},
        {"email": "a@example.com\r\nX: y"},
        {"smtp_port": 0},
        {"smtp_port": 70000},
        {"security": "ssl"},
        {"smtp_host": ""},
        {"smtp_host": "smtp.example.com:587"},
        {"display_name": "bell\x07"},
        {"username": "a\nb"},
    ],
)
def test_bad_values_are_refused(override: dict[str, object]) -> None:
    args: dict[str, object] = {
        "email": "a@example.com",
        "smtp_host": "smtp.example.com",
        "smtp_port": 587,
        "security": "starttls",
        "username": "a@example.com",
    } | override
    with pytest.raises(ValueError):
        thunderbird_autoconfig(**args)  # type: ignore[arg-type]


def test_from_suggestion() -> None:
    s = Suggestion(
        "smtp.gmail.com", 465, "implicit", "x@gmail.com", "provider", "Gmail", 0.9, False
    )
    server = outgoing(parse(autoconfig_from_suggestion(s, "x@gmail.com")))
    assert server.findtext("hostname") == "smtp.gmail.com"
    assert server.findtext("port") == "465"
    assert server.findtext("socketType") == "SSL"
    assert server.findtext("username") == "%EMAILADDRESS%"
