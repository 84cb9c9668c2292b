"""Bad input everywhere a user can type: CLI flags, batch CSV rows, the notebook form and
saved settings files.

Each gives a one-line error (exit 2) or a report with a finding (exit 1), never a
traceback and never the password; a broken batch row costs only its own account.
Most CLI cases call :func:`emaildiag.cli.main` in-process (argparse errors raise
``SystemExit(2)``, the rest return the status); the cases only a real process shows
(stdin, argv bytes, the batch command end to end) run ``python -m emaildiag``.
Loopback only: a :class:`LoopbackDnsServer` answers DNS, hosts resolve to 127.0.0.1,
and most cases stop at the settings check, before any connection.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cli_process import ENV, run_cli
from harness import HOST, USER

from emaildiag.batch import COLUMNS, UnreadableRow, diagnose_rows, read_accounts_csv
from emaildiag.checks.dns import StaticResolver
from emaildiag.cli import main
from emaildiag.settings import Settings, SettingsFileError, load_settings, save_settings
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.dns import LoopbackDnsServer

PW_VAR = "EMAILDIAG_BAD_INPUT_PW"
UNSET = "EMAILDIAG_SURELY_UNSET_VAR"
LONG = "a" * 5000


ZONE = {
    (HOST, "A"): ["127.0.0.1"],
    ("emaildiag.test", "MX"): [f"10 {HOST}."],
    ("emaildiag.test", "TXT"): ['"v=spf1 mx -all"'],
    ("_dmarc.emaildiag.test", "TXT"): ['"v=DMARC1; p=reject"'],
}


@pytest.fixture(scope="module")
def dns() -> Iterator[LoopbackDnsServer]:
    """Our own DNS: the test domain points at 127.0.0.1, every other name is NXDOMAIN."""
    with LoopbackDnsServer(ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Garbage a user can point a flag at, by name (used as ``{name}`` in argv below)."""
    d = tmp_path_factory.mktemp("garbage")
    blobs: dict[str, bytes] = {
        "bin": b"\x00\x01\xff\xfe\x89PNG\r\n\x1a\n",
        "empty": b"",
        "notpem": b"hello\n",
        "port_list.toml": b'host = "h.example.test"\nport = [1, 2]\n',
        "host_num.toml": b"host = 5\n",
        "big.toml": b"# " + b"a" * (10 * 1024 * 1024) + b"\n",
        "utf16_bad.toml": b"\xff\xfeh\x00\x00\xd8",
        "nul.toml": b'host = "mail\x00.example"\n',
        "bin.toml": b"\x00\x01\xff\xfe",
        "invalid.toml": b"host = \n[[[",
        "dup.toml": b'host = "a"\nhost = "b"\n',
        "list.json": b"[1, 2]",
        "deep.json": b"[" * 100_000,
        "bigint.json": b'{"port": ' + b"9" * 5000 + b"}",
        "settings.txt": b'host = "h.example.test"\n',
        "nul.json": b'{"host": "mail\\u0000.example.test"}',
        "port_huge.toml": b'host = "h.example.test"\nport = 99999999\n',
        "proto.json": b'{"host": "h.example.test", "protocol": "ftp"}',
        "empty.csv": b"",
        "dup.csv": b"label,host,host\na,h.example.test,x\n",
        "nohost.csv": b"label,port\na,1\n",
        "password.csv": b"label,host,password\na,h.example.test,secret\n",
        "utf16_bad.csv": b"\xff\xfeh\x00\x00\xd8",
        "all_broken.csv": b'label,host\n"a,h.example.test\n',
        "ok.csv": b"label,host\na,bad host\n",
    }
    paths = {"dir": str(d / "a-folder"), "dir_toml": str(d / "folder.toml"), "tmp": str(d)}
    os.mkdir(paths["dir"])
    os.mkdir(paths["dir_toml"])
    for name, blob in blobs.items():
        (d / name).write_bytes(blob)
        paths[name.replace(".", "_")] = str(d / name)
    return paths


