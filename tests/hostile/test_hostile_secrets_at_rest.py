"""Secrets at rest: a saved settings file never holds the password, and the keyring
path works with a real keyring plug-in, refuses what it must and degrades to one line.

The keyring backend is the project's own JSON file plug-in (tests/keyring_file_backend.py),
loaded by keyring itself through PYTHON_KEYRING_BACKEND in real CLI processes:
``keyrings.alt`` and any other encrypted file backend are not installed here, so the
store's own encryption cannot be checked; what is checked is everything emaildiag
writes around it (account names, settings files, output).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# keyring is banned at module level in the package (import cost); tests need its classes.
import keyring
import keyring.backend
import pytest
from harness import hostile_ci
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyring.compat import properties
from keyring_file_backend import TestFileKeyring

from emaildiag.credentials import (
    KEYRING_SERVICE,
    keyring_account,
    keyring_status,
    password_from_keyring,
    store_password,
    store_refusal,
)
from emaildiag.settings import Settings, SettingsFileError, load_settings, save_settings
from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.dns import LoopbackDnsServer

CI = hostile_ci(HealthCheck.function_scoped_fixture)

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
HOST, DOMAIN = "mail.emaildiag.test", "emaildiag.test"
USER = f"alice@{DOMAIN}"
PASSWORD = f"Canary-{uuid.uuid4().hex}"
ZONE = {(HOST, "A"): ["127.0.0.1"], (DOMAIN, "MX"): [f"10 {HOST}."]}
FILE_BACKEND = "keyring_file_backend.TestFileKeyring"
FAIL_BACKEND = "keyring.backends.fail.Keyring"
# `import keyring` fails as when the extra is not installed; then the real CLI runs.
NO_KEYRING = (
    "import sys; sys.modules['keyring'] = None\n"
    "from emaildiag.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))"
)


@pytest.fixture(scope="module")
def dns() -> Iterator[LoopbackDnsServer]:
    with LoopbackDnsServer(ZONE) as server:
        yield server


@pytest.fixture(scope="module")
def smtp(pki: TestPKI) -> Iterator[SmtpTestServer]:
    with SmtpTestServer(ServerSpec(mode="starttls", users={USER: PASSWORD}), pki) as server:
        yield server


class Run:
    """One `emaildiag check` process and what it left behind."""

    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.status = done.returncode
        self.stdout, self.stderr = done.stdout, done.stderr
        self.report: dict[str, Any] = json.loads(done.stdout) if done.stdout.strip() else {}

    @property
    def messages(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def codes(self) -> set[str]:
        return {f["code"] for f in self.report.get("findings", [])}

    def documented_status(self) -> int:
        """The exit status the CLI documents for this report: 1 when the settings do
        not work, 0 when they do (warnings included)."""
        return 1 if self.report["verdict"] == "error" else 0

    def assert_clean(self, *secrets: str) -> None:
        assert "Traceback" not in self.stderr + self.stdout
        for secret in secrets:
            assert secret not in self.stdout + self.stderr


def check(
    tmp_path: Path,
    dns: LoopbackDnsServer,
    smtp: SmtpTestServer,
    pki: TestPKI,
    *args: str,
    backend: str = FILE_BACKEND,
    env: dict[str, str] | None = None,
    script: str | None = None,
    host: str = HOST,
    settings_file: Path | None = None,
) -> Run:
    """`emaildiag check` against the loopback server, DNS and CA, in a fresh process."""
    where = ["--settings", str(settings_file)] if settings_file else ["--host", host]
    where += ["--port", str(smtp.port)] if not settings_file else []
    argv = [
        "check",
        *where,
        "--ports",
        str(smtp.port),
        "--dns-server",
        dns.address,
        "--ca-file",
        str(pki.ca_file),
        "--timeout",
        "5",
        "--json",
        "-",
        *args,
    ]
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "emaildiag"]
    base = {k: v for k, v in os.environ.items() if k != "PW"}
    full_env = base | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
        "PYTHON_KEYRING_BACKEND": backend,
        "EMAILDIAG_TEST_KEYRING": str(tmp_path / "keyring.json"),
    }
    done = subprocess.run(
        [*command, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=full_env | (env or {}),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    return Run(done)


Check = Callable[..., Run]
REMEMBER = ("--username", USER, "--password-env", "PW", "--remember-password")


@pytest.fixture
def cli(tmp_path: Path, dns: LoopbackDnsServer, smtp: SmtpTestServer, pki: TestPKI) -> Check:
    """:func:`check` in this test's folder, against the loopback DNS, server and CA."""
    return functools.partial(check, tmp_path, dns, smtp, pki)


