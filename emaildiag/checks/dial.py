"""TCP connections to resolved addresses, raced as RFC 8305 (Happy Eyeballs v2) asks.

Only IP addresses are dialled, never names: a name would send asyncio to the system
resolver, and emaildiag resolves through its own resolver seam. The race keeps a
blackholed IPv6 address from costing the whole deadline (faults-and-security §3.6).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping

from emaildiag.checks import _errors
from emaildiag.redact import printable

CONNECT_STAGGER = 0.25  # RFC 8305 §5 "Connection Attempt Delay"

_CONNECT_WORDS = {
    "refused": "connection refused (nothing listens on that port)",
    "filtered": "no answer (a firewall may drop the connection)",
    "unreachable": "no route to that address",
}


class ConnectFailed(Exception):
    def __init__(self, errors: Mapping[str, BaseException]) -> None:
        super().__init__("no address could be reached")
        self.errors = dict(errors)

    def summary(self) -> str:
        return "; ".join(
            f"{address}: "
            + _CONNECT_WORDS.get(_errors.connect_state(exc), printable(str(exc), 200))
            for address, exc in self.errors.items()
        )


async def dial(address: str, port: int) -> socket.socket:
    """A TCP connection to an IP address (never a name: no resolver is consulted)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except BaseException:
        sock.close()
        raise
    return sock


async def dial_first(addresses: list[str], port: int) -> tuple[socket.socket, str]:
    """Happy Eyeballs (RFC 8305 §5): start the next address when the previous one fails
    or has not connected within 250 ms, and keep the first that connects. A blackholed
    IPv6 address then costs 250 ms, not the whole deadline (faults-and-security §3.6)."""
    queue = list(addresses)
    owner: dict[asyncio.Task[socket.socket], str] = {}
    pending: set[asyncio.Task[socket.socket]] = set()
    errors: dict[str, BaseException] = {}
    winner: asyncio.Task[socket.socket] | None = None
    try:
        while queue or pending:
            if queue:
                address = queue.pop(0)
                task = asyncio.ensure_future(dial(address, port))
                owner[task] = address
                pending.add(task)
            stagger = CONNECT_STAGGER if queue else None
            done, pending = await asyncio.wait(
                pending, timeout=stagger, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                exc = task.exception()
                if exc is not None:
                    errors[owner[task]] = exc
                elif winner is None:
                    winner = task
            if winner is not None:
                return winner.result(), owner[winner]
    finally:
        await _discard([t for t in owner if t is not winner])
    raise ConnectFailed(errors)


async def _discard(losers: list[asyncio.Task[socket.socket]]) -> None:
    """Cancel the attempts that lost the race and close any that connected anyway."""
    for task in losers:
        task.cancel()
    for result in await asyncio.gather(*losers, return_exceptions=True):
        if isinstance(result, socket.socket):
            result.close()