@dataclass
class InProcess:
    """``emaildiag`` run in this process; ``{dns}`` and ``{name}`` of a garbage file in
    an argument stand for our DNS server and that file."""

    files: dict[str, str]
    dns: LoopbackDnsServer
    capsys: pytest.CaptureFixture[str]
    canary: str  # in the environment as PW_VAR

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        """``emaildiag ARGV``: (exit status, stdout, stderr)."""
        values = {"dns": self.dns.address, **self.files}
        args = [a.format(**values) if "{" in a and len(a) < 200 else a for a in argv]
        try:
            code: Any = main(args)
        except SystemExit as exc:  # argparse's way out
            code = exc.code
        out, err = self.capsys.readouterr()
        return int(code), out, err


@pytest.fixture
def cli(
    files: dict[str, str],
    dns: LoopbackDnsServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    canary: str,
) -> InProcess:
    """The CLI in this process, with the canary password in PW_VAR and UNSET unset."""
    monkeypatch.setenv(PW_VAR, canary)
    monkeypatch.delenv(UNSET, raising=False)
    return InProcess(files, dns, capsys, canary)


def assert_one_line_error(code: int, out: str, err: str, words: str) -> None:
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err  # one line, no usage dump
    assert err.startswith("emaildiag") and "error" in err
    assert words in err, err
    assert "Traceback" not in err and "\x1b" not in err and "\r" not in err
    assert len(err) < 700  # a 5000-character value is quoted, not pasted whole


# --- CLI flags given garbage: one line, exit 2, before any connection -------------------

# After the safe base below (a loopback host, our DNS, a closed port), so each case's
# flag overrides the base's and a regression would still stay on loopback.
_CHECK_USAGE: list[tuple[tuple[str, ...], str]] = [
    *((("--port", v), "--port") for v in ("abc", "-1", "0", "70000", "9" * 30, "", "25.0")),
    (("--port", "٢٥"), "--port"),  # Arabic-Indic digits: int() takes them, a port must not
    *((("--timeout", v), "--timeout") for v in ("0", "-1", "nan", "inf", "1e309", "abc", "-inf")),
    *((("--ports", v), "--ports") for v in ("25,,x", "0", "70000", ",", "1,٢")),
    *(
        (("--dns-server", v), "--dns-server")
        for v in ("999.1.1.1", "[::1]:99999", "host name", "[::1", "[::1]53", "1.2.3.4: 53")
    ),
    (("--ca-file", "/nonexistent/ca.pem"), "--ca-file"),
    *((("--ca-file", f"{{{n}}}"), "--ca-file") for n in ("dir", "bin", "empty", "notpem")),
    (("--json", "/proc/emaildiag-x.json"), "cannot write"),
    (("--json", "{dir}"), "cannot write"),
    (("--json", ""), "--json needs a file name"),
    (("--html", "{dir}"), "cannot write"),
    (("--html", "/nonexistent-folder/r.html"), "cannot write"),
    (("--thunderbird", "{dir}"), "cannot write"),
    (("--save", "{dir_toml}"), "cannot write"),
    (("--save", "{tmp}/saved.txt"), ".toml or .json"),
    (("--settings", "/nonexistent.toml"), "--settings"),
    (("--settings", "{dir}"), "--settings"),
    (("--settings", "{port_list_toml}"), "port must be a whole number"),
    (("--settings", "{host_num_toml}"), "host must be text"),
    (("--settings", "{big_toml}"), "too large"),
    (("--settings", "{utf16_bad_toml}"), "UTF-16"),
    (("--settings", "{nul_toml}"), "not valid TOML"),
    (("--settings", "{bin_toml}"), "UTF-8"),
    (("--settings", "{invalid_toml}"), "not valid TOML"),
    (("--settings", "{dup_toml}"), "not valid TOML"),
    (("--settings", "{list_json}"), "table of settings"),
    (("--settings", "{deep_json}"), "not valid JSON"),
    (("--settings", "{bigint_json}"), "not valid JSON"),
    (("--settings", "{settings_txt}"), ".toml or .json"),
    (("--password-env", UNSET), UNSET),
    (("--password-env", ""), "--password-env needs"),
    (("--oauth-token-env", UNSET), UNSET),
    (("--oauth-token-env", " "), "--oauth-token-env needs"),
    (("--password-env", "X", "--password-stdin"), "not allowed"),
    (("--lang", "xx"), "--lang"),
    (("--protocol", "ftp"), "--protocol"),
    (("--send-test", "a@b.c\r\nRCPT TO:<x@y.z>"), "--send-test"),
    (("--send-test", "a@b.c, evil@x.org"), "--send-test"),
    (("--send-test", LONG + "@b.c"), "--send-test"),
    (("--attach-pdf",), "--send-test"),
    (("--protocol", "http", "--send-test"), "SMTP"),
    (("--frobnicate",), "unrecognized"),
    # argv from a shell cannot hold NUL; the Python entry point can
    (("--json", "/tmp/x\x00.json"), "cannot write"),
    (("--html", "x\x00.html"), "cannot write"),
    (("--save", "x\x00.toml"), "cannot write"),
    (("--settings", "x\x00.toml"), "--settings"),
    (("--ca-file", "x\x00.pem"), "--ca-file"),
    (("--settings", "/nonexistent/a\nb\x1b[31m.toml"), "--settings"),  # quoted, escaped
]


