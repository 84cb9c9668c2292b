"""Shared fixtures: loopback servers, a throw-away PKI, a canary password.

Nothing here reaches beyond 127.0.0.1/::1: DNS always goes to a StaticResolver or a
DNS server the test starts itself, never to the system resolver.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from emaildiag.testing import TestPKI

# Keyring must be deterministic and offline in every test and subprocess.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="session")
def pki() -> Iterator[TestPKI]:
    with TestPKI(hostname="mail.emaildiag.test") as p:
        yield p


@pytest.fixture
def canary() -> str:
    """A unique password: searched for in every output afterwards."""
    return f"Canary-{uuid.uuid4().hex}"
