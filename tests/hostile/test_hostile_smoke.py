"""Harness self-check: a well-behaved server passes every invariant, and the harness
notices the faults it is meant to notice."""

from __future__ import annotations

import asyncio

import pytest
from harness import USER, hostile

from emaildiag.testing import ServerSpec, SmtpTestServer, TestPKI
from emaildiag.testing.scripted import Received, scripted_server, smtp_script


async def test_the_happy_path_passes_every_invariant(pki: TestPKI, canary: str) -> None:
    with SmtpTestServer(ServerSpec(users={USER: canary}), pki) as srv:
        out = await hostile(
            password=canary,
            port_map={587: srv.port},
            pki=pki,
            auth_log=srv.auth_log,
            tls_accepted=True,
        )
    assert out.report.auth.result == "ok"
    assert {"auth.ok", "tls.ok"} <= out.codes


async def test_a_password_sent_in_the_clear_is_caught(canary: str) -> None:
    rec = Received()
    async with scripted_server(smtp_script(), received=rec) as port:
        await rec_send_plain(port, canary)
    with pytest.raises(AssertionError, match="in the clear"):
        from harness import assert_wire_clean

        assert_wire_clean(canary, [rec], tls_accepted=True)


async def rec_send_plain(port: int, password: str) -> None:
    import base64

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()
    blob = base64.b64encode(f"\0{USER}\0{password}".encode())
    writer.write(b"AUTH PLAIN " + blob + b"\r\n")
    await writer.drain()
    await reader.readline()
    writer.close()


async def test_a_connection_left_open_is_caught() -> None:
    from harness import _assert_closed

    async with scripted_server(smtp_script()) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        with pytest.raises(AssertionError, match="left open"):
            await _assert_closed({port}, set())
        writer.close()
        await _assert_closed({port}, set())


async def test_engine_tasks_are_seen_while_a_run_is_going(pki: TestPKI, canary: str) -> None:
    from harness import _engine_tasks

    from emaildiag import CustomCheck
    from emaildiag.jobs import CheckContext
    from emaildiag.model import Finding

    seen: list[str] = []

    async def look(ctx: CheckContext) -> list[Finding]:
        seen.extend(_engine_tasks())
        return []

    with SmtpTestServer(ServerSpec(users={USER: canary}), pki) as srv:
        await hostile(
            password=canary,
            port_map={587: srv.port},
            pki=pki,
            auth_log=srv.auth_log,
            tls_accepted=True,
            checks=[CustomCheck("look", look)],
        )
    assert seen, "the task check would see nothing"