@pytest.mark.parametrize(("extra", "words"), _CHECK_USAGE, ids=lambda v: repr(v)[:40])
def test_check_flag_garbage_is_one_line_exit_2(
    extra: tuple[str, ...], words: str, cli: InProcess
) -> None:
    """`emaildiag check` with one flag set to garbage: a one-line error naming it, exit 2."""
    base = ["check", "--host", "127.0.0.1", "--port", "1", "--ports", "1"]
    base += ["--username", "alice@example.test", "--timeout", "3", "--dns-server", "{dns}"]
    code, out, err = cli(*base, *extra)
    assert_one_line_error(code, out, err, words)
    assert cli.canary not in out + err
    assert not os.path.exists(Path(cli.files["tmp"]) / "saved.txt")  # a probe file is removed


_OTHER_USAGE: list[tuple[tuple[str, ...], str]] = [
    ((), "COMMAND"),  # nothing given: the help on stdout, exit 2 (asserted below)
    (("frobnicate",), "invalid choice"),
    (("--frobnicate",), "unrecognized"),
    *(
        (("suggest", a, "--no-probe", "--dns-server", "{dns}"), "email address")
        for a in ("", "nobody", "a@b.c\r\nx", LONG + "@example.com", "📧@📧.example")
    ),
    (("suggest", "a@b.example", "--timeout", "nan"), "--timeout"),
    (("suggest", "a@b.example", "--dns-server", "999.1.1.1"), "--dns-server"),
    (
        ("suggest", "a@b.example", "--no-probe", "--dns-server", "{dns}", "--json", "{dir}"),
        "cannot",
    ),
    (
        (
            "suggest",
            "a@b.example",
            "--no-probe",
            "--dns-server",
            "{dns}",
            "--thunderbird",
            "/proc/x",
        ),
        "cannot",
    ),
    (("suggest", "a@b.example", "--ca-file", "{bin}"), "--ca-file"),
    (("demo", "--scenario", LONG), "unknown scenario"),
    (("demo", "--scenario", "o\x1bk\n"), "unknown scenario"),
    (("demo", "--html", "{dir}"), "cannot write"),
    (("demo", "--json", "/proc/emaildiag-x.json"), "cannot write"),
    (("demo", "--lang", "xx"), "--lang"),
    (("batch", "/nonexistent.csv"), "no such file"),
    (("batch", "{dir}"), "no such file"),
    (("batch", "{bin}"), "UTF-8"),
    (("batch", "{empty_csv}"), "empty"),
    (("batch", "{dup_csv}"), "twice"),
    (("batch", "{nohost_csv}"), "'host'"),
    (("batch", "{password_csv}"), "password_env"),
    (("batch", "{utf16_bad_csv}"), "UTF-16"),
    (("batch", "{all_broken_csv}"), "never closed"),
    *((("batch", "{ok_csv}", "--concurrency", v), "--concurrency") for v in ("0", "x", "9" * 50)),
    (("batch", "{ok_csv}", "--per-host", "-1"), "--per-host"),
    (("batch", "{ok_csv}", "--timeout", "nan"), "--timeout"),
    (("batch", "{ok_csv}", "--ports", "0"), "--ports"),
    (("batch", "{ok_csv}", "--dns-server", "[::1"), "--dns-server"),
    (("batch", "{ok_csv}", "--ca-file", "{bin}"), "--ca-file"),
    (("batch", "{ok_csv}", "--out", "{dir}"), "cannot write"),
    (("batch", "{ok_csv}", "--out", ""), "--out needs a file name"),
    (("batch", "{ok_csv}", "--out", "/proc/x.csv"), "cannot write"),
    (("batch", "{ok_csv}", "--out", "x\x00.csv"), "cannot write"),
    (("batch", "{ok_csv}", "--quiet", "--progress"), "not allowed"),
]


