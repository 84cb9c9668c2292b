"""Properties of the parts that meet hostile input first: the SMTP reply reader, the
redaction of secrets, the escaping of server text and the settings normaliser.

Each property runs a fixed number of generated examples under the suite's
``hostile_ci`` settings (derandomised, no per-example deadline, no example database), so
CI runs the same examples every time; ``--hypothesis-show-statistics`` shows the counts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import decimal
import ipaddress
import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any, cast

import idna
import pytest
from harness import USER, hostile_ci, secret_forms
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emaildiag.checks.wire import (
    MAX_LINE,
    MAX_LINES,
    Channel,
    ProtocolError,
    Reply,
    Transcript,
    auth_mechanisms,
    parse_ehlo,
)
from emaildiag.fields import as_address
from emaildiag.model import Finding
from emaildiag.redact import REDACTED, Redactor, printable
from emaildiag.settings import Settings, normalize_settings

CI = hostile_ci(HealthCheck.data_too_large)

# What must never reach a person's screen from untrusted text: C0 controls (tab
# included), DEL, C1 controls, and the marks that reorder text (bidi overrides and
# isolates, LRM/RLM/ALM), plus line and paragraph separators.
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORBIDDEN = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} | BIDI | {"\u2028", "\u2029"}


def shows_control(text: str) -> bool:
    return any(ch in FORBIDDEN or unicodedata.category(ch) == "Cs" for ch in text)


ESCAPE_WIDTH = len("\\x10ffff")  # the widest escape printable() writes for one character


def capped(text: str, limit: int) -> bool:
    """printable()'s cap: at most ``limit`` characters of the input shown, each at most
    one escape wide, then a note of how many were left out."""
    return len(text) <= limit * ESCAPE_WIDTH + len(f"… [{10**9} more characters]")


# --- the SMTP reply reader --------------------------------------------------------------


class _ReadOnly:
    """The writer half of a Channel that is only read from (no network here)."""

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


def channel(redactor: Redactor) -> tuple[asyncio.StreamReader, Channel]:
    reader = asyncio.StreamReader(limit=MAX_LINE)  # what Channel.open gives it
    writer = cast(asyncio.StreamWriter, _ReadOnly())
    chan = Channel(reader, writer, port=587, address="127.0.0.1", transcript=Transcript(redactor))
    return reader, chan


async def feed(reader: asyncio.StreamReader, chunks: list[bytes], eof: bool) -> None:
    """Deliver the bytes in pieces, letting the reader run between them."""
    for chunk in chunks:
        reader.feed_data(chunk)
        await asyncio.sleep(0)
    if eof:
        reader.feed_eof()


CODES = [b"220", b"250", b"334", b"354", b"421", b"535", b"599", b"199", b"600", b"25", b"2x0", b""]
SEPARATORS = [b" ", b"-", b"", b"  ", b"\t", b"--"]
TEXTS = [
    b"mail.example.test ESMTP",
    b"AUTH PLAIN LOGIN XOAUTH2",
    b"AUTH=LOGIN PLAIN",
    b"auth  plain plain Login",
    b"AUTH",
    b"STARTTLS",
    b"SIZE 35882577",
    b"\x1b[31mred\x1b[0m",
    b"\xe2\x80\xae evil",  # U+202E, right-to-left override
    "café ☕".encode(),
    b"\xff\xfe\xc3",
    b"\x00",
    b"\r",
    b"\t",
    b"5.7.8 bad",
    b"A" * (MAX_LINE + 10),
]
ENDINGS = [b"\r\n", b"\n", b"\r", b"", b"\r\r\n", b"\n\r\n"]
reply_line = st.tuples(
    st.sampled_from(CODES),
    st.sampled_from(SEPARATORS),
    st.sampled_from(TEXTS) | st.binary(max_size=40),
    st.sampled_from(ENDINGS),
).map(b"".join)
floods = st.sampled_from(
    [
        b"250-x\r\n" * (MAX_LINES + 1) + b"250 end\r\n",  # too many lines
        b"250-" + b"B" * 3000 + b"\r\n" + b"250-" + b"B" * 3000 + b"\r\n",
        b"250-" + b"C" * (MAX_LINE * 2),  # one endless line
    ]
)
streams = st.lists(reply_line | floods, max_size=12).map(b"".join) | st.binary(max_size=300)


@settings(CI, max_examples=400)
@given(data=streams, cuts=st.lists(st.integers(0, 400), max_size=4), eof=st.booleans())
def test_reply_reader_raises_only_its_documented_errors(
    data: bytes, cuts: list[int], eof: bool
) -> None:
    """Any bytes at all, in any pieces, with or without the server closing: the reader
    returns well-formed replies or raises ProtocolError, ConnectionResetError or (only
    when more bytes could still come) TimeoutError; what it returns and records is
    bounded and escaped, and EHLO keywords and AUTH mechanisms come out clean."""
    bounds = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]

    async def read_all() -> tuple[list[Reply], BaseException, Channel]:
        reader, chan = channel(Redactor(()))
        feeder = asyncio.create_task(feed(reader, chunks, eof))
        replies: list[Reply] = []
        wait = 1.0 if eof else 0.01
        try:
            replies.append(await chan.read_greeting(wait))
            for _ in range(len(data) + 1):  # each reply takes at least one byte
                replies.append(await chan.read_reply(wait))
            raise AssertionError("more replies than bytes")
        except (ProtocolError, ConnectionResetError, TimeoutError) as exc:
            await feeder
            return replies, exc, chan

    replies, error, chan = asyncio.run(read_all())
    if eof:
        assert not isinstance(error, TimeoutError), "waited for bytes after the server closed"
    assert chan.bytes_read <= len(data)
    for reply in replies:
        assert 200 <= reply.code <= 599 and 1 <= len(reply.lines) <= MAX_LINES
        ehlo = parse_ehlo(reply)
        assert not any(shows_control(line) or not capped(line, 200) for line in ehlo)
        mechanisms = auth_mechanisms(ehlo)
        assert len(set(mechanisms)) == len(mechanisms)
        assert all(m and m == m.upper() and not any(c.isspace() for c in m) for m in mechanisms)
    for line in chan.transcript.lines:
        assert not shows_control(line.text) and capped(line.text, 1000), line


@settings(CI, max_examples=300)
@given(
    lines=st.lists(
        st.text(max_size=30) | st.sampled_from(["AUTH PLAIN", "AUTH=LOGIN cram-md5", "auth"]),
        max_size=8,
    )
)
def test_ehlo_keywords_and_mechanisms_from_any_reply(lines: list[str]) -> None:
    """parse_ehlo escapes and caps every keyword line (the first line, the server's
    name, is dropped); auth_mechanisms names each mechanism once, upper-case, and only
    from an ``AUTH``/``AUTH=`` line."""
    reply = Reply(250, ("mail.example.test", *lines))
    ehlo = parse_ehlo(reply)
    assert len(ehlo) == len(lines)
    assert not any(shows_control(line) or not capped(line, 200) for line in ehlo)
    mechanisms = auth_mechanisms(ehlo)
    assert len(set(mechanisms)) == len(mechanisms)
    offered = {
        word.upper()
        for line in ehlo
        if re.match(r"(?i)auth[ =]", line)
        for word in line[5:].split()
    }
    assert set(mechanisms) <= offered
    assert all(m and m == m.upper() and not any(c.isspace() for c in m) for m in mechanisms)


# --- redaction --------------------------------------------------------------------------

# Passwords of every shape, and ones made of pieces of the marker itself: a secret that
# starts or ends like "[redacted]" can be spelt anew by the marker and its neighbours.
MARKER_PIECES = ["[", "[re", "red", "d", "acted", "]", "ted]", "]]", REDACTED, "x", "é"]
passwords = st.text(min_size=1, max_size=24) | st.lists(
    st.sampled_from(MARKER_PIECES), min_size=1, max_size=5
).map("".join)
usernames = st.text(max_size=16) | st.just("alice@example.test")
around = st.text(max_size=12) | st.lists(st.sampled_from(MARKER_PIECES), max_size=4).map("".join)


REJOINED = ("", " ", "\n")  # how a reader may put split lines back together


def visible_forms(password: str, username: str) -> list[str]:
    """Every form the redactor promises to hide (raw, base64, PLAIN blob with and
    without authzid, XOAUTH2 blob, UTF-8 read as Latin-1), as the harness lists them.

    A password that markers spell, alone or next to each other ("d", "]["), cannot
    be hidden by any marker: those are left out."""
    markers = [sep.join([REDACTED] * 8) for sep in REJOINED]
    assume(not any(password in m for m in markers))
    return secret_forms(password, username)


@settings(CI, max_examples=500)
@given(password=passwords, username=usernames, before=around, after=around, data=st.data())
def test_redaction_hides_every_form_of_any_password(
    password: str, username: str, before: str, after: str, data: st.DataObject
) -> None:
    """Whatever the password and whatever surrounds it, no form of it survives."""
    forms = visible_forms(password, username)
    form = data.draw(st.sampled_from(forms), label="form")
    repeats = data.draw(st.integers(1, 3), label="repeats")
    shown = Redactor([password], username)(before + (form + after) * repeats)
    assert not any(f in shown for f in forms), shown


def split_points(size: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, max(1, size - 1)), min_size=1, max_size=3).map(
        lambda cuts: sorted(set(cuts))
    )


def pieces_of(value: Any, cuts: list[int]) -> list[Any]:
    bounds = [0, *(c for c in cuts if 0 < c < len(value)), len(value)]
    return [value[a:b] for a, b in itertools.pairwise(bounds)]


def assert_no_piece_shown(shown: list[str], pieces: list[str], form: str, forms: list[str]) -> None:
    """A line that carried a piece of a split secret shows none of it (a piece the
    marker itself contains, like "d", proves nothing).

    Unless the form holds a shorter form (by chance, the base64 of the password can sit
    inside the XOAUTH2 blob): hiding the lines of the shorter one breaks both, and the
    lines left shown carry only the blob's non-secret start."""
    if any(other != form and other in form for other in forms):
        return
    for line, piece in zip(shown, pieces, strict=False):
        for seen in {piece, printable(piece, 10_000)}:
            assert seen in REDACTED or seen not in line, (line, piece)


