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


# Modules that render catalogue entries for their own sake; what they raise does not
# count as "raised in its situation".
_RENDER_ONLY = {"test_catalog_texts", "test_model"}


@pytest.fixture(autouse=True)
def _raised_in_situation(request: pytest.FixtureRequest) -> Iterator[None]:
    from emaildiag.catalog import RAISED

    before = set(RAISED)
    yield
    if request.module.__name__ in _RENDER_ONLY:
        RAISED.intersection_update(before)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a full, green run: every catalogue code was raised in this process, except
    the listed exceptions, which must not be."""
    from test_catalog_coverage import NOT_YET_RAISED

    from emaildiag.catalog import FINDINGS, RAISED

    config = session.config
    partial = config.option.keyword or config.option.markexpr or getattr(config.option, "lf", False)
    selected = [
        a for a in config.args if a.rstrip("/") not in ("tests", str(config.rootpath / "tests"))
    ]
    if exitstatus != 0 or partial or selected or config.option.maxfail:
        return
    never = set(FINDINGS) - RAISED - set(NOT_YET_RAISED)
    stale = RAISED & set(NOT_YET_RAISED)
    if never or stale:
        print(f"\ncatalogue codes never raised by the suite: {sorted(never)}")
        print(f"raised now, so no longer exceptions in test_catalog_coverage: {sorted(stale)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
