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
