"""normalize_settings, Settings and save/load: codes and normalised values, never wording."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emaildiag.catalog import translate
from emaildiag.catalog.providers import PROVIDERS, provider_for_host
from emaildiag.model import Finding, Severity
from emaildiag.settings import (
    Settings,
    SettingsFileError,
    load_settings,
    normalize_settings,
    save_settings,
)

NORMALIZED = "settings.host_normalized"
HOST_INVALID = "settings.host_invalid"
HOST_IP = "settings.host_is_ip"
PORT_INVALID = "settings.port_invalid"
PORT_UNUSUAL = "settings.port_unusual"
EMAIL_INVALID = "settings.email_invalid"
EMAIL_REQUIRED = "settings.email_required"
PW_SPACE = "settings.password_whitespace"
PW_MISSING = "settings.password_missing"
VERIFY_OFF = "settings.tls_verify_disabled"
URL_INVALID = "settings.http_url_invalid"
REPLY_MISSING = "settings.http_reply_to_missing"
PROTOCOL_INVALID = "settings.protocol_invalid"
FIELD_INVALID = "settings.field_invalid"

SECRET = "pw-S3cret-canary"
BASE: dict[str, Any] = {
    "host": "smtp.gmail.com",
    "port": 587,
    "username": "alice@gmail.com",
    "password": SECRET,
}
HTTP: dict[str, Any] = {
    "protocol": "http",
    "http_url": "https://relay.example.com/send",
    "http_reply_to": "replies@example.com",
}


def normalize(**overrides: Any) -> tuple[Settings, list[str], tuple[Finding, ...]]:
    result, findings = normalize_settings({**BASE, **overrides})
    return result, sorted(f.code for f in findings), findings


def case(overrides: dict[str, Any], codes: list[str], **expected: Any) -> Any:
    try:
        name = repr(overrides)[:70]
    except ValueError:  # an integer too large to print
        name = "huge-int"
    return pytest.param(overrides, sorted(codes), expected, id=name)


CASES = [
    # host: what people paste
    case({}, [], host="smtp.gmail.com", port=587, tls_mode="starttls"),
    case(
        {"host": "smtp.gmail.com:587", "port": None}, [NORMALIZED], host="smtp.gmail.com", port=587
    ),
    case(
        {"host": "SMTPS://SMTP.GMAIL.COM", "port": None},
        [NORMALIZED],
        host="smtp.gmail.com",
        port=465,
        tls_mode="implicit",
    ),
    case({"host": " smtp.gmail.com "}, [NORMALIZED], host="smtp.gmail.com"),
    case({"host": "\u00a0smtp.gmail.com\u3000"}, [NORMALIZED], host="smtp.gmail.com"),
    case({"host": "smtp.gmail.com."}, [NORMALIZED], host="smtp.gmail.com"),
    case({"host": "SMTP.Gmail.COM"}, [NORMALIZED], host="smtp.gmail.com"),
    case({"host": "ｓｍｔｐ．ｇｍａｉｌ．ｃｏｍ"}, [NORMALIZED], host="smtp.gmail.com"),
    case(
        {"host": "https://mail.example.com/webmail"},
        [NORMALIZED],
        host="mail.example.com",
        port=587,
    ),
    case(
        {"host": "https://mail.example.com:8443/x?y#z", "port": None},
        [NORMALIZED],
        host="mail.example.com",
        port=587,
    ),
    case(
        {"host": "smtp://smtp.example.com:25", "port": None},
        [NORMALIZED],
        host="smtp.example.com",
        port=25,
    ),
    case({"host": "smtp://smtp.example.com", "port": None}, [NORMALIZED], port=587),
    case({"host": "submission://smtp.example.com", "port": None}, [NORMALIZED], port=587),
    case({"host": "submissions://smtp.example.com", "port": None}, [NORMALIZED], port=465),
    case({"host": "smtp.example.com:587", "port": 465}, [NORMALIZED], port=465),
    case({"host": "smtps://smtp.example.com", "port": 587}, [NORMALIZED], port=587),
    case(
        {"host": "[2001:db8::1]:587", "port": None},
        [NORMALIZED, HOST_IP],
        host="2001:db8::1",
        port=587,
    ),
    case({"host": "2001:DB8::1"}, [NORMALIZED, HOST_IP], host="2001:db8::1"),
    case({"host": "192.0.2.10"}, [HOST_IP], host="192.0.2.10"),
    case({"host": "[192.0.2.10]"}, [NORMALIZED, HOST_IP], host="192.0.2.10"),
    case({"host": "faß.de"}, [NORMALIZED], host="xn--fa-hia.de"),
    case({"host": "smtp.bücher.example"}, [NORMALIZED], host="smtp.xn--bcher-kva.example"),
    case({"host": "☃.net"}, [HOST_INVALID], host=""),
    case({"host": "📧.example.com"}, [HOST_INVALID], host=""),
    case({"host": "alice@example.com"}, [HOST_INVALID], host=""),
    case({"host": "mailto:alice@example.com"}, [HOST_INVALID], host=""),
    case({"host": "smtp://user:secret@smtp.example.com"}, [HOST_INVALID], host=""),
    case({"host": "smtp.gmail.com\r\nRSET"}, [HOST_INVALID], host=""),
    case({"host": "smtp.gmail.com\n"}, [HOST_INVALID], host=""),
    case({"host": "smtp.gmail.com\x00"}, [HOST_INVALID], host=""),
    case({"host": "smtp.gmail\u2028.com"}, [HOST_INVALID], host=""),
    case({"host": "exa mple.com"}, [HOST_INVALID], host=""),
    case({"host": "a" * 64 + ".com"}, [HOST_INVALID], host=""),
    case({"host": ("a" * 63 + ".") * 4 + "com"}, [HOST_INVALID], host=""),
    case({"host": "x" * 5000}, [HOST_INVALID], host=""),
    case({"host": "smtp_relay.example.com"}, [HOST_INVALID], host=""),
    case({"host": "-smtp.example.com"}, [HOST_INVALID], host=""),
    case({"host": "smtp..example.com"}, [HOST_INVALID], host=""),
    case({"host": "1.2.3"}, [HOST_INVALID], host=""),
    case({"host": "ftp://smtp.example.com"}, [HOST_INVALID], host=""),
    case({"host": "smtp.example.com:abc"}, [HOST_INVALID], host=""),
    case({"host": "[not-an-ip]:587"}, [HOST_INVALID], host=""),
    case({"host": ""}, [HOST_INVALID], host=""),
    case({"host": "   "}, [HOST_INVALID], host=""),
    case({"host": None}, [HOST_INVALID], host=""),
    case({"host": ["smtp.gmail.com"]}, [HOST_INVALID], host=""),
    case({"host": 42}, [HOST_INVALID], host=""),
    # port
    case({"port": "465"}, [], port=465, tls_mode="implicit"),
    case({"port": " 25 "}, [], port=25, tls_mode="starttls"),
    case({"port": None}, [], port=587),
    case({"port": ""}, [], port=587),
    case({"port": 2525}, [PORT_UNUSUAL], port=2525, tls_mode="auto"),
    case({"port": 70000}, [PORT_INVALID], port=None),
    case({"port": "abc"}, [PORT_INVALID], port=None),
    case({"port": -1}, [PORT_INVALID], port=None),
    case({"port": 0}, [PORT_INVALID], port=None),
    case({"port": True}, [PORT_INVALID], port=None),
    case({"port": 587.0}, [PORT_INVALID], port=None),
    case({"port": [587]}, [PORT_INVALID], port=None),
    case({"port": "５８７"}, [PORT_INVALID], port=None),
    case({"port": 10**5000}, [PORT_INVALID], port=None),
    case({"host": "smtp.example.com:70000", "port": None}, [NORMALIZED, PORT_INVALID], port=None),
    # addresses
    case({"email": "Bob@EXAMPLE.com"}, [], email="Bob@example.com", sender="Bob@example.com"),
    case({"email": "bob@faß.de"}, [], email="bob@xn--fa-hia.de"),
    case({"email": "  bob@example.com "}, [], email="bob@example.com"),
    case({"email": "bob@example.com\r\nRCPT TO:<x@y.z>"}, [EMAIL_INVALID], email=""),
    case({"email": "bob@example.com\n"}, [EMAIL_INVALID], email=""),
    case({"email": "bob\x7f@example.com"}, [EMAIL_INVALID], email=""),
    case({"email": "bob\t@example.com"}, [EMAIL_INVALID], email=""),
    case({"copy_to": "a@b.example, evil@x.org"}, [EMAIL_INVALID], copy_to=""),
    case({"reply_to": "Alice <alice@example.com>"}, [EMAIL_INVALID], reply_to=""),
    case({"reply_to": "<alice@example.com>"}, [EMAIL_INVALID], reply_to=""),
    case({"reply_to": "alice@example.org)<bob@example.org>"}, [EMAIL_INVALID], reply_to=""),
    case({"reply_to": "x" * 65 + "@example.com"}, [EMAIL_INVALID], reply_to=""),
    case({"copy_to": "alice@☃.net"}, [EMAIL_INVALID], copy_to=""),
    case({"copy_to": ["a@example.com"]}, [EMAIL_INVALID], copy_to=""),
    case(
        {"copy_to": "archive@example.com", "reply_to": "office@example.com"},
        [],
        copy_to="archive@example.com",
        reply_to="office@example.com",
    ),
    # username / email required
    case({"host": "smtp.sendgrid.net", "username": "apikey"}, [EMAIL_REQUIRED], sender=""),
    case(
        {"host": "smtp.sendgrid.net", "username": "apikey", "email": "me@example.com"},
        [],
        sender="me@example.com",
    ),
    case(
        {"username": "  alice@gmail.com  "},
        [],
        username="alice@gmail.com",
        sender="alice@gmail.com",
    ),
    case({"username": "alice smith"}, [EMAIL_REQUIRED], username="alice smith"),
    case({"username": "", "password": ""}, [EMAIL_REQUIRED]),
    case({"username": "apikey", "email": "not-an-address"}, [EMAIL_INVALID]),
    case({"username": 12345}, [FIELD_INVALID], username=""),
    case({"username": "alice\r\n@gmail.com"}, [FIELD_INVALID], username=""),
    # password
    case({"password": ""}, [PW_MISSING], password=""),
    case({"password": None}, [PW_MISSING], password=""),
    case({"password": " secret "}, [PW_SPACE], password=" secret "),
    case({"password": "secret\n"}, [PW_SPACE], password="secret\n"),
    case({"password": "sec\u200bret"}, [PW_SPACE], password="sec\u200bret"),
    case({"password": "secret\u00a0"}, [PW_SPACE], password="secret\u00a0"),
    case({"password": "correct horse battery"}, [], password="correct horse battery"),
    case({"password": "abcd efgh ijkl mnop"}, [PW_SPACE], password="abcdefghijklmnop"),
    case({"password": " abcd efgh ijkl mnop\n"}, [PW_SPACE], password="abcdefghijklmnop"),
    case(
        {"host": "smtp.example.com", "password": "abcd efgh ijkl mnop"},
        [],
        password="abcd efgh ijkl mnop",
    ),
    case({"password": b"bytes"}, [FIELD_INVALID], password=""),
    # TLS verification
    case({"verify_tls": False}, [VERIFY_OFF], verify_tls=False),
    case({"host": "mail.example.com", "verify_tls": "no"}, [VERIFY_OFF], verify_tls=False),
    case({"verify_tls": "yes"}, [], verify_tls=True),
    case({"verify_tls": "maybe"}, [FIELD_INVALID], verify_tls=True),
    case({"verify_tls": None}, [], verify_tls=True),
    # protocol and the HTTP relay
    case(HTTP, [], protocol="http", http_url="https://relay.example.com/send"),
    case({**HTTP, "host": "bad host", "port": "x", "username": 5}, [], protocol="http"),
    case({**HTTP, "http_url": "ftp://relay.example.com"}, [URL_INVALID], http_url=""),
    case({**HTTP, "http_url": "https:///send"}, [URL_INVALID], http_url=""),
    case({**HTTP, "http_url": "https://relay.example.com:99999/"}, [URL_INVALID]),
    case({**HTTP, "http_url": "https://relay.example.com/\r\nX: y"}, [URL_INVALID]),
    case({**HTTP, "http_url": ""}, [URL_INVALID]),
    case({**HTTP, "http_url": "http://relay.example.com/send"}, [], protocol="http"),
    case({**HTTP, "http_reply_to": ""}, [REPLY_MISSING], http_reply_to=""),
    case({**HTTP, "http_reply_to": "R@Example.com"}, [], http_reply_to="R@example.com"),
    case({**HTTP, "http_reply_to": "nope"}, [EMAIL_INVALID], http_reply_to=""),
    case({"http_url": "garbage", "http_reply_to": "garbage"}, [], protocol="smtp", http_url=""),
    case({"protocol": "carrier-pigeon"}, [PROTOCOL_INVALID], protocol="smtp"),
    case(
        {"protocol": " HTTP ", "http_url": HTTP["http_url"], "http_reply_to": "r@example.com"},
        [],
        protocol="http",
    ),
    case({"protocol": 7}, [PROTOCOL_INVALID], protocol="smtp"),
    # language
    case({"lang": "it"}, [], lang="it"),
    case({"lang": "xx"}, [], lang="en"),
    case({"lang": None}, [], lang="en"),
]


@pytest.mark.parametrize(("overrides", "codes", "expected"), CASES)
def test_normalisation(
    overrides: dict[str, Any], codes: list[str], expected: dict[str, Any]
) -> None:
    result, got, _ = normalize(**overrides)
    assert got == codes
    for name, value in expected.items():
        assert getattr(result, name) == value, name


def test_severities() -> None:
    assert _severity(verify_tls=False) is Severity.ERROR  # a public provider
    assert _severity(host="mail.example.com", verify_tls=False) is Severity.WARNING
    assert _severity(host="192.0.2.1") is Severity.WARNING
    assert _severity(port=2525) is Severity.INFO
    assert _severity(host="bad host") is Severity.ERROR


def _severity(**overrides: Any) -> Severity:
    (finding,) = normalize(**overrides)[2]
    return finding.severity


def test_params_say_what_was_changed() -> None:
    (f,) = normalize(host=" SMTPS://SMTP.GMAIL.COM ", port=None)[2]
    assert (f.params["host"], f.params["original"]) == (
        "smtp.gmail.com",
        " SMTPS://SMTP.GMAIL.COM ",
    )
    assert f.port == 465
    (f,) = normalize(host="smtp.example.com:587", port=465)[2]
    assert f.port == 465 and "587" in (f.detail or "")
    (f,) = normalize(copy_to="a@b.example, c@d.example")[2]
    assert f.params["field"] == "copy_to"
    (f,) = normalize(verify_tls=False)[2]
    assert (f.params["host"], f.params["provider"]) == ("smtp.gmail.com", "Gmail")


def test_pasted_url_credentials_are_not_echoed() -> None:
    _, _, findings = normalize(host="smtps://alice:hunter2@smtp.example.com")
    assert "hunter2" not in _all_text(findings)
    _, _, findings = normalize(**{**HTTP, "http_url": "ftp://bob:hunter3@relay.example.com"})
    assert "hunter3" not in _all_text(findings)


def test_findings_follow_the_language() -> None:
    _, _, findings = normalize(host="alice@example.com", lang="it")
    assert findings[0].title == translate(findings[0], "it").title


def test_settings_object_input_and_unknown_keys() -> None:
    raw = Settings(host="SMTP.GMAIL.COM", username="alice@gmail.com", password=SECRET)
    result, findings = normalize_settings(raw)
    assert (result.host, result.port, result.password) == ("smtp.gmail.com", 587, SECRET)
    assert [f.code for f in findings] == [NORMALIZED]
    assert normalize_settings({**BASE, "colour": "blue"})[0].host == "smtp.gmail.com"
    with pytest.raises(TypeError):
        normalize_settings(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_redacted_and_repr_hide_the_password() -> None:
    s = Settings(
        host="h.example", username="u", password=SECRET, http_url="https://u:tok@r.example/"
    )
    red = s.redacted()
    assert "password" not in red and red["password_set"] is True
    assert SECRET not in repr(s) and SECRET not in json.dumps(red)
    assert "tok" not in red["http_url"]
    assert Settings().redacted()["password_set"] is False
    assert s.with_password("other").password == "other" and s.password == SECRET


def test_tls_mode_and_sender() -> None:
    assert [Settings(port=p).tls_mode for p in (465, 587, 25, 2525, None)] == [
        "implicit",
        "starttls",
        "starttls",
        "auto",
        "starttls",
    ]
    assert Settings(username="Alice@Example.COM").sender == "Alice@example.com"
    assert Settings(username="apikey").sender == ""
    assert Settings(username="apikey", email="me@example.com").sender == "me@example.com"


def test_providers() -> None:
    assert provider_for_host("SMTP.GMAIL.COM.").id == "gmail"  # type: ignore[union-attr]
    assert provider_for_host("email-smtp.eu-west-1.amazonaws.com").id == "ses"  # type: ignore[union-attr]
    assert provider_for_host("smtp.zoho.com.au").id == "zoho"  # type: ignore[union-attr]
    assert provider_for_host("email-smtp.amazonaws.com") is None
    assert provider_for_host("evil-smtp.gmail.com.example") is None
    assert provider_for_host("") is None
    assert len({p.id for p in PROVIDERS}) == len(PROVIDERS)
    assert all(p.sources for p in PROVIDERS)


# --- properties ---------------------------------------------------------------------

MARK = "pw§"  # every generated password carries it; it must never reach a finding
HOSTILE = ["smtp.gmail.com", "smtps://x", "[::1]:25", "a@b.c", "\r\n", "\x00", "faß.de", ":", "//"]
values = st.one_of(
    st.text(max_size=60),
    st.builds("".join, st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), max_size=4)),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.text(max_size=5), max_size=2),
    st.binary(max_size=10),
)
passwords = st.tuples(st.text(" \t\n\u00a0\u200b", max_size=2), st.text(max_size=30)).map(
    lambda parts: parts[0] + MARK + parts[1] + parts[0]
)
FIELDS = [n for n in Settings.__dataclass_fields__ if n != "password"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: values for name in FIELDS}), passwords)
def test_never_raises_and_never_leaks_the_password(raw: dict[str, Any], password: str) -> None:
    assume(all(MARK not in repr(v) for v in raw.values()))
    result, findings = normalize_settings({**raw, "password": password})
    assert MARK not in _all_text(findings)
    assert MARK not in repr(result) and MARK not in json.dumps(result.redacted(), default=str)
    assert result.protocol in ("smtp", "http") and result.lang in ("en", "it")
    assert result.port is None or 1 <= result.port <= 65535
    assert all("\r" not in v and "\n" not in v for v in _texts(result))
    again = normalize_settings(result)[0]
    if result.port is None:  # an invalid port was dropped; the second pass takes the default
        again = replace(again, port=None)
    assert again == result


@pytest.mark.parametrize("host", ["smtp.gmail.com", "smtp.example.com"])
@pytest.mark.parametrize(
    "password",
    [
        "abcd efgh ijkl mnop",
        " abcd efgh ijkl mnop\n",
        "abcd\u00a0efgh\u00a0ijkl\u00a0mnop",
        "abcd efgh ijkl mnop\u200b",
    ],
)
def test_app_password_is_never_echoed(host: str, password: str) -> None:
    _, findings = normalize_settings({**BASE, "host": host, "password": password})
    assert "abcd" not in _all_text(findings) and "mnop" not in _all_text(findings)


def _texts(s: Settings) -> list[str]:
    return [s.host, s.username, s.email, s.copy_to, s.reply_to, s.http_url, s.http_reply_to]


def _all_text(findings: tuple[Finding, ...]) -> str:
    return json.dumps(
        [(f.title, f.fix, f.detail, dict(f.params)) for f in findings], ensure_ascii=False
    )


# --- save / load --------------------------------------------------------------------

TRICKY = Settings(
    host="smtp.example.com",
    port=465,
    username='we"ird\\name\x7f\x01 ü 📧',
    email="me@example.com",
    password=SECRET,
    copy_to="",
    verify_tls=False,
    protocol="http",
    http_url="https://relay.example.com/send?a=1&b=2",
    http_reply_to="r@example.com",
    lang="it",
)


@pytest.mark.parametrize("suffix", [".toml", ".json", ".TOML"])
def test_round_trip_without_the_password(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"settings{suffix}"
    save_settings(TRICKY, path)
    assert SECRET.encode() not in path.read_bytes()
    assert b"password" not in path.read_bytes().split(b"\n", 1)[1]  # only the header says it
    loaded = load_settings(path)
    assert loaded == TRICKY and loaded.password == ""


def test_port_none_is_omitted(tmp_path: Path) -> None:
    for name in ("s.toml", "s.json"):
        save_settings(Settings(host="h.example"), tmp_path / name)
        assert load_settings(tmp_path / name).port is None


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_toml_strings_round_trip(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("rt") / "s.toml"
    save_settings(Settings(username=text, http_url=text), path)
    assert load_settings(path).username == text


def test_load_ignores_password_and_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"host": "h.example", "password": "x", "colour": 1, "port": None}))
    loaded = load_settings(path)
    assert (loaded.host, loaded.password, loaded.port) == ("h.example", "", None)
    toml = tmp_path / "s.toml"
    toml.write_text('host = "h.example"\npassword = "x"\n[extra]\na = 1\n', encoding="utf-8")
    assert load_settings(toml).password == ""


BAD_FILES = {
    "toml-syntax": ("s.toml", b"host = "),
    "json-syntax": ("s.json", b"{"),
    "json-list": ("s.json", b"[1, 2]"),
    "port-text": ("s.json", b'{"port": "587"}'),
    "port-bool": ("s.json", b'{"port": true}'),
    "verify-int": ("s.toml", b"verify_tls = 1"),
    "host-list": ("s.toml", b'host = ["a"]'),
    "not-utf8": ("s.json", b"\xff\xfe"),
    "deep-nesting": ("s.json", b"[" * 100_000),
    "extension": ("s.yaml", b"host: x"),
    "too-large": ("s.json", b" " * (2 << 20)),
}


@pytest.mark.parametrize(("name", "content"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_raise_one_line_errors(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SettingsFileError) as info:
        load_settings(path)
    assert "\n" not in str(info.value)


def test_missing_file_and_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(SettingsFileError):
        load_settings(tmp_path / "missing.toml")
    with pytest.raises(SettingsFileError):
        save_settings(Settings(), tmp_path / "no-such-dir" / "s.toml")
    with pytest.raises(SettingsFileError):
        save_settings(Settings(port="587"), tmp_path / "s.toml")  # type: ignore[arg-type]


def test_password_from_undecodable_bytes_is_field_invalid_and_never_shown() -> None:
    raw = b"pa\xffss-secret".decode("utf-8", "surrogateescape")
    settings, findings = normalize_settings(
        {"host": "smtp.example.com", "username": "a@example.com", "password": raw}
    )
    assert [f.code for f in findings] == ["settings.field_invalid"]
    assert settings.password == ""
    assert all("secret" not in f"{f.title} {f.fix} {f.detail} {dict(f.params)}" for f in findings)