@settings(CI, max_examples=400)
@given(password=passwords, username=usernames, before=around, after=around, data=st.data())
def test_redact_lines_hides_a_secret_split_across_reply_lines(
    password: str, username: str, before: str, after: str, data: st.DataObject
) -> None:
    """A server may echo a secret over continuation lines, split anywhere: the lines
    together must not spell it, read run together, joined by spaces or by line breaks."""
    forms = visible_forms(password, username)
    form = data.draw(st.sampled_from(forms), label="form")
    assume(len(form) >= 2)
    pieces = pieces_of(form, data.draw(split_points(len(form)), label="cuts"))
    lines = [before + pieces[0], *pieces[1:-1], pieces[-1] + after]
    shown = Transcript(Redactor([password], username)).redact_lines(lines)
    for sep in REJOINED:
        assert not any(f in sep.join(shown) for f in forms), shown
    assert_no_piece_shown(shown[1:-1], pieces[1:-1], form, forms)


# A password on the wire holds no line break: it would end the line it is in.
wire_passwords = passwords.filter(lambda p: "\r" not in p and "\n" not in p)


@settings(CI, max_examples=300)
@given(
    password=wire_passwords,
    username=usernames,
    before=st.sampled_from([b"", b"5.7.8 bad credentials ", b"\xc3"]),
    after=st.sampled_from([b"", b" (echo)", b"\xa9"]),
    data=st.data(),
)
def test_a_real_channel_hides_a_secret_split_at_any_byte(
    password: str, username: str, before: bytes, after: bytes, data: st.DataObject
) -> None:
    """The server echoes a form of the secret across continuation lines of one reply,
    cut at any byte, even inside a UTF-8 character: neither the Reply nor the
    transcript shows the secret, nor any piece of it."""
    forms = visible_forms(password, username)
    form = data.draw(st.sampled_from(forms), label="form")
    raw = form.encode("utf-8", "surrogatepass")
    assume(len(raw) >= 2)
    pieces = pieces_of(raw, data.draw(split_points(len(raw)), label="cuts"))
    texts = [before + pieces[0], *pieces[1:-1], pieces[-1] + after]
    wire = b"".join(b"535-" + t + b"\r\n" for t in texts[:-1]) + b"535 " + texts[-1] + b"\r\n"

    async def read() -> tuple[Reply | None, Channel]:
        reader, chan = channel(Redactor([password], username))
        reader.feed_data(wire)
        reader.feed_eof()
        try:
            return await chan.read_reply(1.0), chan
        except ProtocolError:  # a control character in the secret breaks the reply
            return None, chan

    reply, chan = asyncio.run(read())
    shown = [re.sub(r"^5\d\d[ -]", "", line.text) for line in chan.transcript.lines]
    assert len(shown) == len(texts) or reply is None  # a broken reply stops at that line
    views = [shown] if reply is None else [shown, list(reply.lines)]
    decoded = [p.decode("utf-8", "replace") for p in pieces]
    for lines in views:
        for sep in REJOINED:
            assert not any(f in sep.join(lines) for f in forms), lines
        if len(lines) == len(texts):  # else the reader stopped before the secret was whole
            assert_no_piece_shown(lines, decoded, form, forms)
    if reply is not None:
        assert not any(f in str(reply) for f in forms)


