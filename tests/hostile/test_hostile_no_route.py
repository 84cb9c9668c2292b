"""Scenario A4's third class: no route to the server at all (a VPN that dropped, a
network without IPv6, an address nobody routes).

The test creates its own network namespace (``unshare -rn``: a user and network
namespace with no interface but a loopback that is down), so connecting to the
documentation addresses 192.0.2.10 and 2001:db8::10 fails with "network unreachable"
at once and no packet leaves this computer. The engine runs there in a subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from harness import secret_forms

RUN = """
import asyncio, sys
from emaildiag import adiagnose
from emaildiag.checks.dns import StaticResolver

async def main() -> None:
    host = "mail.emaildiag.test"
    addresses = {(host, "A"): ["192.0.2.10"], (host, "AAAA"): ["2001:db8::10"]}
    report = await adiagnose(
        {"host": host, "port": 587, "username": "alice@emaildiag.test", "password": sys.argv[1]},
        resolver=StaticResolver(addresses),
        timeout=4,
    )
    print(report.to_json())

asyncio.run(main())
"""


def _namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _namespaces(), reason="this machine does not allow an unprivileged network namespace"
)


def test_s04_no_route_is_neither_refused_nor_filtered(canary: str) -> None:
    t0 = time.monotonic()
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", RUN, canary],
        capture_output=True,
        text=True,
        timeout=30,
    )
    elapsed = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for form in secret_forms(canary):
        assert form not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    states = {(p["port"], p["address"]): p["state"] for p in report["probes"]}
    assert set(states) == {
        (port, a) for port in (25, 465, 587) for a in ("192.0.2.10", "2001:db8::10")
    }
    assert set(states.values()) == {"unreachable"}
    codes = {(f["code"], f["port"], f["severity"]) for f in report["findings"]}
    # the configured port is an error, the others a warning; never "refused" or "filtered"
    assert ("port.unreachable", 587, "error") in codes
    assert {("port.unreachable", 25, "warning"), ("port.unreachable", 465, "warning")} <= codes
    assert not {c for c, _, _ in codes} & {"port.refused", "port.filtered", "port.no_greeting"}
    assert report["auth"]["result"] != "ok"
    assert elapsed < 4 + 10  # the run's deadline, plus a subprocess's start-up