@pytest.mark.parametrize(("argv", "words"), _OTHER_USAGE, ids=lambda v: repr(v)[:40])
def test_other_commands_garbage_is_one_line_exit_2(
    argv: tuple[str, ...], words: str, cli: InProcess
) -> None:
    """suggest, demo, batch and the top level with garbage arguments: one line, exit 2."""
    code, out, err = cli(*argv)
    if not argv:
        assert code == 2 and words in out and err == ""
        return
    assert_one_line_error(code, out, err, words)


# --- CLI values that are settings: a report with the finding, exit 1 --------------------

_FINDINGS: list[tuple[tuple[str, ...], str]] = [
    (("--host", "127.0.0.1\r\nRSET"), "settings.host_invalid"),
    (("--host", "mail\x00.example.test"), "settings.host_invalid"),
    (("--host", "📧.example"), "settings.host_invalid"),
    (("--host", LONG), "settings.host_invalid"),
    (("--host", "javascript:alert(1)"), "settings.host_invalid"),
    (
        ("--host", "h.example.test", "--username", "a@b.c\r\nRCPT TO:<x@y.z>"),
        "settings.field_invalid",
    ),
    (("--host", "h.example.test", "--email", "a@b.c\r\nx"), "settings.email_invalid"),
    (("--host", "h.example.test", "--copy-to", "a@b.c, evil@x.org"), "settings.email_invalid"),
    (("--host", "h.example.test", "--reply-to", LONG), "settings.email_invalid"),
    (("--protocol", "http", "--http-url", "javascript:alert(1)"), "settings.http_url_invalid"),
    (
        ("--protocol", "http", "--http-url", "https://r.example/\r\nHost: x"),
        "settings.http_url_invalid",
    ),
    (("--protocol", "http", "--http-url", "https://r.example:99999/"), "settings.http_url_invalid"),
    (("--settings", "{nul_json}"), "settings.host_invalid"),
    (("--settings", "{port_huge_toml}"), "settings.port_invalid"),
    (("--settings", "{proto_json}"), "settings.protocol_invalid"),
]


@pytest.mark.parametrize(("extra", "code"), _FINDINGS, ids=lambda v: repr(v)[:40])
def test_garbage_setting_values_are_findings_not_errors(
    extra: tuple[str, ...], code: str, cli: InProcess
) -> None:
    """A value the settings check refuses: exit 1 and the JSON report names it; nothing on
    stderr, no connection made, the password nowhere."""
    base = ["check", "--username", "alice@example.test", "--password-env", PW_VAR]
    base += ["--timeout", "3", "--dns-server", "{dns}", "--ports", "1", "--json", "-"]
    status, out, err = cli(*base, *extra)
    assert (status, err) == (1, ""), err
    report = json.loads(out)
    codes = {f["code"] for f in report["findings"]}
    assert any(c.startswith(code) for c in codes), codes
    assert report["verdict"] == "error" and report["probes"] == []
    assert cli.canary not in out and "Traceback" not in out


