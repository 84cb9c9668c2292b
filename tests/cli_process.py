"""Run the ``emaildiag`` command as a user would: a real subprocess, offline keyring."""

from __future__ import annotations

import os
import subprocess
import sys

ENV = os.environ | {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emaildiag", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env or ENV,
    )


def check_args(host: str, port: int, dns: str, *extra: str) -> list[str]:
    """The arguments of ``emaildiag check`` for ``host`` on ``port`` alone, names resolved
    by the DNS server at ``dns`` (``address:port``), the JSON report on stdout."""
    where = ["--host", host, "--port", str(port), "--ports", str(port)]
    return ["check", *where, "--dns-server", dns, "--json", "-", *extra]