SPLIT_ECHOES = {
    "after-the-reply-code": ("AbcDef12", b"535-5.7.8 bad Abc\r\n535 Def12 (echo)\r\n"),
    "inside-a-character": ("p\u00e4sswort", b"535-bad p\xc3\r\n535 \xa4sswort\r\n"),
    "at-a-space": ("ab cd!", b"535-bad ab\r\n535 cd! x\r\n"),
}


@pytest.mark.parametrize(("password", "wire"), SPLIT_ECHOES.values(), ids=SPLIT_ECHOES.keys())
async def test_split_echoes_seen_in_the_wild_are_redacted(password: str, wire: bytes) -> None:
    """The three ways a split echo got through: the transcript joined whole lines
    (reply codes between the halves), a cut inside a UTF-8 character left U+FFFD on
    both sides, and Reply.text joins lines with a space."""
    reader, chan = channel(Redactor([password], USER))
    reader.feed_data(wire)
    reader.feed_eof()
    reply = await chan.read_reply(1.0)
    assert reply.lines == (REDACTED, REDACTED)
    assert [line.text for line in chan.transcript.lines] == [REDACTED, REDACTED]


@settings(CI, max_examples=500)
@given(
    text=st.text(st.characters(exclude_categories=()), max_size=300)
    | st.lists(st.sampled_from(sorted(FORBIDDEN)) | st.characters(), max_size=300).map("".join),
    limit=st.integers(0, 400),
)
def test_printable_never_shows_a_control_character_and_keeps_its_cap(text: str, limit: int) -> None:
    """No C0 (tab included), DEL, C1, bidi mark, line separator or lone surrogate
    survives; at most ``limit`` characters are shown, and the rest is counted."""
    shown = printable(text, limit)
    assert not shows_control(shown)
    assert capped(shown, limit)
    if len(text) > limit:
        assert shown.endswith(f"… [{len(text) - limit} more characters]")
    else:
        assert "more characters]" not in shown or "more characters]" in text
    if text[:limit].isprintable():
        assert shown.startswith(text[:limit])


