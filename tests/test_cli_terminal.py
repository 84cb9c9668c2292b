"""The CLI on a real terminal (a pseudo-terminal): the hidden password prompt and progress."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest
from cli_process import ENV as CLI_ENV

from emaildiag.testing.dns import LoopbackDnsServer

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
ENV = CLI_ENV | {"TERM": "dumb"}


def _read_until(fd: int, needle: bytes, timeout: float = 20.0) -> bytes:
    out = b""
    end = time.monotonic() + timeout
    while needle not in out and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def _spawn(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emaildiag", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=ENV,
        close_fds=True,
    )
    os.close(follower)
    return proc, leader


def test_interactive_prompt_hides_the_password(canary: str) -> None:
    with LoopbackDnsServer({}) as dns:  # NXDOMAIN for the host: quick, and no real DNS
        proc, fd = _spawn(
            "check",
            "--host",
            "nothere.example.test",
            "--username",
            "alice@example.test",
            "--dns-server",
            dns.address,
            "--timeout",
            "3",
        )
        try:
            assert b"Password" in _read_until(fd, b"Password")
            os.write(fd, canary.encode() + b"\n")
            rest = _read_until(fd, b"Verdict", timeout=30) + _read_until(fd, b"\n\n", timeout=2)
            assert proc.wait(timeout=30) == 1
        finally:
            proc.kill()
            os.close(fd)
    assert canary.encode() not in rest  # the terminal never echoed it
    assert b"dns.host_not_found" in rest


def test_progress_shows_on_a_terminal() -> None:
    proc, fd = _spawn("demo")
    try:
        out = _read_until(fd, b"Ports:", timeout=30)
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        os.close(fd)
    assert b"\xe2\x80\xa6 dns" in out and b"\xe2\x80\xa6 connect" in out  # "… dns", "… connect"
    assert b"Verdict: OK" in out