# --- what only a real process shows: stdin, argv bytes, the usage text ------------------


@pytest.mark.parametrize(
    ("stdin", "code"),
    [
        (b"", "settings.password_missing"),
        (b"\x00\xff\xfe{canary}\x00\n", "settings.field_invalid"),
        (b"{canary}" * 5000, "settings.email_invalid"),  # no line end, 200 KB: first 64 KB
    ],
    ids=["empty", "binary", "huge"],
)
def test_password_stdin_garbage(
    stdin: bytes, code: str, dns: LoopbackDnsServer, canary: str
) -> None:
    """--password-stdin fed nothing, binary bytes or a flood: a finding, never the bytes."""
    import subprocess
    import sys

    data = stdin.replace(b"{canary}", canary.encode())
    args = ["check", "--host", "h.example.test", "--username", "alice", "--email", "a@b"]
    args += ["--password-stdin", "--dns-server", dns.address, "--timeout", "3", "--json", "-"]
    r = subprocess.run(
        [sys.executable, "-m", "emaildiag", *args],
        input=data,
        capture_output=True,
        timeout=60,
        env=ENV,
    )
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    assert r.returncode == 1 and err == "", err
    assert code in {f["code"] for f in json.loads(out)["findings"]}
    assert canary not in out + err and "Traceback" not in out + err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("check", "--host", "h.example.test", "--port", "abc"), "--port"),
        (("check", "--settings", "/nonexistent/a\nb\x1b[31m.toml"), "a\\nb\\x1b[31m"),
        (("check", "--host", "h.example.test", "--json", "/proc/x.json"), "cannot write"),
        (("batch", "/nonexistent.csv"), "no such file"),
    ],
    ids=["port", "control-chars", "json-path", "batch"],
)
def test_real_process_usage_error_is_exactly_one_line(
    argv: tuple[str, ...], words: str, dns: LoopbackDnsServer
) -> None:
    """As a user sees it: one line on stderr (no usage dump), control characters escaped."""
    safe = ("--dns-server", dns.address) if argv[0] == "check" else ()
    r = run_cli(*argv, *safe)
    assert_one_line_error(r.returncode, r.stdout, r.stderr, words)


# --- batch CSV: every broken row gets its own error, the others are diagnosed -----------


@pytest.fixture(scope="module")
def smtp(pki: TestPKI) -> Iterator[tuple[SmtpTestServer, str]]:
    password = "Bad-Input-Batch-Password-7f3a"
    with SmtpTestServer(ServerSpec(mode="starttls", users={USER: password}), pki) as server:
        yield server, password