# --- the settings normaliser ---------------------------------------------------------

HOST_PIECES = [
    "smtp.gmail.com",
    "mail.example.test",
    "smtps://",
    "smtp://",
    "submission://",
    "https://",
    "ftp://",
    "user:pw@",
    "@",
    "[",
    "]",
    ":",
    ":587",
    ":0",
    ":99999",
    "::1",
    "2001:db8::1",
    "fe80::1",
    "%eth0",
    "%25",
    "%",
    "127.0.0.1",
    "1.2.3",
    ".",
    "..",
    "xn--",
    "xn--bcher-kva",
    "faß.de",
    "Bücher.example",
    "ｓｍｔｐ．ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width
    "例え.テスト",
    "İ",
    "\u0301",
    "/path",
    "?q=1",
    "#frag",
    "a" * 64,
    "-",
    "_",
    "\r\n",
    "\n",
    "\r",
    "\x00",
    "\t",
    " ",
    "\u00a0",
    "\u200b",
    "\u202e",
    "\u2028",
    "\ud800",
    "\x1b[31m",
    "\x85",
]
idn_labels = st.text(st.characters(categories=["L", "M", "Nd"]), min_size=1, max_size=10)
hosts = (
    st.lists(st.sampled_from(HOST_PIECES) | st.text(max_size=4), max_size=7).map("".join)
    | st.lists(idn_labels, min_size=1, max_size=3).map(lambda labels: ".".join(labels) + ".test")
    | st.text(max_size=40)
)
ports = st.one_of(
    st.none(),
    st.integers(-10, 70_000),
    st.integers(),
    st.booleans(),
    st.floats(),
    st.sampled_from(["587", " 465 ", "", "0", "65536", "25\r\n", "٥٨٧", "5e2", "0x24b"]),
    st.text(max_size=6),
    st.binary(max_size=4),
)