def account_of(port: int, username: str = USER) -> str:
    return f"{KEYRING_SERVICE}/{username}@{HOST}:{port}"


# --- the keyring, through the real CLI ---------------------------------------------


def test_remembered_password_comes_back_in_a_second_process(
    tmp_path: Path, smtp: SmtpTestServer, cli: Check
) -> None:
    """First run: password from an environment variable, --remember-password and
    --save, with the host typed untidily. Second run: only the saved settings file; the
    keyring plug-in gives the password back and the server accepts it."""
    saved = tmp_path / "settings.toml"
    first = cli(*REMEMBER, "--save", str(saved), host=f"  {HOST.upper()}. ", env={"PW": PASSWORD})
    first.assert_clean(PASSWORD)
    assert first.messages == [f"emaildiag: saved in the keyring ({FILE_BACKEND})"]
    assert first.report["auth"]["result"] == "ok" and first.status == first.documented_status()
    # filed under the tidy account name, which does not hold the password
    store = json.loads((tmp_path / "keyring.json").read_text(encoding="utf-8"))
    assert store == {account_of(smtp.port): PASSWORD}
    assert PASSWORD.encode() not in saved.read_bytes() and b"password =" not in saved.read_bytes()

    second = cli(settings_file=saved)
    second.assert_clean(PASSWORD)
    assert second.messages == []
    assert second.report["settings"]["password_set"] is True
    assert second.report["auth"]["result"] == "ok" and second.status == 0


def test_a_username_that_is_the_password_is_stored_nowhere(tmp_path: Path, cli: Check) -> None:
    """The password pasted as the username too: the keyring's account name and the
    settings file would both hold it in the clear, so neither is written; one line
    each says why, without the value, and the run stops as bad input (status 2)."""
    saved = tmp_path / "settings.json"
    run = cli(
        "--username",
        PASSWORD,
        "--email",
        USER,
        "--password-env",
        "PW",
        "--remember-password",
        "--save",
        str(saved),
        env={"PW": PASSWORD},
    )
    run.assert_clean(PASSWORD)
    assert run.status == 2 and len(run.messages) == 2, run.stderr
    keyring_line, save_line = run.messages
    assert keyring_line.startswith("emaildiag: not saved in the keyring: the account name")
    assert save_line.startswith("emaildiag: error: cannot save settings to")
    assert "username holds the password" in save_line
    assert not (tmp_path / "keyring.json").exists() and not saved.exists()


def test_remember_without_a_password_says_so(tmp_path: Path, cli: Check) -> None:
    """No password from anywhere (no variable, no terminal, nothing stored yet): the
    line says nothing was given, not the backend's name as if that were the reason."""
    run = cli("--username", USER, "--remember-password")
    run.assert_clean()
    assert run.messages == ["emaildiag: not saved in the keyring: no password was given"]
    assert "settings.password_missing" in run.codes
    assert run.status == run.documented_status() == 0
    assert not (tmp_path / "keyring.json").exists()


