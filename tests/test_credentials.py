"""Password sources. The keyring tests plug real backends in through keyring's own API."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator

# keyring is banned at module level in the package (import cost); tests need its classes.
import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from emaildiag.credentials import (
    KEYRING_SERVICE,
    keyring_account,
    keyring_status,
    password_from_env,
    password_from_keyring,
    prompt_password,
    read_password_stdin,
    store_password,
)
from emaildiag.settings import Settings

ACCOUNT = Settings(host="smtp.example.com", port=465, username="alice@example.com")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory store, plugged in with keyring.set_keyring like any OS backend."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend, which stores passwords readably."""


class WeakKeyring(MemoryKeyring):
    priority = 0.5  # type: ignore[assignment]


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only")


Install = Callable[[type[keyring.backend.KeyringBackend]], None]


@pytest.fixture
def use_backend() -> Iterator[Install]:
    """Install a backend class for one test, then put the previous backend back."""
    previous = keyring.get_keyring()

    def install(cls: type[keyring.backend.KeyringBackend]) -> None:
        keyring.set_keyring(cls())

    yield install
    keyring.set_keyring(previous)


def test_account_name() -> None:
    assert keyring_account(ACCOUNT) == "alice@example.com@smtp.example.com:465"
    assert keyring_account(Settings(host="h.example", username="u")) == "u@h.example:587"


def test_store_and_read_back(use_backend: Install) -> None:
    use_backend(MemoryKeyring)
    usable, name = keyring_status()
    assert usable and name.endswith("MemoryKeyring")
    assert password_from_keyring(ACCOUNT) is None
    assert store_password(ACCOUNT, "s3cret ") is True
    assert password_from_keyring(ACCOUNT) == "s3cret "
    assert keyring.get_keyring().get_password(KEYRING_SERVICE, keyring_account(ACCOUNT))
    other = Settings(host="smtp.example.com", port=587, username="alice@example.com")
    assert password_from_keyring(other) is None  # one entry per host and port
    assert store_password(ACCOUNT, "") is False


@pytest.mark.parametrize("backend", [fail.Keyring, PlaintextKeyring, WeakKeyring])
def test_unusable_backends_are_refused(
    use_backend: Install, backend: type[keyring.backend.KeyringBackend]
) -> None:
    use_backend(backend)
    usable, why = keyring_status()
    assert not usable and why
    assert store_password(ACCOUNT, "s3cret") is False
    assert password_from_keyring(ACCOUNT) is None
    if backend is not fail.Keyring:
        store = keyring.get_keyring()
        assert isinstance(store, MemoryKeyring) and store.entries == {}  # nothing written


def test_backend_errors_are_not_raised(use_backend: Install) -> None:
    use_backend(LockedKeyring)
    assert keyring_status()[0] is True
    assert password_from_keyring(ACCOUNT) is None
    assert store_password(ACCOUNT, "s3cret") is False


def test_keyring_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # makes `import keyring` fail
    usable, why = keyring_status()
    assert not usable and "not installed" in why
    assert password_from_keyring(ACCOUNT) is None
    assert store_password(ACCOUNT, "s3cret") is False


def test_password_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAILDIAG_TEST_PW", " with spaces ")
    monkeypatch.setenv("EMAILDIAG_TEST_EMPTY", "")
    monkeypatch.delenv("EMAILDIAG_TEST_UNSET", raising=False)
    assert password_from_env("EMAILDIAG_TEST_PW") == " with spaces "
    assert password_from_env("EMAILDIAG_TEST_EMPTY") is None
    assert password_from_env("EMAILDIAG_TEST_UNSET") is None
    assert password_from_env("") is None


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("  pw with spaces \nsecond line\n", "  pw with spaces "),
        ("crlf\r\n", "crlf"),
        ("no newline", "no newline"),
        ("tab\t\n", "tab\t"),
        ("\n", ""),
        ("", ""),
    ],
)
def test_read_password_stdin(data: str, expected: str) -> None:
    assert read_password_stdin(io.StringIO(data)) == expected


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prompt_only_on_a_terminal() -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "typed"

    assert prompt_password(stdin=io.StringIO("piped\n"), ask=ask) is None
    assert prompt_password("Pw: ", stdin=Terminal(), ask=ask) == "typed"
    assert asked == ["Pw: "]


def test_prompt_end_of_input_and_closed_stream() -> None:
    def eof(prompt: str) -> str:
        raise EOFError

    assert prompt_password(stdin=Terminal(), ask=eof) is None
    closed = Terminal()
    closed.close()
    assert prompt_password(stdin=closed, ask=eof) is None