def finding_texts(findings: tuple[Finding, ...]) -> list[tuple[str, str]]:
    """(where, text) for everything a finding shows that can carry input."""
    out: list[tuple[str, str]] = []
    for f in findings:
        out += [("detail", f.detail or "")]
        out += [(f"param {k}", str(v)) for k, v in dict(f.params).items()]
    return out


def assert_clean_findings(findings: tuple[Finding, ...]) -> None:
    assert all(f.code.startswith("settings.") for f in findings)
    for where, text in finding_texts(findings):
        assert not shows_control(text), (where, text)
    for f in findings:  # catalogue texts may break lines, but carry no other control
        assert not shows_control(f"{f.title} {f.fix}".replace("\n", " ")), f.code


def assert_host_invariant(host: str) -> None:
    """ "" or an A-label host name or IP literal: no scheme, port, brackets, spaces,
    controls or trailing dot, and each label a valid IDNA 2008 A-label."""
    if not host:
        return
    assert host.isascii() and not shows_control(host)
    assert not set(host) & set("/@[]?#\\ \t"), host
    assert not host.endswith(".") and ".." not in host, host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        assert ":" not in host and "%" not in host, host
        assert len(host) <= 253 and all(0 < len(label) <= 63 for label in host.split("."))
        assert idna.encode(idna.decode(host)).decode("ascii") == host, host
    else:
        zone = host.partition("%")[2]
        assert not zone or re.fullmatch(r"[A-Za-z0-9_.-]+", zone), host


@settings(CI, max_examples=600)
@given(host=hosts, port=ports, lang=st.sampled_from(["en", "it"]))
def test_host_and_port_normalise_to_safe_values_or_findings(
    host: str, port: object, lang: str
) -> None:
    """Any host text and any port value: no exception; a safe host or "" with a
    settings.host_invalid finding; a port in 1..65535, or None exactly when
    settings.port_invalid says why; a line break never survives; the result is stable."""
    result, findings = normalize_settings(
        {"host": host, "port": port, "username": "a@example.test", "password": "pw", "lang": lang}
    )
    codes = {f.code for f in findings}
    assert_host_invariant(result.host)
    if not result.host:
        assert "settings.host_invalid" in codes
    if any(ch in host for ch in "\r\n\x00"):
        assert result.host == "" and "settings.host_invalid" in codes
    assert (result.port is None) == ("settings.port_invalid" in codes)
    assert result.port is None or (type(result.port) is int and 1 <= result.port <= 65535)
    assert_clean_findings(findings)
    again, _ = normalize_settings(result)
    assert again.host == result.host
    if result.port is not None:
        assert again.port == result.port


idn_hosts = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789äöüßéèçñøåæœ", min_size=1, max_size=12),
    min_size=1,
    max_size=3,
).map(lambda labels: ".".join([*labels, "test"]))


@settings(CI, max_examples=200)
@given(host=idn_hosts, case=st.sampled_from([str.lower, str.upper, str.title]))
def test_international_names_become_their_a_label(host: str, case: Callable[[str], str]) -> None:
    """A name in any case with accented letters is accepted as its IDNA 2008 A-label
    (UTS #46 mapping), and a change is said in settings.host_normalized."""
    typed = case(host)
    result, findings = normalize_settings({"host": typed})
    expected = idna.encode(typed, uts46=True, std3_rules=True).decode("ascii")  # "SS" for "ß"
    assert result.host == expected
    codes = {f.code for f in findings}
    assert "settings.host_invalid" not in codes
    assert ("settings.host_normalized" in codes) == (typed != expected)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("smtp.gmail.com..", ""),  # was "smtp.gmail.com.": idna took the 2nd dot as the root
        ("fe80::1%eth 0", ""),  # ipaddress takes any zone text
        ("::1%eth0?q=1", ""),
        ("fe80::1%a:b", ""),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("[fe80::1%2]:25", "fe80::1%2"),
        ("smtp.gmail.com.", "smtp.gmail.com"),
    ],
)
def test_host_edge_cases(host: str, expected: str) -> None:
    result, findings = normalize_settings({"host": host})
    assert result.host == expected
    assert (expected == "") == ("settings.host_invalid" in {f.code for f in findings})