@pytest.mark.parametrize(
    ("backend", "script", "reason"),
    [
        (FAIL_BACKEND, None, f"no system keyring is available ({FAIL_BACKEND})"),
        (FILE_BACKEND, NO_KEYRING, "keyring is not installed (pip install 'emaildiag[keyring]')"),
    ],
    ids=["fail-backend", "keyring-missing"],
)
def test_no_usable_keyring_is_one_line_and_the_run_goes_on(
    tmp_path: Path,
    cli: Check,
    backend: str,
    script: str | None,
    reason: str,
) -> None:
    """keyring's fail backend, or no keyring module at all: --remember-password says
    why in one line and the diagnosis runs with the given password; a later run
    without one is a run without a password (settings.password_missing), no traceback,
    exit status as documented."""
    remember = cli(*REMEMBER, backend=backend, script=script, env={"PW": PASSWORD})
    remember.assert_clean(PASSWORD)
    assert remember.messages == [f"emaildiag: not saved in the keyring: {reason}"]
    assert remember.report["auth"]["result"] == "ok"
    assert remember.status == remember.documented_status() == 0
    assert not (tmp_path / "keyring.json").exists()

    later = cli("--username", USER, backend=backend, script=script)
    later.assert_clean(PASSWORD)
    assert later.messages == []
    assert "settings.password_missing" in later.codes
    assert later.report["settings"]["password_set"] is False
    assert later.status == later.documented_status() == 0


PLAINTEXT_PLUGIN = '''
"""Stands in for keyrings.alt's PlaintextKeyring, ranked as if it were a secure store."""
import json, os
from pathlib import Path
from keyring.backend import KeyringBackend

class PlaintextKeyring(KeyringBackend):
    priority = 1.5

    def _path(self):
        return Path(os.environ["EMAILDIAG_TEST_KEYRING"])

    def _load(self):
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        entries = self._load()
        entries[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(entries), encoding="utf-8")

    def delete_password(self, service, username):
        pass
'''


def test_a_plaintext_backend_is_neither_written_nor_read(
    tmp_path: Path, smtp: SmtpTestServer, cli: Check
) -> None:
    """A plug-in at keyrings.alt's plaintext path, even ranked above 1 and already
    holding the password: --remember-password refuses it in one line and leaves the
    store alone, and a run without a password does not take the stored one."""
    package = tmp_path / "plugins" / "keyrings" / "alt"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("", encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "file.py").write_text(textwrap.dedent(PLAINTEXT_PLUGIN), encoding="utf-8")
    store = tmp_path / "keyring.json"
    store.write_text(json.dumps({account_of(smtp.port): PASSWORD}), encoding="utf-8")
    before = store.read_bytes()
    plugin = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS), str(tmp_path / "plugins")])}
    name = "keyrings.alt.file.PlaintextKeyring"

    remember = cli(*REMEMBER, backend=name, env=plugin | {"PW": "Another-Password-1"})
    remember.assert_clean(PASSWORD, "Another-Password-1")
    assert remember.messages == [
        f"emaildiag: not saved in the keyring: refusing a plaintext keyring backend ({name})"
    ]
    assert store.read_bytes() == before

    later = cli("--username", USER, backend=name, env=plugin)
    later.assert_clean(PASSWORD)
    assert later.report["settings"]["password_set"] is False
    assert "settings.password_missing" in later.codes and later.report["auth"]["result"] != "ok"


# --- the keyring, in process (keyring.set_keyring) ---------------------------------


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The JSON file plug-in installed with keyring.set_keyring for one test."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("EMAILDIAG_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(TestFileKeyring())
    yield path
    keyring.set_keyring(previous)


ACCOUNT = Settings(host=HOST, port=465, username=USER)


