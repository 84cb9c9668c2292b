"""Where the password comes from: the OS keyring, an environment variable, stdin or a prompt.

Never from the command line: argv is readable by every local user through ``ps`` and
lands in shell history (swaks, docker login and clig.dev make the same rule). The
keyring is optional (the ``keyring`` extra) and often absent on headless Linux and in
CI, where keyring falls back to its ``fail`` backend; every function here degrades
to "no password from this source" instead of raising. Plaintext backends
(``keyrings.alt`` files) are refused: their maintainer declined to warn about them
(https://github.com/jaraco/keyrings.alt/issues/25).
"""

from __future__ import annotations

import getpass
import os
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from emaildiag.redact import holds_secret
from emaildiag.settings import DEFAULT_PORT, Settings

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = [
    "KEYRING_SERVICE",
    "keyring_account",
    "keyring_status",
    "password_from_env",
    "password_from_keyring",
    "prompt_password",
    "read_password_stdin",
    "store_password",
    "store_refusal",
]

KEYRING_SERVICE = "emaildiag"
_MAX_PASSWORD = 64 * 1024


def keyring_account(settings: Settings) -> str:
    """``username@host:port``: one entry per account and server (a port of None is 587)."""
    port = DEFAULT_PORT if settings.port is None else settings.port
    return f"{settings.username}@{settings.host}:{port}"


def keyring_status() -> tuple[bool, str]:
    """(usable, the backend's name or why it is not used) — for the CLI and the form."""
    backend, description = _backend()
    return backend is not None, description


def password_from_keyring(settings: Settings) -> str | None:
    """The stored password, or None when there is no usable keyring or no entry."""
    backend, _ = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, keyring_account(settings))
    except Exception:  # noqa: BLE001 - a locked store, a D-Bus error: any plug-in may raise anything
        return None
    return value if isinstance(value, str) and value else None


def store_refusal(settings: Settings, password: str) -> str | None:
    """Why ``password`` must not be stored for ``settings``, or None when it may be.

    Keyrings encrypt the password, not the account name it is filed under: a username
    that holds the password (pasted there, or a token that is both) would show it."""
    if not password:
        return "no password was given"
    if any(holds_secret(name, password) for name in (settings.username, keyring_account(settings))):
        return "the account name (user@host:port) holds the password; keyrings keep it readable"
    return None


def store_password(settings: Settings, password: str) -> bool:
    """Save ``password`` in the OS keyring; False when there is none (or it is plaintext)
    or :func:`store_refusal` has a reason."""
    backend, _ = _backend()
    if backend is None or store_refusal(settings, password):
        return False
    try:
        backend.set_password(KEYRING_SERVICE, keyring_account(settings), password)
    except Exception:  # noqa: BLE001 - same as above: report "not stored", never a traceback
        return False
    return True


def password_from_env(var: str) -> str | None:
    """The value of ``var``; None when unset or empty (an empty password is never meant).

    Environment variables reach child processes and ``/proc/<pid>/environ``: meant for
    CI, where a secret store injects them.
    """
    if not var:
        return None
    return os.environ.get(var) or None


def read_password_stdin(stream: TextIO) -> str:
    """The first line of ``stream`` without its line ending, nothing else stripped.

    Spaces can be part of a password; ``settings.password_whitespace`` warns about them.
    """
    buffer = getattr(stream, "buffer", None)
    line: str
    if buffer is not None:  # bytes that are not UTF-8 survive as surrogates, to be reported
        raw: bytes = buffer.readline(_MAX_PASSWORD)
        line = raw.decode("utf-8", "surrogateescape")
    else:
        line = stream.readline(_MAX_PASSWORD)
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def prompt_password(
    prompt: str = "Password: ",
    *,
    stdin: TextIO | None = None,
    ask: Callable[[str], str] | None = None,
) -> str | None:
    """Ask without echo when stdin is a terminal; None otherwise (a pipe, a notebook kernel).

    ``stdin`` and ``ask`` are seams for tests (default: ``sys.stdin``, ``getpass.getpass``).
    When getpass cannot turn echo off it would show the password: that is refused too.
    """
    stream = sys.stdin if stdin is None else stdin
    try:
        interactive = stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed or detached stream
        interactive = False
    if not interactive:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return (ask or getpass.getpass)(prompt)
        except (EOFError, getpass.GetPassWarning):
            return None


def _backend() -> tuple[KeyringBackend | None, str]:
    """The active keyring backend if it is a real, encrypted store, else why not."""
    try:
        import keyring
    except ImportError:
        return None, "keyring is not installed (pip install 'emaildiag[keyring]')"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - backend discovery imports third-party plug-ins
        return None, f"keyring could not load a backend ({type(exc).__name__})"
    members = [backend, *getattr(backend, "backends", ())]  # a ChainerBackend's stores
    for member in members:
        refusal = _refusal(member)
        if refusal:
            return None, refusal
    return backend, _name(backend)


def _refusal(backend: object) -> str | None:
    """Why ``backend`` must not hold the password, or None when it may.

    keyring's own rule of thumb: a priority below 1 is not recommended (the fail and
    null backends have 0 and -1; keyrings.alt's plaintext files 0.5).
    """
    name = _name(backend)
    lowered = name.lower()
    if "fail" in lowered.split(".") or "null" in lowered.split("."):
        return f"no system keyring is available ({name})"
    if lowered.startswith("keyrings.alt") or "plaintext" in lowered:
        return f"refusing a plaintext keyring backend ({name})"
    try:
        priority = float(getattr(type(backend), "priority", 0))
    except Exception:  # noqa: BLE001 - keyring's contract: priority raises when the backend cannot work
        return f"the keyring backend is not usable here ({name})"
    if priority < 1:
        return f"the keyring backend is not a recommended secure store ({name})"
    return None


def _name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"
