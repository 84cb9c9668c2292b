"""From many findings to advice: the one most likely root cause, and a configuration
that was seen to work.

A user with five red lines needs to know which one to fix first. The order below
follows the path a message takes: settings, then the name, then the connection, the
encryption, the sign-in and finally the sender. The first broken step explains the
ones after it (no TLS means no sign-in was tried), so its finding is the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emaildiag.model import AuthFacts, Finding, ProbeFacts, Severity

# Earlier families explain later ones; within the run, errors before warnings.
_STEP_ORDER = (
    "settings.",
    "dns.host_",
    "dns.failure",
    "port.",
    "smtp.greeting",
    "tls.implicit_on_starttls_port",
    "tls.plain_on_implicit_port",
    "tls.",
    "smtp.",
    "auth.",
    "send.",
    "dns.",
    "run.",
)


def step_of(code: str) -> int:
    """Where on the message's path a finding's check sits (for ordering)."""
    return next((i for i, prefix in enumerate(_STEP_ORDER) if code.startswith(prefix)), 99)


def root_cause(findings: Sequence[Finding], configured_port: int | None) -> Finding | None:
    """The error to fix first, earliest on the message's path; one on the configured port
    before one on a port the settings do not use. Settings that work (warnings at most)
    have no root cause: nothing is broken."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors:
        return None

    def key(f: Finding) -> tuple[int, int]:
        elsewhere = f.port is not None and configured_port is not None and f.port != configured_port
        return (int(elsewhere), step_of(f.code))

    return min(errors, key=key)


def recommended(
    host: str,
    username: str,
    configured_port: int | None,
    probes: Sequence[ProbeFacts],
    auth: AuthFacts,
) -> dict[str, Any] | None:
    """Settings that were seen to work: where the sign-in succeeded, else a port with
    verified TLS (the configured one first, then 587, then 465)."""
    by_port = {
        p.port: p
        for p in probes
        if p.state == "open" and p.tls and p.tls.verified and not p.problem
    }
    port = auth.port if auth.result == "ok" else None
    if port is None:
        port = next((p for p in (configured_port, 587, 465, *by_port) if p in by_port), None)
    probe = by_port.get(port) if port is not None else None
    if port is None or probe is None:
        return None
    return {
        "host": host,
        "port": port,
        "security": probe.mode,
        "username": username,
        "signed_in": auth.result == "ok" and auth.port == port,
        "changed": port != configured_port,
    }