def test_batch_broken_rows_lose_no_other_row(
    tmp_path: Path,
    dns: LoopbackDnsServer,
    smtp: tuple[SmtpTestServer, str],
    pki: TestPKI,
) -> None:
    """`emaildiag batch` on a CSV saved by a careless spreadsheet (BOM, CRLF, blank lines)
    whose rows are each broken in a different way, between good accounts on a real
    loopback server: one result row per account, in order; broken rows say why; the good
    ones sign in."""
    server, password = smtp
    p = server.port
    good = f"{HOST},{p},{USER},PW,"
    lines = [
        "label,host,port,username,password_env,password_keyring",
        f"good-first,{good}",
        "",
        f"short,{HOST},{p}",  # missing columns: spreadsheets drop empty trailing cells
        f"extra,{good},surplus,more",  # more values than columns: refused
        f"port-abc,{HOST},abc,{USER},PW,",
        f"nul,mail\x00.emaildiag.test,{p},{USER},PW,",
        f'"crlf\r\nlabel","{HOST}\r\nRSET",{p},{USER},PW,',  # one record on lines 8-10
        f"long-host,{'a' * 10_000},{p},{USER},PW,",
        f"{'L' * 10_000},{good}",
        f"unset,{HOST},{p},{USER},{UNSET},",
        f"keyring,{HOST},{p},{USER},,maybe",
        f"emoji,📧.example,{p},📧@📧,,",
        "LATIN1-ROW",
        f"good-middle,{good}",
        f'quote,"{good}',  # a quote never closed: only this line is lost
        f"good-last,{good}",
        "",
    ]
    text = "\r\n".join(lines).encode("utf-8")
    latin1 = f"caf\xe9,{HOST},{p},{USER},PW,".encode("latin-1")  # one row saved as Latin-1
    accounts = tmp_path / "accounts.csv"
    accounts.write_bytes(b"\xef\xbb\xbf" + text.replace(b"LATIN1-ROW", latin1))
    out = tmp_path / "results.csv"
    env = {k: v for k, v in ENV.items() if k != UNSET} | {"PW": password}
    r = run_cli(
        "batch",
        str(accounts),
        "--out",
        str(out),
        "--ports",
        str(p),
        "--dns-server",
        dns.address,
        "--ca-file",
        str(pki.ca_file),
        "--timeout",
        "10",
        "-q",
        env=env,
    )
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("\n") == 1 and "15 accounts" in r.stderr and "Traceback" not in r.stderr
    written = out.read_text(encoding="utf-8")
    assert password not in written + r.stdout + r.stderr
    reader = csv.DictReader(io.StringIO(written))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    rows = list(reader)
    labels = [row["label"] for row in rows]
    long_label = labels[7]
    assert long_label.startswith("LLLL") and len(long_label) < 300
    assert labels == [
        *("good-first", "short", "extra", "port-abc", "nul", "crlf\\x0d\\x0alabel"),
        *("long-host", long_label, "unset", "keyring", "emoji", "caf\\xdce9", "good-middle"),
        *("quote", "good-last"),
    ]
    by = dict(zip(labels, rows, strict=True))
    for name in ("good-first", "good-middle", "good-last"):
        assert (by[name]["verdict"], by[name]["auth"], by[name]["error"]) == ("ok", "ok", "")
    assert by["short"]["verdict"] and by["short"]["error"] == ""  # diagnosed with what is there
    assert "values but" in by["extra"]["error"] and by["extra"]["verdict"] == ""
    assert by["port-abc"]["root_cause"] == "settings.port_invalid"
    for name in ("nul", "crlf\\x0d\\x0alabel", "long-host", "emoji"):
        assert by[name]["root_cause"] == "settings.host_invalid", by[name]
    assert UNSET in by["unset"]["error"] and by["unset"]["verdict"] == ""
    assert "password_keyring" in by["keyring"]["error"]
    assert "UTF-8" in by["caf\\xdce9"]["error"] and "line 16" in by["caf\\xdce9"]["error"]
    assert "never closed" in by["quote"]["error"] and "line 18" in by["quote"]["error"]
    assert all(len(row["error"]) < 400 for row in rows)


def test_accounts_csv_reader_on_garbage(tmp_path: Path) -> None:
    """The reader alone: what spreadsheets really save reads, a broken record is one
    UnreadableRow and the next record is read."""
    excel_unicode = tmp_path / "unicode.csv"  # Excel's "Unicode text": UTF-16, tabs
    excel_unicode.write_bytes("label\thost\r\na\th.example.test\r\n".encode("utf-16"))
    assert read_accounts_csv(excel_unicode) == [{"label": "a", "host": "h.example.test"}]
    semicolons = tmp_path / "it.csv"  # Excel in an Italian locale
    semicolons.write_text("label;host;port\n\na;h.example.test;465\n", encoding="utf-8")
    assert read_accounts_csv(semicolons) == [
        {"label": "a", "host": "h.example.test", "port": "465"}
    ]
    assert read_accounts_csv(io.StringIO("\n\nlabel,host\n")) == []  # header only
    huge = "x" * (csv.field_size_limit() + 10)
    text = f'label,host\na,"{huge}"\nb,"h.example.test"x\nc,h.example.test\n'
    a, b, c = read_accounts_csv(io.StringIO(text))
    assert isinstance(a, UnreadableRow) and "longer than" in a.error and a == {"label": "a"}
    assert isinstance(b, UnreadableRow) and "line 3" in b.error
    assert c == {"label": "c", "host": "h.example.test"} and not isinstance(c, UnreadableRow)