def test_store_and_read_back_through_the_file_plugin(file_keyring: Path) -> None:
    assert keyring_status() == (True, FILE_BACKEND)
    assert store_refusal(ACCOUNT, PASSWORD) is None
    assert store_password(ACCOUNT, PASSWORD) is True
    assert password_from_keyring(ACCOUNT) == PASSWORD
    assert json.loads(file_keyring.read_text(encoding="utf-8")) == {
        f"{KEYRING_SERVICE}/{keyring_account(ACCOUNT)}": PASSWORD
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (PASSWORD, PASSWORD),
        (f"{PASSWORD}@{DOMAIN}", PASSWORD),
        (PASSWORD, f"  {PASSWORD}  "),
        ("pw1", "pw1"),
    ],
    ids=["equal", "inside", "padded", "short-equal"],
)
def test_an_account_name_holding_the_password_is_refused(
    file_keyring: Path, username: str, password: str
) -> None:
    """Keyrings encrypt the secret, not the account name it is filed under."""
    account = Settings(host=HOST, port=587, username=username)
    assert store_refusal(account, password)
    assert store_password(account, password) is False
    assert not file_keyring.exists()


class _UnusableKeyring(keyring.backend.KeyringBackend):
    """A backend whose priority raises: keyring's way of saying it cannot work here."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("no session bus")

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("must not be asked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("must not be asked")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("must not be asked")


def test_a_backend_that_cannot_work_here_is_refused() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_UnusableKeyring())
    try:
        usable, why = keyring_status()
        assert not usable and "not usable" in why
        assert store_password(ACCOUNT, PASSWORD) is False
        assert password_from_keyring(ACCOUNT) is None
    finally:
        keyring.set_keyring(previous)


# --- settings files ------------------------------------------------------------------

TEXT_FIELDS = ("host", "username", "email", "copy_to", "reply_to", "http_url", "http_reply_to")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", PASSWORD),
        ("username", f" {PASSWORD}"),
        ("username", f"{PASSWORD}@{DOMAIN}"),
        ("http_url", f"https://relay.example.test/send?key={PASSWORD}"),
        ("host", f"smtps://alice:{PASSWORD}@{HOST}"),
    ],
)
def test_a_field_holding_the_password_is_never_saved(
    tmp_path: Path, suffix: str, field: str, value: str
) -> None:
    path = tmp_path / f"settings{suffix}"
    with pytest.raises(SettingsFileError) as info:
        save_settings(Settings(**{field: value}, password=PASSWORD), path)
    message = str(info.value)
    assert "\n" not in message and PASSWORD not in message and field in message
    assert not path.exists()


settings_values = st.text(max_size=20) | st.sampled_from(["", "smtp.example.test", USER])
passwords = st.text(min_size=1, max_size=20) | st.sampled_from(
    ['p"w\\x', "pw\u2028pw", "pässwörd", "  spaced  ", "\x7fdel\x01"]
)


@settings(CI, max_examples=150)
@given(
    values=st.fixed_dictionaries({name: settings_values for name in TEXT_FIELDS}),
    password=passwords,
    reuse=st.sampled_from([None, *TEXT_FIELDS]),
    suffix=st.sampled_from([".toml", ".json"]),
)
def test_saved_settings_never_hold_the_password(
    tmp_path_factory: pytest.TempPathFactory,
    values: dict[str, str],
    password: str,
    reuse: str | None,
    suffix: str,
) -> None:
    """Any settings, any password, sometimes put into another field too: the file is
    written without it, or not at all (SettingsFileError); loading gives no password."""
    if reuse:
        values = values | {reuse: values[reuse] + password}
    path = tmp_path_factory.mktemp("saved") / f"settings{suffix}"
    try:
        save_settings(Settings(**values, password=password), path)
    except SettingsFileError as exc:
        assert not path.exists() and "\n" not in str(exc)
        return
    loaded = load_settings(path)
    assert loaded.password == ""
    blob = path.read_bytes()
    if suffix == ".toml":  # the header line says the password is not there
        blob = blob.split(b"\n", 1)[1]
    assert b"password" not in blob or b"password" in "".join(values.values()).encode()
    for name in TEXT_FIELDS:
        shown = getattr(loaded, name)
        assert shown == values[name]  # the round trip keeps every other field
        assert shown != password and (len(password.strip()) < 4 or password.strip() not in shown)
    if len(password.strip()) >= 4:
        assert password.strip().encode("utf-8", "surrogatepass") not in blob
