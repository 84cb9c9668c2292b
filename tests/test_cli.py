"""The CLI as a user runs it: a real subprocess, exit codes, stdout/stderr separation."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cli_process import ENV, run_cli

HEAVY = ("pandas", "matplotlib", "ipywidgets", "jinja2", "IPython")
run = run_cli


def test_pasted_host_port_and_username_without_address() -> None:
    r = run("check", "--host", "smtp.gmail.com:587", "--username", "alice", "--json", "-")
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)  # stdout is only JSON
    codes = {f["code"] for f in data["findings"]}
    assert {"settings.host_normalized", "settings.email_required"} <= codes
    assert data["schema"] == "emaildiag.report/1" and data["verdict"] == "error"
    assert data["settings"]["host"] == "smtp.gmail.com" and data["settings"]["port"] == 587
    assert data["settings"]["password_set"] is False and "password" not in data["settings"]
    assert data["provider"] == {"id": "gmail", "name": "Gmail"}


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--host", "smtp.example.com", "--port", "70000"),
        ("check", "--host", "smtp.example.com", "--port", "abc"),
        ("check", "--host", "smtp.example.com", "--ports", "25,,99999"),
        ("check", "--host", "smtp.example.com", "--timeout", "-3"),
        ("check", "--host", "smtp.example.com", "--dns-server", "not-an-ip"),
        ("check", "--host", "smtp.example.com", "--ca-file", "/nonexistent/ca.pem"),
        ("check", "--host", "smtp.example.com", "--password-env", "X", "--password-stdin"),
        ("check", "--host", "smtp.example.com", "--password", "secret"),
        ("check", "--username", "alice@example.com"),
        ("check", "--host", "smtp.example.com", "--password-env", "EMAILDIAG_UNSET_VAR"),
        ("check", "--settings", "/nonexistent.toml"),
        ("demo", "--scenario", "no-such-scenario"),
        ("frobnicate",),
        (),
    ],
)
def test_bad_usage_exits_2_with_a_short_message(args: tuple[str, ...]) -> None:
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert r.stdout == "" or args == ()


def test_port_out_of_range_message_is_one_line() -> None:
    r = run("check", "--host", "smtp.example.com", "--port", "70000")
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "65535" in errors[0]


def test_help_and_import_stay_light() -> None:
    code = (
        "import sys, runpy; sys.argv=['emaildiag','--help']\n"
        "try: runpy.run_module('emaildiag', run_name='__main__')\n"
        "except SystemExit: pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert "usage: emaildiag" in r.stdout
    assert r.stderr.strip().splitlines()[-1] == "[]"
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import emaildiag, emaildiag.cli, sys; print('pandas' in sys.modules, "
            f"[m for m in {HEAVY!r} if m in sys.modules])",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.strip() == "False []"


def test_demo_json_is_a_real_report() -> None:
    r = run("demo", "--json", "-")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    codes = {f["code"] for f in data["findings"]}
    assert {"auth.ok", "tls.ok", "send.sender_accepted"} <= codes
    assert data["auth"]["result"] == "ok"
    assert all(p["address"] == "127.0.0.1" for p in data["probes"])


def test_demo_fault_exits_1_and_text_report_goes_to_stdout(tmp_path: object) -> None:
    r = run("demo", "--scenario", "expired-certificate", "--lang", "it")
    assert r.returncode == 1
    assert "tls.cert_expired" in r.stdout
    assert "Esito: ERRORE" in r.stdout and "Causa più probabile" in r.stdout


def test_password_from_stdin_and_env_never_echoed(canary: str) -> None:
    from emaildiag.checks.dns import StaticResolver  # noqa: F401 - import check only

    for extra, stdin, env in (
        (["--password-stdin"], canary + "\n", ENV),
        (["--password-env", "MY_PW"], "", ENV | {"MY_PW": canary}),
    ):
        r = run(
            "check",
            "--host",
            "127.0.0.1",
            "--port",
            "1",
            "--ports",
            "1",
            "--username",
            "alice",
            "--email",
            "a@b",
            "--timeout",
            "2",
            "--json",
            "-",
            *extra,
            stdin=stdin,
            env=env,
        )
        data = json.loads(r.stdout)
        assert data["settings"]["password_set"] is True  # a@b is invalid: no network use
        assert canary not in r.stdout + r.stderr


def test_settings_file_round_trip_without_password(
    tmp_path: pytest.TempPathFactory, canary: str
) -> None:
    path = f"{tmp_path}/settings.toml"
    r = run(
        "check",
        "--host",
        "smtp.gmail.com:587",
        "--username",
        "bob",
        "--password-env",
        "PW",
        "--save",
        path,
        "--json",
        "-",
        env=ENV | {"PW": canary},
    )
    assert r.returncode == 1
    with open(path, encoding="utf-8") as fh:
        saved = fh.read()
    assert canary not in saved and "smtp.gmail.com" in saved
    r = run("check", "--settings", path, "--json", "-")
    data = json.loads(r.stdout)
    assert data["settings"]["host"] == "smtp.gmail.com" and data["settings"]["username"] == "bob"


def test_http_relay_settings_and_an_unknown_relay_host() -> None:
    from emaildiag.testing.dns import LoopbackDnsServer

    r = run("check", "--protocol", "http", "--http-url", "ftp://relay", "--json", "-")
    assert r.returncode == 1
    assert {"settings.http_url_invalid", "settings.http_reply_to_missing"} <= {
        f["code"] for f in json.loads(r.stdout)["findings"]
    }
    with LoopbackDnsServer({}) as dns:  # never the system resolver: NXDOMAIN from our own
        r = run(
            "check",
            "--protocol",
            "http",
            "--http-url",
            "https://relay.example.com/send",
            "--http-reply-to",
            "office@example.com",
            "--dns-server",
            dns.address,
            "--json",
            "-",
        )
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert "http.unreachable" in {f["code"] for f in data["findings"]}
    assert data["relay"]["failed_at"] == "dns"


def test_password_that_is_not_text_is_a_finding_not_a_traceback(tmp_path: object) -> None:
    import subprocess
    import sys

    for env_extra, stdin in (
        ({"PYTHONIOENCODING": "utf-8:strict"}, b"pa\xffss\n"),
        ({}, b"pa\xffss\n"),
    ):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "emaildiag",
                "check",
                "--host",
                "smtp.example.com",
                "--username",
                "alice@example.com",
                "--password-stdin",
                "--json",
                "-",
            ],
            input=stdin,
            capture_output=True,
            timeout=60,
            env=ENV | env_extra,
        )
        assert b"Traceback" not in r.stderr
        assert r.returncode == 1
        codes = {f["code"] for f in json.loads(r.stdout)["findings"]}
        assert "settings.field_invalid" in codes


def test_ca_file_that_is_not_pem_is_bad_usage(tmp_path: object) -> None:
    path = f"{tmp_path}/not-a-ca.pem"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("hello\n")
    r = run("check", "--host", "smtp.example.com", "--ca-file", path)
    assert r.returncode == 2 and "PEM" in r.stderr and "Traceback" not in r.stderr


def test_remembered_password_comes_back_from_the_keyring(tmp_path: object, canary: str) -> None:
    """A real keyring plug-in (a JSON file backend loaded by keyring) in a subprocess."""
    import pathlib

    tests_dir = str(pathlib.Path(__file__).parent)
    store = f"{tmp_path}/keyring.json"
    env = ENV | {
        "PYTHON_KEYRING_BACKEND": "keyring_file_backend.TestFileKeyring",
        "PYTHONPATH": tests_dir + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "EMAILDIAG_TEST_KEYRING": store,
        "PW": canary,
    }
    common = ("check", "--host", "smtp.gmail.com:587", "--username", "bob", "--json", "-")
    first = run(*common, "--password-env", "PW", "--remember-password", env=env)
    assert "saved in the keyring" in first.stderr and canary not in first.stderr + first.stdout
    with open(store, encoding="utf-8") as fh:
        assert json.load(fh) == {"emaildiag/bob@smtp.gmail.com:587": canary}
    second = run(*common, env=env)
    assert json.loads(second.stdout)["settings"]["password_set"] is True
    no_store = run(*common, "--password-env", "PW", "--remember-password", env=ENV | {"PW": canary})
    assert "not saved" in no_store.stderr