def test_batch_rows_of_wrong_types_through_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """diagnose_rows with rows a program built badly: each row a settings finding or an
    error, none raises, none is lost (no connection: every row is refused first)."""
    rows: list[dict[str, Any]] = [
        {"host": 5, "port": [1, 2]},
        {"label": 7, "host": None, "port": "x", "verify_tls": "maybe"},
        {"host": "bad host", "password_keyring": 3},
        {"host": "h.example.test\r\n", "password_env": UNSET},
        {"host": "h.example.test", "port": float("nan"), "email": b"x"},
    ]
    monkeypatch.delenv(UNSET, raising=False)
    out = diagnose_rows(rows, resolver=StaticResolver({}), timeout=3, progress=False)
    assert [r["label"] for r in out] == ["1", "7", "3", "4", "5"]
    for row in out:
        assert row["error"] or str(row["root_cause"]).startswith("settings."), row
    assert "password_keyring" in out[2]["error"]


# --- the notebook form --------------------------------------------------------------------


def _widget_state(form: Any) -> str:
    import ipywidgets as widgets
    from ipywidgets.embed import dependency_state

    manager = widgets.Widget.get_manager_state(drop_defaults=False)
    return json.dumps([manager, dependency_state(form.widget, drop_defaults=False)])


_FORM_GARBAGE: list[tuple[dict[str, Any], str]] = [
    ({"host": "127.0.0.1\r\nRSET"}, "settings.host_invalid"),
    ({"host": "mail\x00.example.test"}, "settings.host_invalid"),
    ({"host": "📧.example"}, "settings.host_invalid"),
    ({"host": LONG}, "settings.host_invalid"),
    ({"host": "h.example.test", "username": "a@b.c\r\nRCPT TO:<x@y.z>"}, "settings.field_invalid"),
    (
        {"host": "h.example.test", "copy_to_enabled": True, "copy_to": "a@b.c, evil@x.org"},
        "settings.email_invalid",
    ),
    (
        {"host": "h.example.test", "reply_to_enabled": True, "reply_to": LONG},
        "settings.email_invalid",
    ),
    (
        {"host": "h.example.test", "username": "apikey", "email": "\x00\x01"},
        "settings.email_invalid",
    ),
    ({"host": "h.example.test", "port": 0, "port_custom": -5}, "settings.port_invalid"),
    ({"host": "h.example.test", "port": 0, "port_custom": 99_999_999}, "settings.port_invalid"),
    ({"protocol": "http", "http_url": "javascript:alert(1)"}, "settings.http_url_invalid"),
    ({"protocol": "http", "http_url": "https://" + LONG}, "settings.http_url_invalid"),
]


@pytest.mark.parametrize(("values", "code"), _FORM_GARBAGE, ids=lambda v: repr(v)[:40])
async def test_form_garbage_then_test_button(
    values: dict[str, Any], code: str, canary: str
) -> None:
    """Every field set to garbage, then what the Test button does: the finding is shown
    in the report, nothing escapes, no traceback, the password in no widget state."""
    pytest.importorskip("ipywidgets")
    from emaildiag.notebook import SettingsForm

    form = SettingsForm(diagnose_options={"resolver": StaticResolver({}), "timeout": 3})
    form.username.value = "alice@example.test"
    for name, value in values.items():
        getattr(form, name).value = value
    form.password.value = canary
    task = form.click_test()
    await asyncio.wait_for(asyncio.wait([task]), 10)
    assert task.exception() is None
    report = form.report
    assert report is not None and report.verdict == "error" and not report.probes
    assert any(c.startswith(code) for c in report.codes()), report.codes()
    shown = form.report_view.value + form.messages.value + form.status.value
    assert code in form.report_view.value and "Traceback" not in shown
    assert canary not in shown and canary not in _widget_state(form)
    assert form.password.value == "" and not form.test_button.disabled


