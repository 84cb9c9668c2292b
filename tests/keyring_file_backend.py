"""A keyring backend that keeps entries in a JSON file named by EMAILDIAG_TEST_KEYRING.

Loaded by keyring itself (PYTHON_KEYRING_BACKEND=keyring_file_backend.TestFileKeyring)
in CLI subprocesses, so the CLI's keyring path runs against keyring's real plug-in
machinery. Plain JSON: for tests only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class TestFileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    __test__ = False

    def _path(self) -> Path:
        return Path(os.environ["EMAILDIAG_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}  # type: ignore[no-any-return]

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(entries), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        entries.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(entries), encoding="utf-8")