address_pieces = [
    "alice@example.test",
    "Alice <alice@example.test>",
    "<a@b.test>",
    "a@b.test, evil@x.test",
    "a@b.test\r\nRCPT TO:<x@y.test>",
    "alice@example.org)<bob@example.org>",
    '"quoted local"@example.test',
    "ü@bücher.example",
    "@",
    "a" * 70,
    "@" + "b" * 250 + ".test",
    ";",
    "\x00",
    "\u202e",
    "\u00a0",
]
addresses = (
    st.lists(st.sampled_from(address_pieces) | st.text(max_size=4), max_size=4).map("".join)
    | st.text(max_size=30)
    | st.sampled_from(address_pieces)
)


@settings(CI, max_examples=300)
@given(email=addresses, copy_to=addresses, reply_to=addresses, http_reply_to=addresses)
def test_address_fields_hold_one_addr_spec_or_nothing(
    email: str, copy_to: str, reply_to: str, http_reply_to: str
) -> None:
    """Each address field ends as "" or exactly one addr-spec with an A-label domain
    that reads back as itself; CR/LF never survive; a refusal says settings.email_invalid."""
    raw = {
        "host": "smtp.example.test",
        "username": "alice",
        "email": email,
        "copy_to": copy_to,
        "reply_to": reply_to,
        "http_reply_to": http_reply_to,
    }
    result, findings = normalize_settings(raw)
    assert_clean_findings(findings)
    for name in ("email", "copy_to", "reply_to", "http_reply_to"):
        value = getattr(result, name)
        if not value:
            continue
        assert not shows_control(value), value
        if not value.startswith('"'):  # a quoted local part may hold them
            assert not any(ch in value for ch in "<>,;"), value
        domain = value.rpartition("@")[2]
        assert domain.isascii() and domain == domain.lower(), value
        assert as_address(value) == value
    for name in ("email", "copy_to", "reply_to"):
        if "\r" in raw[name] or "\n" in raw[name]:
            assert getattr(result, name) == ""
            assert any(f.code == "settings.email_invalid" for f in findings)


class _Str(str):
    pass


class _Int(int):
    pass


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**64),
    st.floats(),
    st.text(max_size=12),
    st.binary(max_size=6),
    st.decimals(allow_nan=True),
    st.complex_numbers(),
    st.dates(),
    st.builds(_Str, st.sampled_from(["smtp", "http", "587", "smtp.gmail.com", "true", "it"])),
    st.builds(_Int, st.integers(0, 70_000)),
    st.just(object()),
    st.just(decimal.Decimal("NaN")),
)
anything = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.frozensets(st.integers(), max_size=2)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
FIELDS = [f.name for f in dataclasses.fields(Settings)]


@settings(CI, max_examples=300)
@given(values=st.dictionaries(st.sampled_from(FIELDS), anything), as_settings=st.booleans())
def test_any_python_value_in_any_field_becomes_a_finding(
    values: dict[str, Any], as_settings: bool
) -> None:
    """Nested containers, sets, Decimals, complex numbers, str/int subclasses, plain
    objects, in a mapping or smuggled into a Settings: the normaliser never raises and
    returns values of the documented types."""
    raw: Settings | dict[str, Any] = Settings(**values) if as_settings else values
    result, findings = normalize_settings(raw)
    assert_clean_findings(findings)
    for name in ("host", "username", "email", "copy_to", "reply_to", "http_url", "http_reply_to"):
        assert isinstance(getattr(result, name), str)
    assert isinstance(result.password, str) and type(result.verify_tls) is bool
    assert result.port is None or 1 <= result.port <= 65535
    assert result.protocol in ("smtp", "http") and result.lang in ("en", "it")
    json.dumps(result.redacted())  # the report's settings object serialises


@pytest.mark.parametrize("raw", [None, "host=smtp.example.test", 42, ["smtp.example.test"]])
def test_only_a_non_mapping_raises_and_it_is_a_type_error(raw: object) -> None:
    call: Callable[[Any], object] = normalize_settings
    with pytest.raises(TypeError):
        call(raw)