async def test_form_prefilled_with_garbage_and_export_to_a_bad_path(
    tmp_path: Path, canary: str
) -> None:
    """Prefilled from a mapping of wrong types, the form builds and tests; exporting to a
    folder or a name with NUL says the report was not saved (not "the test could not
    run"), with no exception escaping the button."""
    pytest.importorskip("ipywidgets")
    from emaildiag.notebook import SettingsForm

    garbage = {"port": "abc", "host": 5, "verify_tls": "maybe", "lang": "xx", "protocol": 7}
    form = SettingsForm(
        garbage | {"password": canary},
        diagnose_options={"resolver": StaticResolver({}), "timeout": 3},
    )
    await asyncio.wait_for(form.run(), 10)
    assert form.report is not None and "settings.host_invalid" in form.report.codes()
    pytest.importorskip("jinja2")
    for path in (str(tmp_path), f"{tmp_path}/r\x00.html"):
        form.export_path.value = path
        form.export_button.click()
        assert "could not be saved" in form.messages.value, form.messages.value
        assert "could not run" not in form.messages.value and "\x00" not in form.messages.value
    assert canary not in _widget_state(form) + form.messages.value + form.report_view.value


# --- saved settings files through the API -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "blob", "words"),
    [
        ("port.toml", b'password = "{canary}"\nport = [1, 2]\n', "port must be a whole number"),
        ("host.json", b'{"password": "{canary}", "host": 5}', "host must be text"),
        ("tls.toml", b'verify_tls = "no"\npassword = "{canary}"\n', "verify_tls"),
        ("big.toml", b'password = "{canary}"\n#' + b"a" * (2 << 20), "too large"),
        ("u16.toml", b"\xff\xfe\x00\xd8{canary}", "UTF-16"),
        ("bin.toml", b"\x00\xff{canary}", "UTF-8"),
        ("nul.toml", b'password = "{canary}"\nhost = "a\x00"', "not valid TOML"),
        ("bad.toml", b'password = "{canary}\n[[[', "not valid TOML"),
        ("list.json", b'["{canary}"]', "table of settings"),
        ("deep.json", b'{"password": "{canary}", "x": ' + b"[" * 100_000, "not valid JSON"),
        ("int.json", b'{"password": "{canary}", "port": ' + b"9" * 5000 + b"}", "not valid JSON"),
        ("date.toml", b'password = "{canary}"\nhost = 1979-05-27\n', "host must be text"),
        ("settings.ini", b'password = "{canary}"', ".toml or .json"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "",
)
def test_settings_file_garbage_is_a_one_line_error(
    name: str, blob: bytes, words: str, tmp_path: Path, canary: str
) -> None:
    """load_settings on a garbage file: SettingsFileError, one line, the password that
    sits in the file never quoted."""
    path = tmp_path / name
    path.write_bytes(blob.replace(b"{canary}", canary.encode()))
    with pytest.raises(SettingsFileError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert words in message and "\n" not in message and len(message) < 500
    assert canary not in message


def test_settings_files_that_load_and_paths_that_cannot(tmp_path: Path, canary: str) -> None:
    """A UTF-16 file (Notepad's "Unicode") loads; unknown keys and a password in the file
    are ignored; a folder, a NUL in the name or another suffix is a SettingsFileError."""
    notepad = tmp_path / "notepad.toml"
    notepad.write_bytes(
        f'host = "h.example.test"\npassword = "{canary}"\nzz = 1\n'.encode("utf-16")
    )
    loaded = load_settings(notepad)
    assert loaded.host == "h.example.test" and loaded.password == ""
    for bad in (tmp_path, f"{tmp_path}/s\x00.toml", tmp_path / "missing.toml"):
        with pytest.raises(SettingsFileError):
            load_settings(bad)
    (tmp_path / "folder.json").mkdir()
    for bad in (tmp_path / "folder.json", f"{tmp_path}/s\x00.toml", tmp_path / "s.yaml"):
        with pytest.raises(SettingsFileError):
            save_settings(Settings(host="h.example.test", password=canary), bad)
